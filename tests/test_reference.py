"""The bundled ResNets against the paper's Table 1 and torchvision's published figures."""

import pytest

import resdsl
from resdsl.netgraph.infer import totals

# torchvision's model documentation (see shared/REFERENCE.md)
TORCHVISION_PARAMS = {
    "resnet18": 11_689_512, "resnet34": 21_797_672, "resnet50": 25_557_032,
    "resnet101": 44_549_160, "resnet152": 60_192_808,
}
# Table 1: output size of each layer group at 224x224
TABLE1_SIZES = {"conv1": 112, "maxpool": 56, "layer1": 56, "layer2": 28, "layer3": 14, "layer4": 7}
# Table 1: blocks per stage
TABLE1_DEPTHS = {
    "resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3), "resnet50": (3, 4, 6, 3),
    "resnet101": (3, 4, 23, 3), "resnet152": (3, 8, 36, 3),
}
# Table 1 channels at the end of each stage: 64..512 for basic, 4x for bottleneck
BASIC_WIDTHS, BOTTLENECK_WIDTHS = (64, 128, 256, 512), (256, 512, 1024, 2048)


def stage_end(graph, stage):
    return graph.nodes[next(s.last for s in graph.graph["stages"] if s.name == stage)]


@pytest.mark.parametrize("name", list(TORCHVISION_PARAMS) + [n + "_v1" for n in ("resnet50", "resnet101", "resnet152")])
def test_table1_output_sizes_and_widths(name):
    graph = resdsl.graph(name)
    assert graph.nodes["conv1"]["out_shape"][1:] == (112, 112)
    assert graph.nodes["maxpool"]["out_shape"][1:] == (56, 56)
    base = name.removesuffix("_v1")
    widths = BASIC_WIDTHS if base in ("resnet18", "resnet34") else BOTTLENECK_WIDTHS
    for stage, width in zip(("layer1", "layer2", "layer3", "layer4"), widths):
        size = TABLE1_SIZES[stage]
        assert stage_end(graph, stage)["out_shape"] == (width, size, size)
    assert [s.repeat for s in graph.graph["stages"]] == list(TABLE1_DEPTHS[base])
    assert totals(graph)["outputs"] == {"out": (1000,)}


@pytest.mark.parametrize("name,params", TORCHVISION_PARAMS.items())
def test_parameter_counts_equal_torchvision(name, params):
    assert totals(resdsl.graph(name))["params"] == params


@pytest.mark.parametrize("name,depth", [("resnet18", 18), ("resnet34", 34), ("resnet50", 50),
                                        ("resnet101", 101), ("resnet152", 152), ("plain34", 34)])
def test_depth_is_the_papers(name, depth):
    assert totals(resdsl.graph(name))["depth"] == depth


@pytest.mark.parametrize("name", ["resnet50", "resnet101", "resnet152"])
def test_both_bottleneck_layouts_have_the_same_parameters(name):
    # moving the stride between the 1x1 and the 3x3 changes cost, not weights
    assert totals(resdsl.graph(name))["params"] == totals(resdsl.graph(name + "_v1"))["params"]
    assert resdsl.graph(name).nodes["layer2.0.conv2"]["args"]["stride"] == (2, 2)
    assert resdsl.graph(name + "_v1").nodes["layer2.0.conv1"]["args"]["stride"] == (2, 2)


def shortcut_nodes(graph):
    return [n for n, d in graph.nodes(data=True) if d["scope"].get("branch") == "shortcut"]


def test_plain34_is_resnet34_without_shortcuts():
    plain, res = resdsl.graph("plain34"), resdsl.graph("resnet34")
    assert not [e for e in plain.edges(data=True) if e[2].get("role") == "shortcut"]
    assert not [n for n, d in plain.nodes(data=True) if d["op"] == "add"]
    # the same multiply-adds as the residual net's layers; only the projections differ
    main_path = sum(d["macs"] for n, d in res.nodes(data=True) if n not in shortcut_nodes(res))
    assert totals(plain)["macs"] == main_path
    # with parameter-free shortcuts (option A, the paper's comparison) they are equal outright
    resnet34_a = resdsl.graph("resnet34_a")
    assert totals(plain)["macs"] == totals(resnet34_a)["macs"]
    assert totals(plain)["params"] == totals(resnet34_a)["params"]


def test_option_a_adds_no_parameters():
    a, plain = resdsl.graph("resnet34_a"), resdsl.graph("plain34")
    pads = [n for n, d in a.nodes(data=True) if d["op"] == "pad_shortcut"]
    assert len(pads) == 3  # conv3_1, conv4_1, conv5_1 increase dimensions
    assert all(a.nodes[n]["params"] == 0 for n in pads)
    assert totals(a)["params"] == totals(plain)["params"]


def test_option_b_projects_only_where_dimensions_grow():
    b = resdsl.graph("resnet34_b")
    projections = {n.rsplit(".downsample", 1)[0] for n in shortcut_nodes(b)}
    assert projections == {"layer2.0", "layer3.0", "layer4.0"}


def test_option_c_projects_on_every_block():
    c, b = resdsl.graph("resnet34_c"), resdsl.graph("resnet34_b")
    blocks = {(d["scope"]["stage"], d["scope"]["block"]) for _, d in c.nodes(data=True)
              if d["scope"].get("stage")}
    assert len(blocks) == 16
    convs = [n for n in shortcut_nodes(c) if c.nodes[n]["op"] == "conv"]
    assert len(convs) == 16
    # each identity shortcut became a 1x1 conv + BN: width^2 + 2*width parameters
    extra = sum(w * w + 2 * w for w, n in ((64, 3), (128, 3), (256, 5), (512, 2)) for _ in range(n))
    assert totals(c)["params"] - totals(b)["params"] == extra


def test_every_residual_merge_has_one_shortcut_edge():
    graph = resdsl.graph("resnet50")
    adds = [n for n, d in graph.nodes(data=True) if d["op"] == "add"]
    assert len(adds) == 16
    for node in adds:
        roles = sorted(d["role"] for _, _, d in graph.in_edges(node, data=True))
        assert roles == ["residual", "shortcut"]


def test_node_ids_are_torchvision_module_paths():
    graph = resdsl.graph("resnet50")
    for name in ("conv1", "bn1", "maxpool", "layer1.0.conv1", "layer1.0.downsample.0",
                 "layer1.0.downsample.1", "layer4.2.bn3", "avgpool", "fc"):
        assert name in graph
    assert graph.nodes["layer3.5.conv2"]["scope"] == {"stage": "layer3", "block": 5,
                                                      "block_type": "bottleneck"}
