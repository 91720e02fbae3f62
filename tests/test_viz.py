"""Diagrams: the DOT that `resdsl viz` writes, read back and checked against the graph and the
paper (He et al. 2015, Table 1 and Figure 3), and pictures rendered by Graphviz's dot."""

import xml.etree.ElementTree as ET

import graphviz
import networkx as nx
import pytest

import resdsl
from resdsl.core.resources import architectures_dir
from resdsl.netgraph.builder import layer_nodes
from resdsl.viz import diagram
from resdsl.viz.dot import render

from .cli import cli
from .conftest import ROOT
from .dotsource import read
from .graphviz_layout import crossings, ink_rows, layout, runs, underscores_in_place

# VGG-19 (Simonyan & Zisserman; the paper's Fig. 3 left): 16 convolutions in five stages, 3 fc.
VGG19 = """
block conv_relu(width) {
    conv: conv 3x3, width, bias: true;  relu
}
network vgg19 {
    input 3x224x224
    stage s1 "conv1": conv_relu(64) x 2
    pool1: maxpool 2x2
    stage s2 "conv2": conv_relu(128) x 2
    pool2: maxpool 2x2
    stage s3 "conv3": conv_relu(256) x 4
    pool3: maxpool 2x2
    stage s4 "conv4": conv_relu(512) x 4
    pool4: maxpool 2x2
    stage s5 "conv5": conv_relu(512) x 4
    pool5: maxpool 2x2
    fc6: fc 4096;  relu
    fc7: fc 4096;  relu
    fc8: fc 1000
}
"""

# The paper's CIFAR-10 networks (sec. 4.2), as bundled: 6n+2 layers, option A shortcuts.
CIFAR = (architectures_dir() / "cifar.rdsl").read_text()

# ResNet-34 (Table 1): blocks per stage, and the blocks where dimensions increase (Fig. 3's
# dotted shortcuts): the first of conv3_x, conv4_x and conv5_x.
RESNET34_BLOCKS = 3 + 4 + 6 + 3
RESNET34_INCREASING = 3


def dot_of(name, level, **kwargs):
    return read(diagram(resdsl.graph(name), level, **kwargs).source)


def blocks(graph):
    """Block instances (stage, index) -> their nodes, from the graph's scopes."""
    found = {}
    for node, scope in graph.nodes(data="scope"):
        if "stage" in scope:
            found.setdefault((scope["stage"], scope["block"]), set()).add(node)
    return found


# -- counts per level ------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["resnet34", "plain34", "resnet50", "resnet34_a", "resnet34_c"])
def test_layer_level_draws_every_node_and_edge_of_the_graph(name):
    graph = resdsl.graph(name)
    dot = read(diagram(graph, "layer").source)
    assert set(dot.nodes) == {f"{name}/{n}" for n in graph.nodes}
    assert sorted((t, h) for t, h, _ in dot.edges) == sorted((f"{name}/{u}", f"{name}/{v}")
                                                            for u, v in graph.edges)


@pytest.mark.parametrize("name", ["resnet34", "plain34", "resnet50", "resnet34_a"])
def test_block_level_is_the_quotient_of_the_graph_by_blocks(name):
    graph = resdsl.graph(name)
    found = blocks(graph)
    in_blocks = set().union(*found.values())
    partition = list(found.values()) + [{n} for n in graph.nodes if n not in in_blocks]
    quotient = nx.quotient_graph(graph, partition)
    dot = read(diagram(graph, "block", collapse=False).source)
    adds = sum(1 for _, op in graph.nodes(data="op") if op == "add")
    assert len(dot.nodes) == quotient.number_of_nodes() == len(partition)
    assert len(dot.edges) == quotient.number_of_edges() + adds  # + one shortcut arc per block


