"""Pictures that stay readable for every bundled network: nothing drawn over anything else (read
back from the positions dot computes), one stage alone (--stage), and PNGs too large for Graphviz
refused before any layout."""

import struct

import graphviz
import pytest

import resdsl
from resdsl.language.catalog import network_names
from resdsl.viz import diagram
from resdsl.viz.diagram import drawings
from resdsl.viz.size import PNG_LIMIT, estimate

from .cli import cli
from .dotsource import read
from .graphviz_layout import clashes

# -- nothing over anything: every bundled network, both directions ---------------------------------

@pytest.mark.needs_dot
@pytest.mark.parametrize("name", network_names())  # the bundled list as it is, new networks too
def test_every_bundled_network_draws_at_block_level_without_clashes(name):
    graph = resdsl.graph(name)
    for direction in ("TB", "LR"):
        assert clashes(diagram(graph, "block", direction=direction)) == [], direction


@pytest.mark.needs_dot
def test_clashes_are_seen():
    """The check above can fail: two boxes in one place, a label on a box, an arrow through one."""
    dot = graphviz.Digraph(graph_attr={"rankdir": "LR"}, node_attr={"shape": "box"})
    dot.node("a", pos="0,0!")
    dot.node("b", pos="0.3,0!")  # inches: closer than a box is wide
    assert any(c.startswith("box a overlaps box b") for c in clashes(_neato(dot)))
    loop = graphviz.Digraph(graph_attr={"rankdir": "LR"}, node_attr={"shape": "box"})
    loop.node("x", "a block\nof three lines\nof text")
    loop.edge("y", "x")
    loop.edge("x", "z")
    loop.edge("x", "x", "a long label on the arc", tailport="n", headport="s")  # the old arcs
    found = clashes(loop)
    assert "text of x -> x over box y" in found, found


def _neato(dot):
    dot.engine = "neato"
    dot.attr(splines="true")
    return dot


# -- the block level: blocks as boxes wherever they are called, with what they hold ------------------

def test_blocks_outside_stages_are_boxes_of_their_own():
    """MobileNetV2 calls its 17 inverted residual blocks outside stages (Sandler et al. 2018,
    Table 2: 1 + 2 + 3 + 4 + 3 + 3 + 1 bottlenecks): one box each, not one per layer."""
    (d,) = drawings(resdsl.graph("mobilenet_v2"), "block", collapse=False)
    blocks = [b for b in d.boxes if b.kind == "block"]
    assert len(blocks) == 1 + 2 + 3 + 4 + 3 + 3 + 1
    assert all(b.label.startswith("inverted_residual") for b in blocks)
    (folded,) = drawings(resdsl.graph("mobilenet_v2"), "block")  # stride-1 repeats collapse
    assert len(folded.boxes) < len(d.boxes) < 40


@pytest.mark.parametrize("name, line", [
    ("efficientnet_b0", "SE, 4"),  # MBConv: squeeze to a quarter of the block's input (16 / 4)
    ("highway20", "gate"),  # a highway block's transform gate
    ("se_resnet50", "SE, /16"),  # Hu et al.: reduction 16
])
def test_block_boxes_name_attention_and_gates(name, line):
    (d,) = drawings(resdsl.graph(name), "block")
    assert any(line in b.label.split("\n") for b in d.boxes if b.kind == "block")


def test_parallel_branches_are_drawn_side_by_side():
    """Inception-ResNet-A (Szegedy et al. 2016, Figure 16): three towers, 1x1 32 | 1x1 32, 3x3 32 |
    1x1 32, 3x3 48, 3x3 64, concatenated, then a 1x1 conv back to the block's width."""
    (d,) = drawings(resdsl.graph("inception_resnet_a10"), "block")
    (block,) = [b for b in d.boxes if b.label.startswith("inception_resnet_a")]
    towers, join, last = block.rows
    assert [[line.split(",")[0] for line in tower] for tower in towers] == [
        ["1x1 conv"], ["1x1 conv", "3x3 conv"], ["1x1 conv", "3x3 conv", "3x3 conv"]]
    assert [[int(line.split(", ")[1]) for line in tower] for tower in towers] == [[32], [32, 32], [32, 48, 64]]
    assert join == "concat" and last.startswith("1x1 conv")
    # SKNet (Li et al. 2019): two kernels, 3x3 and a dilated 3x3 for 5x5, side by side, summed
    (sk,) = drawings(resdsl.graph("skresnet18"), "block")
    first = next(b for b in sk.boxes if b.kind == "block")
    assert [len(t) for t in first.rows[0]] == [1, 1] and first.rows[1] == "+"
    assert "dilation 2" in first.rows[0][1][0]
    # in the DOT: a table, one cell per tower; blocks without branches stay plain text
    source = diagram(resdsl.graph("inception_resnet_a10"), "block").source
    assert source.count('BGCOLOR="white"') >= 3 and "3x3 conv, 48" in source
    assert "TABLE" not in diagram(resdsl.graph("resnet50"), "block").source


def test_every_activation_is_drawn_small_by_its_role():
    """ReLU6 (MobileNetV2), SiLU (EfficientNet) and the rest: the op table's role, not a list."""
    from resdsl.netgraph.ops import ops_with
    from resdsl.viz.diagram import SMALL, _box_style
    from resdsl.viz.drawing import Box

    activations = ops_with(role="activation")
    assert {"relu", "relu6", "silu", "hardswish"} <= set(activations)
    for op in activations:
        assert _box_style(Box("x", op, ["x"], op)) == SMALL, op
    dot = read(diagram(resdsl.graph("mobilenet_v2"), "layer").source)
    relu6 = [a for n, a in dot.nodes.items() if a["label"] == "ReLU6"]
    assert len(relu6) == 35 and all(a["fontsize"] == SMALL["fontsize"] for a in relu6)  # 1 + 2 x 16 + 1 + 1


