"""Auxiliary classifiers (GoogLeNet, Inception-v3): outputs returned beside the main one in
training only, and not computed at all in evaluation, as torchvision's forward does."""

import json

import pytest

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import resdsl  # noqa: E402
from resdsl.ir.codec import dumps, load  # noqa: E402
from resdsl.torch.backend import build_module  # noqa: E402
from resdsl.torch.export import python_source  # noqa: E402

SOURCE = """
block side(classes) {
    pool: avgpool 2x2, stride: 2
    conv: conv 1x1, 8, bias: true;  relu
    fc1: fc 16;  relu;  fc2: fc classes
}
network tiny(classes = 10) {
    input 3x16x16
    conv1: conv 3x3, 16, stride: 2, bias: true;  relu
    inception4a: conv 3x3, 16, bias: true
    aux1: side(classes)
    inception4b: conv 3x3, 32, stride: 2, bias: true, from: inception4a
    aux2: side(classes)
    avgpool from: inception4b;  fc: fc classes
    auxiliary aux1.fc2, aux2.fc2
}
"""


@pytest.fixture(scope="module")
def graph():
    return resdsl.graph_from_text(SOURCE, "tiny")


def side_head(model, name, x):
    """The plain torch computation of one side classifier."""
    head = model.get_submodule(name)
    y = torch.relu(head.conv(torch.nn.functional.avg_pool2d(x, 2, 2)))
    return head.fc2(torch.relu(head.fc1(torch.flatten(y, 1))))


def test_training_returns_every_head_and_evaluation_the_main_one(graph):
    model = build_module(graph)
    x = torch.randn(2, 3, 16, 16)
    trained = model.train()(x)
    assert list(trained) == ["out", "aux1.fc2", "aux2.fc2"]
    a = model.inception4a(torch.relu(model.conv1(x)))
    b = model.inception4b(a)
    torch.testing.assert_close(trained["aux1.fc2"], side_head(model, "aux1", a))
    torch.testing.assert_close(trained["aux2.fc2"], side_head(model, "aux2", b))
    evaluated = model.eval()(x)  # no norm or dropout: the same main output
    assert isinstance(evaluated, torch.Tensor)
    torch.testing.assert_close(evaluated, trained["out"])


def test_the_heads_count_in_parameters_and_multiply_adds_run_in_training_only(graph):
    model = build_module(graph)
    assert sum(d["params"] for _, d in graph.nodes(data=True)) == \
        sum(p.numel() for p in model.parameters())
    # each side head, by hand: at 4a (16 x 8 x 8, pooled to 4x4) a conv 16 -> 8 with bias, fc
    # 8x4x4 -> 16 -> 10; at 4b (32 x 4 x 4, pooled to 2x2) a conv 32 -> 8, fc 8x2x2 -> 16 -> 10
    heads = (16 * 8 + 8 + 128 * 16 + 16 + 16 * 10 + 10) + (32 * 8 + 8 + 32 * 16 + 16 + 16 * 10 + 10)
    main = sum(graph.nodes[n]["params"] for n in graph if not n.startswith("aux"))
    assert sum(p.numel() for n, p in model.named_parameters() if n.startswith("aux")) == heads
    assert main + heads == sum(p.numel() for p in model.parameters())
    ours = sum(d["macs"] for _, d in graph.nodes(data=True))
    side = sum(d["macs"] for n, d in graph.nodes(data=True) if n.startswith("aux"))
    x = torch.randn(1, 3, 16, 16)
    for mode, want in (("train", ours), ("eval", ours - side)):
        getattr(model, mode)()
        with FlopCounterMode(display=False) as counter:
            model(x)
        assert counter.get_total_flops() == 2 * want, mode


def test_auxiliary_heads_survive_the_ir_and_the_python_export(graph):
    again = load(json.loads(dumps(graph)))
    assert [o.auxiliary for o in again.graph["outputs"]] == [False, True, True]
    model, rebuilt = build_module(graph), build_module(again)
    rebuilt.load_state_dict(model.state_dict())
    namespace: dict = {}
    exec(compile(python_source(model, graph), "<export>", "exec"), namespace)
    exported = namespace[type(model).__name__]()
    exported.load_state_dict(model.state_dict())
    x = torch.randn(2, 3, 16, 16)
    for other in (rebuilt, exported):
        assert list(other.train()(x)) == ["out", "aux1.fc2", "aux2.fc2"]
        torch.testing.assert_close(other.eval()(x), model.eval()(x))


def test_taps_replace_the_auxiliary_heads():
    graph = resdsl.graph_from_text(SOURCE + "backbone = tiny with outputs inception4b\n", "backbone")
    assert [(o.name, o.auxiliary) for o in graph.graph["outputs"]] == [("inception4b", False)]
    assert not any(n.startswith("aux") for n in graph)


def test_auxiliary_belongs_to_the_network_and_names_a_layer():
    with pytest.raises(resdsl.ResdslError) as err:
        resdsl.graph_from_text(SOURCE.replace("auxiliary aux1.fc2", "auxiliary aux1.fc9"), "tiny")
    assert err.value.code == "E202" and "aux1.fc9" in err.value.message
    with pytest.raises(resdsl.ResdslError) as err:
        resdsl.graph_from_text("block b() { conv 1x1, 4;  auxiliary conv }\n"
                               "network n { input 3x4x4;  stage s: b() x 1 }", "n")
    assert err.value.code == "E316"


def test_the_heads_loss_weight_is_declared_with_them_and_travels_with_the_graph():
    two = SOURCE.replace("auxiliary aux1.fc2, aux2.fc2",
                         "auxiliary aux1.fc2, weight: 0.3\n    auxiliary aux2.fc2, weight: w * 2")
    graph = resdsl.graph_from_text(two.replace("network tiny(classes = 10)", "network tiny(classes = 10, w = 0.25)"),
                                   "tiny")
    assert [(o.name, o.weight) for o in graph.graph["outputs"]] == [("out", None), ("aux1.fc2", 0.3),
                                                                     ("aux2.fc2", 0.5)]
    assert [o.weight for o in load(json.loads(dumps(graph))).graph["outputs"]] == [None, 0.3, 0.5]
    unweighted = resdsl.graph_from_text(SOURCE, "tiny")  # a file without weights reads as before
    assert "weight" not in json.dumps(json.loads(dumps(unweighted))["outputs"])


@pytest.mark.parametrize("option, code, says", [
    ("weight: -1", "E320", "loss 'weight' is a number of at least 0, not the number -1"),
    ("weight: true", "E320", "not a boolean"),
    ("weigth: 0.3", "E202", "unknown option of auxiliary 'weigth'"),
    ("weight: 0.3, weight: 0.4", "E309", "'weight' is given twice"),
    ("weight: heads", "E202", "unknown name 'heads'"),
])
def test_a_wrong_weight_is_named_where_it_is_written(option, code, says):
    text = SOURCE.replace("auxiliary aux1.fc2, aux2.fc2", f"auxiliary aux1.fc2, aux2.fc2, {option}")
    with pytest.raises(resdsl.ResdslError) as err:
        resdsl.graph_from_text(text, "tiny")
    found = err.value.errors[0]
    assert found.code == code and says in found.message, found.message
    line = text.splitlines()[found.span.line - 1]
    assert "auxiliary" in line and found.span.column - 1 >= line.index(option)  # at the option