def test_block_level_collapses_identical_consecutive_blocks_as_in_table_1():
    dot = dot_of("resnet34", "block")
    block_labels = [a["label"].split("\\n")[0] for a in dot.nodes.values() if "basic" in a["label"]]
    assert block_labels == ["basic 64 \u00d7 3",
                            "basic 128, /2", "basic 128 \u00d7 3",
                            "basic 256, /2", "basic 256 \u00d7 5",
                            "basic 512, /2", "basic 512 \u00d7 2"]
    # each block box also lists its two 3x3 convolutions, as Table 1 does
    assert "basic 128, /2\\n3x3 conv, 128, /2\\n3x3 conv, 128" in dot.labels()


def test_stage_level_one_box_per_stage_with_title_and_repeat():
    graph = resdsl.graph("resnet34")
    dot = read(diagram(graph, "stage").source)
    titles = [a["label"] for a in dot.nodes.values() if a["label"].startswith("conv")]
    assert titles == ["conv2_x\\nbasic 64 \u00d7 3", "conv3_x\\nbasic 128 \u00d7 4, /2",
                      "conv4_x\\nbasic 256 \u00d7 6, /2", "conv5_x\\nbasic 512 \u00d7 3, /2"]
    # input, stem (conv1 ... max pool), 4 stages, head (avg pool, fc): a chain
    assert len(dot.nodes) == 7 and len(dot.edges) == 6
    stem = dot.nodes["resnet34/conv1"]["label"]
    assert stem.startswith("7x7 conv, 64, /2") and stem.endswith("3x3 max pool, /2")


def test_edges_carry_the_output_sizes_of_table_1():
    dot = dot_of("resnet34", "stage")
    # shapes are written where they change: after the stem, conv3_x, conv4_x, conv5_x, the head
    out_of = {t.split("/")[1]: a["label"].strip() for t, _, a in dot.edges if a.get("label")}
    assert out_of == {"conv1": "64x56x56", "layer2": "128x28x28", "layer3": "256x14x14",
                      "layer4": "512x7x7"}
    assert dot.nodes["resnet34/input"]["label"] == "input 3x224x224"
    layer = dot_of("resnet34", "layer")
    shapes = {a["label"].strip() for _, _, a in layer.edges if a.get("label")}
    assert {"64x112x112", "64x56x56", "128x28x28", "256x14x14", "512x7x7", "512x1x1"} <= shapes


def test_stages_are_labelled_clusters():
    dot = dot_of("resnet34", "block")
    titles = {c["attrs"]["label"] for name, c in dot.clusters.items() if name in dot.parent}
    assert titles == {"conv2_x (layer1)", "conv3_x (layer2)", "conv4_x (layer3)", "conv5_x (layer4)"}
    conv4 = dot.clusters["cluster_resnet34/layer3"]["nodes"]
    assert conv4 == ["resnet34/layer3.0", "resnet34/layer3.1-5"]


def test_layer_labels_come_from_the_op_table():
    labels = dot_of("resnet34", "layer").labels()
    for text in ("7x7 conv, 64, /2", "3x3 max pool, /2", "3x3 conv, 128, /2", "1x1 conv, 128, /2",
                 "global avg pool", "fc 1000", "BN", "ReLU", "+"):
        assert text in labels, text


# -- shortcuts ---------------------------------------------------------------------------------

@pytest.mark.parametrize("level", ["layer", "block"])
def test_every_residual_block_has_exactly_one_shortcut_edge(level):
    graph = resdsl.graph("resnet34")
    dot = read(diagram(graph, level, collapse=False).source)
    shortcuts = dot.edges_of_class("shortcut")
    assert len(shortcuts) == RESNET34_BLOCKS
    if level == "layer":
        adds = [f"resnet34/{n}" for n, op in graph.nodes(data="op") if op == "add"]
        assert sorted(h for _, h, _ in shortcuts) == sorted(adds)
    else:  # an arc beside each block's box, from its top to its bottom
        assert sorted(t for t, h, _ in shortcuts if t == h) == sorted(
            f"resnet34/{s}.{b}" for s, b in blocks(graph))
        assert all((a["tailport"], a["headport"]) == ("n", "s") for _, _, a in shortcuts)


