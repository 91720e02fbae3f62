"""Expressions: functions of numbers, comparisons and the conditional expression; ops as values;
`defaults` for an op's arguments; which network a file holding a defaulted template means."""

import math

import pytest

import resdsl
from resdsl.core.errors import ResdslError


def layer_args(text: str, name: str = "n") -> dict:
    graph = resdsl.graph_from_text(text, name)
    return {node: data["args"] for node, data in graph.nodes(data=True)}


def widths(expressions: list[str]) -> list[int]:
    """Each expression as a conv's width, in a network of one input."""
    body = "\n".join(f"c{i}: conv 1x1, {e}, from: input" for i, e in enumerate(expressions))
    args = layer_args(f"network n(w = 40, s = 2) {{\n input 3x8x8\n {body}\n}}")
    return [args[f"c{i}"]["out"] for i in range(len(expressions))]


def test_functions_of_numbers():
    assert widths(["max(32, w // 2)", "min(w, 24)", "max(1, 2, 50, 7)", "round(w * 0.65)",
                   "round(2.5)", "floor(w / 3)", "ceil(w / 3)"]) == \
        [32, 24, 50, round(40 * 0.65), 2, math.floor(40 / 3), math.ceil(40 / 3)]


def test_make_divisible_in_an_expression_is_torchvisions_rule():
    # torchvision's EfficientNet-B3 widths: 32 x 1.2 -> 40, 24 x 1.2 -> 32, 320 x 1.2 -> 384;
    # MobileNetV2 0.35: 32 x 0.35 = 11.2 -> 16 (8 would lose more than 10%)
    assert widths(["make_divisible(32 * 1.2, 8)", "make_divisible(24 * 1.2, 8)",
                   "make_divisible(320 * 1.2, 8)", "make_divisible(32 * 0.35, 8)",
                   "make_divisible(3, 8, min_value: 4)"]) == [40, 32, 384, 16, 4]


def test_the_conditional_expression_and_comparisons():
    assert widths(["w if s > 1 else 8", "w if s >= 3 else 8", "w if s == 2 else 8",
                   "w if s != 2 else 8", "w if s < 2 else 8 if s <= 2 else 9",
                   "(w if s > 1 else 8) + 1"]) == [40, 8, 40, 8, 8, 41]


def test_a_comparison_is_a_switch():
    args = layer_args("network n(s = 2) {\n input 3x8x8\n c: conv 3x3, 8, bias: s > 1\n}")
    assert args["c"]["bias"] is True


def test_an_op_is_a_value():
    text = """
    block b(w, act = relu, hard = false) {
        conv 3x3, w;  bn;  a: act
        se: se 4, act: act, gate: hardsigmoid if hard else sigmoid
    }
    block c(w, act = relu) { conv 3x3, w;  a: act }
    network n {
        input 3x8x8
        stage s1: b(8) x 1
        stage s2: b(8, act: silu, hard: true) x 1
        stage s3: c(8, act: hardswish) x 1
    }"""
    graph = resdsl.graph_from_text(text, "n")
    ops = {node: data["op"] for node, data in graph.nodes(data=True)}
    assert (ops["s1.0.a"], ops["s2.0.a"], ops["s3.0.a"]) == ("relu", "silu", "hardswish")
    assert graph.nodes["s2.0.se"]["args"]["act"] == "silu"
    assert graph.nodes["s2.0.se"]["args"]["gate"] == "hardsigmoid"
    assert graph.nodes["s1.0.se"]["args"]["gate"] == "sigmoid"


def test_an_empty_block_is_no_layer_here():
    text = """
    block nothing() {}
    block b(w, extra = nothing) { conv 3x3, w;  extra;  relu }
    block one_conv() { c: conv 1x1, 8 }
    network n {
        input 3x8x8
        stage s1: b(8) x 1
        stage s2: b(8, extra: one_conv) x 1
    }"""
    ops = [data["op"] for _, data in resdsl.graph_from_text(text, "n").nodes(data=True)]
    assert ops == ["input", "conv", "relu", "conv", "conv", "relu"]


def test_defaults_set_an_ops_arguments_for_the_layers_after_it():
    text = """
    block b(w, stride = 1) {
        conv 3x3, w, stride: stride;  bn;  relu
        conv 3x3, w;  bn2: bn momentum: 0.5
        add shortcut
    }
    network n {
        input 3x8x8
        first: bn
        defaults bn(eps: 0.001, momentum: 0.01), layernorm2d(eps: 1e-6)
        conv 3x3, 8;  stem: bn;  ln: layernorm2d
        stage s1: b(8) x 1
        stage s2: b(16) x 1, stride: 2
    }"""
    args = layer_args(text)
    assert args["first"]["eps"] == 1e-5  # before the statement: the op's own default
    assert (args["stem"]["eps"], args["stem"]["momentum"]) == (0.001, 0.01)
    assert args["ln"]["eps"] == 1e-6
    assert (args["s1.0.bn"]["eps"], args["s1.0.bn"]["momentum"]) == (0.001, 0.01)
    assert args["s1.0.bn2"]["momentum"] == 0.5  # what a layer gives wins
    assert args["s2.0.downsample.1"]["eps"] == 0.001  # projections' norms too


def test_defaults_belong_to_the_network_and_name_an_op():
    with pytest.raises(ResdslError) as err:
        layer_args("block b() { defaults bn(eps: 0.1);  bn }\nnetwork n { input 3x8x8;  stage s: b() x 1 }")
    assert err.value.code == "E316"
    with pytest.raises(ResdslError) as err:
        layer_args("block b() { bn }\nnetwork n { input 3x8x8;  defaults b(eps: 0.1) }")
    assert err.value.code == "E320" and "sets an op's arguments" in err.value.message
    with pytest.raises(ResdslError) as err:
        layer_args("network n { input 3x8x8;  defaults bn(epsilon: 0.1) }")
    assert err.value.code == "E202"


def test_numbers_in_scientific_notation():
    args = layer_args("network n {\n input 3x8x8\n a: bn eps: 1e-6\n b: bn eps: 2.5E-3\n}")
    assert (args["a"]["eps"], args["b"]["eps"]) == (1e-6, 2.5e-3)


def test_a_template_with_defaults_is_named_when_a_file_has_several_networks(tmp_path):
    path = tmp_path / "two.rdsl"
    path.write_text("block b(w) { conv 3x3, w;  bn;  relu }\n"
                    "network csp(width = 16) { input 3x8x8;  stage s: b(width) x 1 }\n"
                    "csp50 = csp(32)\n")
    with pytest.raises(ResdslError) as err:
        resdsl.graph(path)
    assert err.value.code == "E206"
    assert err.value.hint == ("'csp' is a template whose parameters all have defaults, so it "
                              "builds as it stands; name the one you mean, e.g. 'csp50'")


def test_and_or_not():
    assert widths(["w if s > 1 and w // 8 * 8 == w else 8", "w if s > 5 or w > 39 else 8",
                   "w if not s > 1 else 8", "w if s > 5 or not w == 40 else 8",
                   "w if not (s > 5 or w > 50) else 8"]) == [40, 40, 8, 8, 40]


def test_and_needs_switches_and_reads_its_right_side_only_where_it_decides():
    with pytest.raises(ResdslError) as err:
        widths(["w if s and true else 8"])
    assert err.value.code == "E301" and "'and' needs true or false" in err.value.message
    assert widths(["w if s > 5 and w // 0 > 1 else 8"]) == [8]  # the division is never made
