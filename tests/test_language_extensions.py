"""Language additions made for the architecture library, each on a small network."""

import resdsl
from resdsl.infer import totals

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