@pytest.mark.parametrize("name, dotted, kind", [
    ("resnet34", RESNET34_INCREASING, "projection"),    # option B
    ("resnet34_a", RESNET34_INCREASING, "padding"),     # option A: zero-padding, still dotted
    ("resnet34_c", RESNET34_BLOCKS, "projection"),      # option C: projections everywhere
    ("resnet50", 4, "projection"),                      # 64 -> 256 in conv2_x's first block too
])
@pytest.mark.parametrize("level", ["layer", "block"])
def test_shortcuts_that_change_dimensions_are_dotted_and_identity_solid(name, dotted, kind, level):
    dot = dot_of(name, level, collapse=False)
    shortcuts = dot.edges_of_class("shortcut")
    styles = [a["style"] for _, _, a in shortcuts]
    assert styles.count("dotted") == dotted
    assert styles.count("solid") == RESNET34_BLOCKS - dotted
    assert all(kind in a["class"] for _, _, a in shortcuts if a["style"] == "dotted")
    assert all("identity" in a["class"] for _, _, a in shortcuts if a["style"] == "solid")


def test_projection_arcs_name_their_layer_at_the_block_level():
    dot = dot_of("resnet34", "block")
    arcs = {t.split("/")[1]: a.get("label", "").strip() for t, h, a in dot.edges_of_class("shortcut")}
    assert arcs["layer2.0"] == "1x1 conv, 128, /2"
    assert arcs["layer1.0-2"] == ""
    assert dot_of("resnet34_a", "block").edges_of_class("padding")[0][2]["label"].strip() == "pad to 128, /2"


@pytest.mark.parametrize("level", ["layer", "block", "stage"])
def test_plain_networks_have_no_shortcuts(level):
    dot = dot_of("plain34", level)
    assert dot.edges_of_class("shortcut") == [] and dot.edges_of_class("shortcut-path") == []
    assert all(a.get("style", "solid") == "solid" for _, _, a in dot.edges)


def test_a_vgg_network_without_blocks_with_shortcuts():
    graph = resdsl.graph_from_text(VGG19)
    dot = read(diagram(graph, "block").source)
    assert dot.edges_of_class("shortcut") == []
    firsts = [a["label"].split("\\n")[0] for a in dot.nodes.values() if "conv_relu" in a["label"]]
    # the first convolution of a stage takes the previous width, but is drawn the same
    assert firsts == ["conv_relu 64 \u00d7 2", "conv_relu 128 \u00d7 2", "conv_relu 256 \u00d7 4",
                      "conv_relu 512 \u00d7 4", "conv_relu 512 \u00d7 4"]
    caption = dot.clusters["cluster_vgg19/"]["attrs"]["label"]
    assert "19 weighted layers, 19.6G multiply-adds, 144M params" in caption  # the paper; torchvision


# -- side by side, cost, text ------------------------------------------------------------------------

def test_several_networks_side_by_side_in_columns():
    graphs = [resdsl.graph_from_text(VGG19), resdsl.graph("plain34"), resdsl.graph("resnet34")]
    dot = read(diagram(graphs, "layer").source)
    columns = [name for name in dot.clusters if name not in dot.parent]
    assert columns == ["cluster_vgg19/", "cluster_plain34/", "cluster_resnet34/"]
    for graph, column in zip(graphs, columns):
        assert len(dot.clusters[column]["nodes"]) == graph.number_of_nodes()
    assert len(dot.nodes) == sum(g.number_of_nodes() for g in graphs)
    assert len(dot.edges) == sum(g.number_of_edges() for g in graphs)
    assert len(dot.edges_of_class("shortcut")) == RESNET34_BLOCKS  # only the residual net's


