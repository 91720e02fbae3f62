"""Language additions made for the architecture library, each on a small network."""

import resdsl
from resdsl.netgraph.infer import totals

BLOCKS = """
block unit(width, stride = 1, groups = 1, mid = width * 2) {
    conv1: conv 1x1, mid;  conv2: conv 3x3, mid, stride: stride, groups: groups
    conv3: conv 1x1, width
    add shortcut
}
network net(block, classes = 10) {
    input 3x16x16
    conv1: conv 3x3, 8
    stage s1: block(8) x 2
    stage s2: block(16) x 2, stride: 2
    avgpool;  fc: fc classes
}
"""


def test_a_block_with_fixed_arguments_is_a_block():
    text = BLOCKS + "grouped = net(unit(groups: 4, mid: 32))\nplain = net(block: unit)\n"
    grouped = resdsl.graph_from_text(text, "grouped")
    conv = grouped.nodes["s2.1.conv2"]
    assert conv["args"]["groups"] == 4 and conv["out_shape"] == (32, 8, 8)
    assert conv["params"] == 32 * (32 // 4) * 9
    plain = resdsl.graph_from_text(text, "plain")
    assert plain.nodes["s2.1.conv2"]["out_shape"] == (32, 8, 8)  # mid = 2 * width
    assert plain.nodes["s2.1.conv2"]["args"]["groups"] == 1
    assert grouped.graph["params"]["block"].name == "unit"
    assert str(grouped.graph["params"]["block"]) == "unit(groups: 4, mid: 32)"


def test_fixed_arguments_can_be_fixed_again_in_steps():
    text = BLOCKS + """
    network outer(block, wider = block(mid: 32)) {
        input 3x16x16
        conv1: conv 3x3, 8
        stage s1: wider(8) x 1
    }
    n = outer(unit(groups: 2))
    """
    conv = resdsl.graph_from_text(text, "n").nodes["s1.0.conv2"]
    assert conv["args"]["groups"] == 2 and conv["out_shape"] == (32, 16, 16)


def test_parameter_lists_may_break_after_a_comma():
    text = """
    block b(width,
            stride = 1) { conv 3x3, width, stride: stride }
    network n(k = 1,
              m = 2) {
        input 3x8x8
        stage s: b(4 * k * m) x 1
    }
    """
    assert totals(resdsl.graph_from_text(text))["outputs"] == {"out": (8, 8, 8)}


def test_in_channels_is_the_block_inputs_channel_count():
    text = """
    block squeeze(ratio = 4, width = in_channels // ratio) {
        conv 1x1, width;  conv 1x1, in_channels * 3
    }
    network n {
        input 3x8x8
        conv 3x3, 32
        a: squeeze
        b: squeeze 2
    }
    """
    graph = resdsl.graph_from_text(text)
    assert graph.nodes["a.conv"]["out_shape"][0] == 8
    assert graph.nodes["a.conv_1"]["out_shape"][0] == 96
    assert graph.nodes["b.conv"]["out_shape"][0] == 48
    assert graph.nodes["b.conv_1"]["out_shape"][0] == 288


PREACT = """
block unit(width, stride = 1) {
    bn1: bn;  act: relu;  conv1: conv 3x3, width, stride: stride
    bn2: bn;  relu;  conv2: conv 3x3, width
    add shortcut, project_from: act
}
network n {
    input 3x16x16
    conv1: conv 3x3, 8
    stage s1: unit(8) x 1
    stage s2: unit(16) x 1, stride: 2
}
"""


def test_project_from_makes_the_projection_read_a_layer_of_the_block():
    for kind, last in (("B", "downsample.1"), ("C", "downsample.1"), ("preact", "downsample.0"),
                       ("D", "downsample.2")):
        text = PREACT + f"m = n with shortcuts {kind}\n"
        graph = resdsl.graph_from_text(text, "m")
        # the first shortcut node (D's: its average pool) reads the labelled layer
        assert list(graph.predecessors("s2.0.downsample.0")) == ["s2.0.act"], kind
        assert "s2.0." + last in graph.predecessors("s2.0.add"), kind
    # without project_from, the block's input
    graph = resdsl.graph_from_text(PREACT.replace(", project_from: act", "") + "m = n\n", "m")
    assert list(graph.predecessors("s2.0.downsample.0")) == ["s1.0.add"]


def test_option_d_pools_like_torch_on_odd_sizes():
    # 7x7 -> 4x4: a stride-2 3x3 conv gives 4, so the 2x2 pool must round up (ceil mode)
    text = PREACT.replace("input 3x16x16", "input 3x7x7") + "m = n with shortcuts D\n"
    graph = resdsl.graph_from_text(text, "m")
    assert graph.nodes["s2.0.downsample.0"]["out_shape"] == (8, 4, 4)
    assert graph.nodes["s2.0.add"]["out_shape"] == (16, 4, 4)


def test_pool_ceil_mode_follows_torchs_rule():
    torch = __import__("pytest").importorskip("torch")
    for size, kernel, stride, padding in ((7, 2, 2, 0), (8, 3, 2, 1), (5, 3, 2, 1), (6, 3, 3, 0),
                                          (10, 3, 4, 1), (1, 2, 2, 0)):
        text = (f"network n {{\n  input 1x{size}x{size}\n  maxpool {kernel}x{kernel}, stride: "
                f"{stride}, padding: {padding}, ceil: true\n}}\n")
        ours = resdsl.graph_from_text(text).nodes["maxpool"]["out_shape"]
        pool = torch.nn.MaxPool2d(kernel, stride, padding, ceil_mode=True)
        assert ours == tuple(pool(torch.zeros(1, 1, size, size)).shape[1:]), (size, kernel, stride)


# -- linear_decay over the network's blocks (torchvision's EfficientNet rule) -------------------

DECAY = """
block unit(width, stride = 1, drop = 0) {
    conv1: conv 3x3, width, stride: stride;  bn1: bn;  relu
    conv2: conv 3x3, width;  bn2: bn
    add shortcut, drop: drop
}
network net(rate) {
    input 3x16x16
    shortcuts matching
    conv1: conv 3x3, 8
    stage s1: unit(8, drop: rate) x 2
    stage s2: unit(16, drop: rate) x 3, stride: 2
    avgpool;  fc: fc 10
}
"""


def _drops(text, name):
    graph = resdsl.graph_from_text(DECAY + text, name)
    return {n: graph.nodes[n]["args"]["drop"] for n in graph if graph.nodes[n]["op"] == "add"}


def test_linear_decay_over_blocks_counts_the_blocks_without_a_residual_too():
    # s2.0 changes the shape, so under `shortcuts matching` it has no sum: the paper's rule skips
    # it, counting over blocks does not (5 blocks; s2.1 is the 4th, number 3 from 0)
    layers = _drops("a = net(linear_decay(0.4))", "a")
    assert layers == {"s1.0.add": 0.4 * 1 / 4, "s1.1.add": 0.4 * 2 / 4,
                      "s2.1.add": 0.4 * 3 / 4, "s2.2.add": 0.4}
    blocks = _drops("b = net(linear_decay(0.4, over: blocks, start: 0))", "b")
    assert blocks == {"s1.0.add": 0.0, "s1.1.add": 0.4 * 1 / 5,
                      "s2.1.add": 0.4 * 3 / 5, "s2.2.add": 0.4 * 4 / 5}
    from_one = _drops("c = net(linear_decay(0.4, over: blocks))", "c")
    assert from_one["s1.0.add"] == 0.4 / 5 and from_one["s2.2.add"] == 0.4


def test_linear_decay_options_are_checked_where_written():
    import pytest

    from resdsl.core.errors import ResdslError

    for text, words, code in (
            ("a = net(linear_decay(0.4, over: stages))", "'over' is 'layers'", "E327"),
            ("a = net(linear_decay(0.4, start: 2))", "'start' is 0 or 1", "E327"),
            ("a = net(linear_decay(0.4, step: 2))", "unknown argument of linear_decay 'step'", "E202")):
        with pytest.raises(ResdslError) as err:
            resdsl.graph_from_text(DECAY + text, "a")
        assert words in err.value.message and err.value.code == code, err.value.message
    outside = """
    network flat {
        input 3x8x8
        conv1: conv 3x3, 8
        conv2: conv 3x3, 8
        add conv1, drop: linear_decay(0.3, over: blocks)
    }
    """
    with pytest.raises(ResdslError, match="counts blocks"):
        resdsl.graph_from_text(outside, "flat")
