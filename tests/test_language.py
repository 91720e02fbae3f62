"""The language's features, each on a small network written for the test."""

import pytest

import resdsl
from resdsl.core.errors import ResdslError
from resdsl.language.parse import parse
from resdsl.netgraph.infer import totals

CIFAR = """
block basic(width, stride = 1) {
    conv1: conv 3x3, width, stride: stride;  bn1: bn;  relu
    conv2: conv 3x3, width;  bn2: bn
    add shortcut;  relu
}
network cifar(n, k = 1) {
    input 3x32x32
    shortcuts A
    conv1: conv 3x3, 16;  bn1: bn;  relu
    stage layer1: basic(16 * k) x n
    stage layer2: basic(32 * k) x n, stride: 2
    stage layer3: basic(64 * k) x n, stride: 2
    avgpool;  fc: fc 10
}
resnet20 = cifar(3)
resnet56 = cifar(9)
resnet20_b = resnet20 with shortcuts B, input 3x28x28
wide = resnet20 with k: 4
"""


def test_cifar_resnet_depth_is_6n_plus_2():
    for name, n in (("resnet20", 3), ("resnet56", 9)):
        graph = resdsl.graph_from_text(CIFAR, name)
        assert totals(graph)["depth"] == 6 * n + 2
        assert graph.nodes["layer3." + str(n - 1) + ".conv2"]["out_shape"] == (64, 8, 8)


def test_cifar_resnet20_parameter_count_matches_table6():
    # the paper: 0.27M for ResNet-20 with option A shortcuts
    assert round(totals(resdsl.graph_from_text(CIFAR, "resnet20"))["params"] / 1e6, 2) == 0.27


def test_with_changes_shortcuts_input_and_parameters():
    b = resdsl.graph_from_text(CIFAR, "resnet20_b")
    assert b.graph["input"] == (3, 28, 28)
    assert "layer2.0.downsample.0" in b
    assert b.nodes["layer3.2.conv2"]["out_shape"] == (64, 7, 7)
    wide = resdsl.graph_from_text(CIFAR, "wide")
    assert wide.nodes["layer1.0.conv1"]["out_shape"][0] == 64


def test_arithmetic_and_lists():
    text = """
    network n(widths = [8, 16], m = 3) {
        input 3x16x16
        conv 3x3, widths[1] * m + 2 - 1;  conv 1x1, (widths[0] + 8) // 3;  conv 1x1, 12 / 4
    }
    """
    graph = resdsl.graph_from_text(text)
    assert [graph.nodes[n]["out_shape"][0] for n in ("conv", "conv_1", "conv_2")] == [49, 5, 3]


def test_stage_level_shortcut_override():
    text = CIFAR.replace("stage layer2: basic(32 * k) x n, stride: 2",
                         "stage layer2: basic(32 * k) x n, stride: 2, shortcuts: C")
    graph = resdsl.graph_from_text(text, "resnet20")
    assert "layer2.0.downsample.0" in graph and "layer2.2.downsample.0" in graph
    assert "layer3.0.shortcut" in graph  # the network's option A again after the stage


def test_outputs_tap_stages():
    text = CIFAR.replace("avgpool;  fc: fc 10", "outputs layer1, layer2, layer3")
    graph = resdsl.graph_from_text(text, "resnet20")
    assert totals(graph)["outputs"] == {"layer1": (16, 32, 32), "layer2": (32, 16, 16),
                                        "layer3": (64, 8, 8)}


def test_use_finds_files_beside_the_importer_then_the_library(tmp_path):
    (tmp_path / "mine.rdsl").write_text("block tiny(width) {\n  conv 3x3, width\n}\n")
    main = tmp_path / "main.rdsl"
    main.write_text('use "mine.rdsl"\nuse "blocks.rdsl"\n'
                    "network n {\n  input 3x32x32\n  stage a: tiny(8) x 2\n"
                    "  stage b: bottleneck(4) x 1, stride: 2\n}\n")
    graph = resdsl.graph(str(main))
    assert graph.nodes["b.0.conv3"]["out_shape"] == (16, 16, 16)


def test_block_parameter_holds_a_block():
    graph = resdsl.graph("resnet18")
    assert graph.nodes["layer1.0.conv2"]["op"] == "conv"
    assert graph.graph["stages"][0].block == "basic"


def test_derived_network_does_not_inherit_expectations():
    assert resdsl.graph("resnet34").graph["checks"]
    assert all(c.value != 21_797_672 for c in resdsl.graph("resnet34_c").graph["checks"])


def test_every_ast_node_has_a_span():
    module = parse(CIFAR, "cifar.rdsl")
    block = module.items[0]
    layer = block.body[0]
    assert (layer.span.line, layer.span.column) == (3, 5)
    assert (layer.op_span.line, layer.op_span.column) == (3, 12)
    assert layer.span.file == "cifar.rdsl"


def test_keywords_need_a_word_boundary():
    module = parse("blockA = net\n")
    assert module.items[0].name == "blockA"


def test_numbers_with_suffixes_and_underscores():
    module = parse("n = net expect flops 1.8G, params 25_557_032, params 4K\n")
    values = [f.value.value for f in module.items[0].expects[0].figures]
    assert values == [1_800_000_000, 25_557_032, 4000]


def test_limits_guard_deep_nesting():
    with pytest.raises(ResdslError, match="nest"):
        parse("n = net(" + "(" * 5000 + "1" + ")" * 5000 + ")\n")