def test_columns_line_up_as_in_figure_3():
    graphs = [resdsl.graph_from_text(VGG19), resdsl.graph("plain34"), resdsl.graph("resnet34")]
    rows = read(diagram(graphs, "layer").source).same_rank
    vgg_rows = [r for r in rows if r[0].startswith("vgg19/")]
    # VGG-19 and the 34-layer nets level at each output size of Fig. 3: 112, 56, 28, 14, 7
    assert vgg_rows == [["vgg19/input", "plain34/input"], ["vgg19/pool1", "plain34/conv1"],
                        ["vgg19/pool2", "plain34/maxpool"], ["vgg19/pool3", "plain34/layer2.0.conv1"],
                        ["vgg19/pool4", "plain34/layer3.0.conv1"], ["vgg19/pool5", "plain34/layer4.0.conv1"],
                        # and Figure 3's bottom: the first fc 4096 beside the average pool, fc 1000 beside fc 1000
                        ["vgg19/fc6", "plain34/avgpool"], ["vgg19/fc8", "plain34/fc"]]
    # the plain and the residual net level layer by layer: every plain layer beside its twin
    plain = resdsl.graph("plain34")
    twins = [r for r in rows if r[0].startswith("plain34/")]
    assert twins == [[f"plain34/{n}", f"resnet34/{n}"] for n in layer_nodes(plain)]


def test_the_same_network_twice_gets_two_columns():
    graph = resdsl.graph("resnet18")
    dot = read(diagram([graph, graph], "block").source)
    assert len([n for n in dot.clusters if n not in dot.parent]) == 2
    assert len(dot.nodes) == 2 * len(read(diagram(graph, "block").source).nodes)


def test_cost_shows_multiply_adds_and_shades_on_one_scale():
    conv1 = 7 * 7 * 3 * 64 * 112 * 112  # Table 1's conv1: 118M multiply-adds
    vgg_conv1_2 = 3 * 3 * 64 * 64 * 224 * 224  # VGG's costliest layer, 1.85G
    graphs = [resdsl.graph_from_text(VGG19), resdsl.graph("resnet34")]
    dot = read(diagram(graphs, "layer", cost=True).source)
    conv1_box = dot.nodes["resnet34/conv1"]
    assert conv1_box["label"] == f"7x7 conv, 64, /2\\n{conv1 / 1e6:.0f}M MACs"
    darkest = [n.removeprefix("vgg19/") for n, a in dot.nodes.items() if a.get("fillcolor") == "/oranges9/9"]
    # width w at size s costs 9 w^2 s^2: (64, 224), (128, 112), (256, 56) and (512, 28) all 1.85G
    assert darkest == ["s1.1.conv", "s2.1.conv", "s3.1.conv", "s3.2.conv", "s3.3.conv",
                       "s4.1.conv", "s4.2.conv", "s4.3.conv"]
    assert all("1.85G MACs" in dot.nodes["vgg19/" + n]["label"] for n in darkest)
    # on the shared scale ResNet-34's convolutions are 16x lighter than VGG's costliest
    assert conv1_box["fillcolor"] == f"/oranges9/{1 + round(8 * conv1 / vgg_conv1_2)}"
    assert dot.nodes["resnet34/layer1.0.relu"]["fillcolor"] == "white"


def test_the_source_is_deterministic_and_needs_no_dot():
    graph = resdsl.graph("resnet50")
    assert diagram(graph, "block").source == diagram(graph, "block").source
    assert render(diagram(graph, "stage"), "dot").startswith(b"digraph")


def test_unknown_level_is_refused():
    with pytest.raises(ValueError, match="stage, block, layer"):
        diagram(resdsl.graph("resnet18"), "module")


# -- with Graphviz's dot ---------------------------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"


def svg_nodes(svg: bytes) -> list:
    root = ET.fromstring(svg)
    return [g for g in root.iter(f"{SVG}g") if g.get("class") == "node"]