def test_only_a_concatenation_that_keeps_its_input_counts_as_growth():
    """DenseNet's layers add their growth to what comes in (+32); SqueezeNet-like fire modules
    concatenate two new branches and are as wide as those."""
    (dense,) = drawings(resdsl.graph("densenet121"), "block")
    assert any(b.label.startswith("dense_layer +32") for b in dense.boxes)
    (inception,) = drawings(resdsl.graph("inception_resnet_v2"), "block")
    mixed = next(b for b in inception.boxes if b.key == "mixed_5b")
    assert mixed.label.startswith("mixed_5b 320")  # 96 + 64 + 96 + 64 channels, 192 in


def test_arcs_run_below_a_box_left_to_right():
    dot = read(diagram(resdsl.graph("resnet34"), "block", direction="LR").source)
    arcs = [a for t, h, a in dot.edges_of_class("shortcut") if t == h]
    assert arcs and all((a["tailport"], a["headport"]) == ("sw", "e") for a in arcs)


# -- one stage alone ------------------------------------------------------------------------------

def test_one_stage_alone_draws_its_layers_between_what_comes_in_and_goes_out():
    graph = resdsl.graph("resnet34")
    dot = read(diagram(graph, "layer", stage="conv3_x").source)  # by its title, as Table 1
    inside = {f"resnet34/{n}" for n, scope in graph.nodes(data="scope") if scope.get("stage") == "layer2"}
    ends = {"resnet34/layer2 (in)", "resnet34/layer2 (out)"}
    assert set(dot.nodes) == inside | ends
    # Table 1: conv3_x takes 56x56 maps of 64 channels and gives 28x28 maps of 128
    assert dot.nodes["resnet34/layer2 (in)"]["label"] == "in: 64x56x56"
    assert dot.nodes["resnet34/layer2 (out)"]["label"] == "out: 128x28x28"
    # 4 blocks: 4 shortcuts into the sums, the first from the stage's input through a projection
    assert len(dot.edges_of_class("shortcut")) == 4
    assert dot.edges_of_class("shortcut-path")[0][0] == "resnet34/layer2 (in)"


def test_stage_on_the_command_line(tmp_path):
    done = cli("viz", "resnet34", "--stage", "layer2", "-o", "-")
    assert done.returncode == 0 and "3x3 conv, 128, /2" in done.stdout and "conv2_x" not in done.stdout
    blocks = cli("viz", "resnet34", "--stage", "layer2", "--level", "block", "-o", "-")
    assert "basic 128 \u00d7 3" in blocks.stdout
    wrong = cli("viz", "resnet34", "--stage", "layer9", "-o", tmp_path / "s.svg")
    assert wrong.returncode == 1 and "error[E1071]: resnet34 has no stage 'layer9'" in wrong.stderr
    assert "layer2 (conv3_x)" in wrong.stderr
    both = cli("viz", "resnet34", "--stage", "layer2", "--level", "stage", "-o", "-")
    assert both.returncode == 2
    assert list(tmp_path.iterdir()) == []


# -- the PNG size guard ---------------------------------------------------------------------------

def test_a_png_too_large_is_refused_before_graphviz_runs(tmp_path):
    """Without dot on the PATH a drawing that reaches Graphviz fails with E901; the guard answers
    E1070 first, so it decided without running dot."""
    (tmp_path / "empty").mkdir()
    no_dot = {"PATH": str(tmp_path / "empty")}
    big = cli("viz", "resnet1202", "--level", "layer", "-o", tmp_path / "r.png", env=no_dot)
    assert big.returncode == 1 and big.stderr.startswith("error[E1070]: the PNG would be about ")
    assert "--level block" in big.stderr and "SVG" in big.stderr
    # ResNet-110 layer by layer fits top to bottom, not left to right (where --fold fits)
    tall = cli("viz", "resnet110", "--level", "layer", "-o", tmp_path / "r.png", env=no_dot)
    assert "error[E901]" in tall.stderr
    wide = cli("viz", "resnet110", "--level", "layer", "--left-to-right", "-o", tmp_path / "r.png",
               env=no_dot)
    assert "error[E1070]" in wide.stderr and "--fold" in wide.stderr and "--stage layer" in wide.stderr
    svg = cli("viz", "resnet1202", "--level", "layer", "-o", tmp_path / "r.svg", env=no_dot)
    assert "E1070" not in svg.stderr  # SVG has no pixel limit
    assert list(tmp_path.iterdir()) == [tmp_path / "empty"]


@pytest.mark.needs_dot
@pytest.mark.parametrize("name, level, direction", [
    ("resnet34", "block", "TB"), ("resnet34", "block", "LR"), ("resnet56", "layer", "TB"),
    ("mobilenet_v2", "block", "TB"), ("inception_resnet_a10", "layer", "LR"),
])
def test_the_size_estimate_is_near_what_dot_draws(name, level, direction):
    graph = resdsl.graph(name)
    guess = estimate(drawings(graph, level), direction)
    png = diagram(graph, level, direction=direction).pipe(format="png", quiet=True)
    width, height = struct.unpack(">II", png[16:24])  # the PNG header's IHDR
    assert max(width, height) < PNG_LIMIT
    assert 0.75 < guess.width / width < 1.35 and 0.75 < guess.height / height < 1.35, (guess, width, height)