@pytest.mark.needs_dot
def test_odd_stage_titles_are_drawn_as_written():
    text = CIFAR.replace("stage layer1:", "stage layer1 \"x\\ny \\l <b>&amp; 'q'\":")
    graph = resdsl.graph_from_text(text, "resnet20")
    title = graph.graph["stages"][0].title
    assert title == "x\\ny \\l <b>&amp; 'q'"  # backslashes as written, not DOT escapes
    svg = render(diagram(graph, "block"), "svg")
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    assert f"{title} (layer1)" in texts


@pytest.mark.needs_dot
def test_deep_cifar_networks_render():
    """Short versions of bench/viz_bench.py: ResNet-110 at the layer level, ResNet-1202 by blocks."""
    r110 = resdsl.graph_from_text(CIFAR, "resnet110")
    assert len(svg_nodes(render(diagram(r110, "layer"), "svg"))) == r110.number_of_nodes()
    r1202 = resdsl.graph_from_text(CIFAR, "resnet1202")
    titles = [t.text for t in ET.fromstring(render(diagram(r1202, "block"), "svg")).iter(f"{SVG}text")]
    # 200 blocks per stage (n = 200): the first of layer2 and layer3 widens, 199 repeat
    assert {"basic 16 \u00d7 200", "basic 32, /2", "basic 32 \u00d7 199", "basic 64 \u00d7 199"} <= set(titles)


# -- the command line ------------------------------------------------------------------------------

SIGNATURES = {"svg": None, "png": b"\x89PNG\r\n\x1a\n", "pdf": b"%PDF-"}


@pytest.mark.needs_dot
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_viz_writes_valid_pictures(tmp_path, fmt):
    out = tmp_path / f"r34.{fmt}"
    result = cli("viz", "resnet34", "-o", out, "--cost")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"wrote {out}\n" and result.stderr == ""
    data = out.read_bytes()
    if fmt == "svg":
        assert len(svg_nodes(data)) == len(dot_of("resnet34", "block").nodes)
    else:
        assert data.startswith(SIGNATURES[fmt]) and len(data) > 10_000
    assert list(tmp_path.iterdir()) == [out]


@pytest.mark.needs_dot
def test_viz_of_several_files_side_by_side_named_after_them(tmp_path):
    (tmp_path / "vgg.rdsl").write_text(VGG19)
    result = cli("viz", "vgg.rdsl", "plain34", f"{resdsl.core.resources.architectures_dir()}/resnet.rdsl:resnet34",
                 "--level", "layer", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    svg = (tmp_path / "vgg19-plain34-resnet34.svg").read_bytes()
    assert len(svg_nodes(svg)) == sum(resdsl.graph(n).number_of_nodes() for n in ("plain34", "resnet34")) \
        + resdsl.graph_from_text(VGG19).number_of_nodes()


def test_viz_writes_dot_to_stdout_or_a_file(tmp_path):
    result = cli("viz", "resnet18", "--level", "stage", "-o", "-")
    assert result.returncode == 0, result.stderr
    assert read(result.stdout).nodes == read(diagram(resdsl.graph("resnet18"), "stage").source).nodes
    assert cli("viz", "resnet18", "-o", tmp_path / "r.dot").returncode == 0
    assert (tmp_path / "r.dot").read_text() == diagram(resdsl.graph("resnet18"), "block").source


def test_without_dot_dot_output_works_and_pictures_fail_with_a_hint(tmp_path):
    no_dot = {"PATH": str(tmp_path / "empty")}  # a PATH where Graphviz's dot is not found
    (tmp_path / "empty").mkdir()
    ok = cli("viz", "resnet18", "-o", tmp_path / "r.dot", env=no_dot)
    assert ok.returncode == 0, ok.stderr
    for fmt in ("svg", "png", "pdf"):
        out = tmp_path / f"r.{fmt}"
        result = cli("viz", "resnet18", "-o", out, env=no_dot)
        assert result.returncode == 1
        assert result.stderr.startswith(f"error[E901]: cannot make a {fmt} file: Graphviz's 'dot' "
                                        "program is not installed")
        assert "apt install graphviz" in result.stderr and "-o NAME.dot" in result.stderr
        assert "Traceback" not in result.stderr and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "r.dot"]


def test_viz_usage_and_input_errors(tmp_path):
    bad_suffix = cli("viz", "resnet18", "-o", tmp_path / "r.jpg")
    assert bad_suffix.returncode == 2 and ".svg" in bad_suffix.stderr
    assert cli("viz", "resnet18", "--level", "module").returncode == 2
    assert cli("viz", "resnet18", "resnet34", "-n", "resnet18").returncode == 2
    assert cli("viz").returncode == 2
    bad = tmp_path / "bad.rdsl"
    bad.write_text("network n {\n  input 3x8x8\n  conv 9x9, 4, padding: 0\n}\n")
    result = cli("viz", bad, "resnet18", "-o", tmp_path / "x.svg")
    assert result.returncode == 1 and f"{bad}:3:3: error[E401]" in result.stderr
    unwritable = cli("viz", "resnet18", "-o", bad / "x.dot")  # a file where a folder should be
    assert unwritable.returncode == 1
    assert unwritable.stderr == f"error[E903]: cannot write {bad / 'x.dot'}: {bad} is not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.rdsl"]


def test_a_very_deep_layer_drawing_comes_with_a_note(tmp_path):
    (tmp_path / "cifar.rdsl").write_text(CIFAR)
    (tmp_path / "empty").mkdir()
    result = cli("viz", "cifar.rdsl:resnet1202", "--level", "layer", "-o", "r.svg", cwd=tmp_path,
                 env={"PATH": str(tmp_path / "empty")})  # no dot: the note, then the error
    assert result.returncode == 1
    assert result.stderr.startswith("note: drawing ") and "--level block" in result.stderr


def test_the_outputs_of_a_backbone_are_named():
    backbone = CIFAR.replace("    avgpool;", "    outputs layer1, layer2, layer3\n    avgpool;")
    for level in ("layer", "block", "stage"):
        dot = read(diagram(resdsl.graph_from_text(backbone, "resnet20"), level).source)
        outputs = {h: a for t, h, a in dot.edges if a["class"] == "output"}
        # the CIFAR stages' feature maps (sec. 4.2): 16, 32, 64 filters on 32, 16, 8 pixels
        assert sorted(dot.nodes[h]["label"] for h in outputs) == [
            "layer1: 16x32x32", "layer2: 32x16x16", "layer3: 64x8x8"]
    single = read(diagram(resdsl.graph_from_text(CIFAR, "resnet20"), "block").source)
    assert single.edges_of_class("output") == []


@pytest.mark.parametrize("picture, networks, level", [
    ("resnet34-blocks.svg", ["resnet34"], "block"),
    ("figure3.svg", ["vgg19_paper", "plain34", "resnet34"], "layer"),
])
def test_the_pictures_in_docs_show_todays_drawing(picture, networks, level):
    """The README's pictures are what `resdsl viz` draws now (regenerate them with the command
    the README gives when this fails)."""
    svg = (ROOT / "docs" / picture).read_bytes()
    assert len(svg) < 350_000  # the three columns of Figure 3 take about 300 KB
    texts = [t.text for t in ET.fromstring(svg).iter(f"{SVG}text")]
    dot = read(diagram([resdsl.graph(n) for n in networks], level).source)
    lines = [line for label in dot.labels() for line in label.split("\\n")]
    assert sorted(t for t in texts if t in set(lines)) == sorted(lines)


def test_a_dense_block_concatenates_its_input_drawn_unlike_a_sum_and_collapsed():
    text = """
    block dense(growth) {
        bn;  relu;  conv: conv 3x3, growth
        concat shortcut
    }
    network tiny_densenet {
        input 3x32x32
        conv0: conv 3x3, 16
        stage dense1: dense(12) x 3
        avgpool;  fc: fc 10
    }
    """
    graph = resdsl.graph_from_text(text)
    dot = read(diagram(graph, "block").source)
    # DenseNet: each layer adds its growth rate of channels (16 + 12k): alike as growth, drawn once
    assert [a["label"] for a in dot.nodes.values() if a["label"].startswith("dense")] == [
        "dense +12 \u00d7 3\\n3x3 conv, 12"]
    arcs = dot.edges_of_class("shortcut")
    assert len(arcs) == 1 and all(a["style"] == "bold" and "concat" in a["label"] for _, _, a in arcs)
    assert len(read(diagram(graph, "block", collapse=False).source).edges_of_class("shortcut")) == 3
    layer = read(diagram(graph, "layer").source)
    concats = [f"tiny_densenet/{n}" for n, op in graph.nodes(data="op") if op == "concat"]
    assert sorted(h for _, h, _ in layer.edges_of_class("shortcut")) == sorted(concats)


# -- the paper's Figure 3: folded layers, output-size margins; direction and resolution ----------

def test_fold_draws_bn_and_relu_inside_their_conv_box_as_figure_3():
    from resdsl.viz.diagram import drawing

    graph = resdsl.graph("resnet34")
    folded = drawing(graph, "layer", fold=True)
    kinds = [b.kind for b in folded.boxes]
    assert "bn" not in kinds and "relu" not in kinds
    # Figure 3 (right): 33 conv boxes (3 of them projections) + the fc, two pools, 16 "+"
    assert kinds.count("conv") == 36 and kinds.count("add") == 16
    assert [b.label for b in folded.boxes[1:3]] == ["7x7 conv, 64, /2", "3x3 max pool, /2"]
    conv1 = folded.boxes[1]
    assert conv1.nodes == ["conv1", "bn1", "relu"]
    # the margin: one "output size" beside the first box of each size, as the figure's left edge
    # (224 for VGG's first conv, then 112 ... 7, and 1 from the pool on: the fc's vector is 1x1)
    assert list(folded.margins.values()) == [f"output size: {s}" for s in (112, 56, 28, 14, 7, 1)]
    vgg = drawing(resdsl.graph("vgg19_paper"), "layer", fold=True)
    assert list(vgg.margins.values()) == [f"output size: {s}" for s in (224, 112, 56, 28, 14, 7, 1)]


def test_fold_direction_and_dpi_reach_the_dot_source():
    dot = resdsl.viz.diagram(resdsl.graph("resnet18"), "layer", fold=True, direction="LR", dpi=150).source
    assert "rankdir=LR" in dot and "dpi=150" in dot and 'xlabel="output size: 56"' in dot
    with pytest.raises(ValueError):
        resdsl.viz.diagram(resdsl.graph("resnet18"), direction="RL")


# -- where dot puts things: titles beside the main path, Figure 3's rows ---------------------------

TITLED = {"resnet34": ["resnet34"], "resnet50": ["resnet50"], "plain34": ["plain34"], "vgg19_paper": ["vgg19_paper"],
          "cifar": ["resnet56"], "figure3": ["vgg19_paper", "plain34", "resnet34"]}


@pytest.mark.needs_dot
@pytest.mark.parametrize("networks", TITLED.values(), ids=TITLED.keys())
def test_the_main_arrow_never_runs_through_a_stage_title(networks):
    graphs = [resdsl.graph(n) for n in networks]
    clusters = len(graphs) + sum(len(g.graph["stages"]) for g in graphs)  # a caption per network
    for level, fold in (("block", False), ("layer", False), ("layer", True)):
        for direction in ("TB", "LR"):
            lay = layout(diagram(graphs, level, fold=fold, direction=direction))
            assert len(lay.titles) == clusters and lay.edges_of_class("main")
            # the curve dot computes for every main-path arrow, against the box of every title;
            # the shortcuts' arcs and paths keep clear of them too
            assert crossings(lay) == [], (level, fold, direction)
            assert crossings(lay, "shortcut") + crossings(lay, "shortcut-path") == [], (level, fold, direction)


@pytest.mark.needs_dot
def test_a_title_crossed_by_an_arrow_is_seen():
    """The check above can fail: a wide title over a narrow column, as resdsl drew it before."""
    dot = graphviz.Digraph(node_attr={"shape": "box"})
    dot.node("a")
    with dot.subgraph(name="cluster_s") as cluster:
        cluster.attr(label="a title much wider than the box", labeljust="l")
        cluster.node("b")
    dot.edge("a", "b", **{"class": "main"})
    assert crossings(layout(dot)) == [("a", "b", "cluster_s")]


@pytest.mark.needs_dot
@pytest.mark.parametrize("fold", [True, False])
def test_figure_3_vgg_fc_rows_level_with_the_resnets_head(fold):
    graphs = [resdsl.graph(n) for n in ("vgg19_paper", "plain34", "resnet34")]
    lay = layout(diagram(graphs, "layer", fold=fold))

    def y(name):
        return lay.nodes[name][1]

    # the paper's Figure 3: VGG-19's first fc 4096 on the row of the 34-layer nets' average pool,
    # its fc 1000 on the row of theirs; its second fc 4096 between them
    for vgg, resnet in (("fc6", "avgpool"), ("fc8", "fc")):
        assert abs(y(f"vgg19_paper/{vgg}") - y(f"plain34/{resnet}")) < 0.5
        assert abs(y(f"vgg19_paper/{vgg}") - y(f"resnet34/{resnet}")) < 0.5
    assert y("vgg19_paper/fc6") > y("vgg19_paper/fc7") > y("vgg19_paper/fc8")
    # and below every convolution of all three columns (y grows upwards)
    convs = [n for n, (*_, attrs) in lay.nodes.items() if attrs.get("label", "").startswith("3x3 conv")]
    assert len(convs) == 16 + 2 * 32 and y("vgg19_paper/fc6") < min(y(n) for n in convs)
    # the rows above stay where they were: each output size level across the columns
    assert abs(y("vgg19_paper/pool5") - y("plain34/layer4.0.conv1")) < 0.5


@pytest.mark.needs_dot
@pytest.mark.parametrize("dpi", [48, 72, 96, 150])
def test_underscores_in_stage_titles_stay_on_their_line_in_png(dpi):
    """`conv2_x` over `basic 64 x 3` (stage level): the underscore keeps a blank pixel row from
    the line below. With Graphviz's own pick for "Helvetica" (DejaVu Sans here) it touched the
    next line at 80 dpi and less (the README's Figure 3 is drawn at 72)."""
    pytest.importorskip("PIL", reason="Pillow reads the PNG's pixels (pip install pillow)")
    source = diagram(resdsl.graph("resnet34"), "stage", dpi=dpi).source
    boxes = [f"resnet34/layer{i}" for i in (1, 2, 3, 4)]
    assert "conv2_x\\nbasic 64" in source  # two lines, an underscore in the first
    drawn = ink_rows(source, dpi, boxes)
    without = ink_rows(source.replace("_x", "-x"), dpi, boxes)
    assert [len(runs(without[b])) for b in boxes] == [2] * 4  # two lines of text found
    assert [underscores_in_place(drawn[b], without[b]) for b in boxes] == [True] * 4


def test_diagram_takes_a_name_as_the_command_line_does():
    """`resdsl.viz.diagram("resnet18")` as `resdsl viz resnet18`; a list of names side by side."""
    import resdsl.viz

    from .cli import cli

    by_name = resdsl.viz.diagram("resnet18").source
    assert by_name == cli("viz", "resnet18", "-o", "-").stdout
    both = resdsl.viz.diagram(["plain34", "architectures/resnet.rdsl:resnet34"], "stage").source
    assert '"plain34/' in both and '"resnet34/' in both
