"""The ResNet's descendants against their papers' figures, torchvision's and counts by hand."""

import math

import pytest

from resdsl.netgraph.infer import totals

from .library_siblings import network


def weights_of(graph, ops=("conv", "fc")) -> int:
    """Parameters of convolutions and fully connected layers only (no BN scales and shifts)."""
    return sum(d["params"] for _, d in graph.nodes(data=True) if d["op"] in ops)


def nodes(graph, op):
    return sorted(n for n, d in graph.nodes(data=True) if d["op"] == op)


# -- pre-activation (He et al. 2016) ---------------------------------------------------------------

@pytest.mark.parametrize("name,depth,printed", [("preact_resnet110", 110, 1.7),
                                                ("preact_resnet164", 164, 1.7),
                                                ("preact_resnet1001", 1001, 10.2)])
def test_preact_parameters_are_the_papers(name, depth, printed):
    graph = network(name)
    assert totals(graph)["depth"] == depth
    # the paper's figures round the weights of convs and fcs; BN adds 1-1.5% on top
    assert round(weights_of(graph) / 1e6, 1) == printed
    assert totals(graph)["params"] == pytest.approx(printed * 1e6, rel=0.02)


def test_preact_resnet164_matches_the_reference_count():
    # KaimingHe/resnet-1k-layers, depth 164: bottlenecks 16/32/64 (x4 out), projections as
    # bare 1x1 convs; counted by hand per block: in*b + 9b^2 + b*4b weights, BN on in, b, b
    total, cin = 3 * 16 * 9, 16
    for b in (16, 32, 64):
        for i in range(18):
            total += cin * b + 9 * b * b + b * 4 * b + 2 * (cin + 2 * b)
            if i == 0:
                total += cin * 4 * b
            cin = 4 * b
    total += 2 * 256 + 256 * 10 + 10
    assert totals(network("preact_resnet164"))["params"] == total == 1_703_258


def test_preact_block_order_and_projection_from_the_preactivated_input():
    graph = network("preact_resnet164")
    block = [n.removeprefix("layer2.0.") for n in graph if n.startswith("layer2.0.")]
    assert block == ["bn1", "relu1", "conv1", "bn2", "relu2", "conv2", "bn3", "relu3", "conv3",
                     "downsample.0", "add"]
    # nothing after the addition: the next block starts with its BN
    assert list(graph.successors("layer2.0.add")) == ["layer2.1.bn1", "layer2.1.add"]
    # the projection is a bare conv reading relu1, with the block's stride
    assert list(graph.predecessors("layer2.0.downsample.0")) == ["layer2.0.relu1"]
    assert graph.nodes["layer2.0.downsample.0"]["args"]["stride"] == (2, 2)
    assert "layer2.0.downsample.1" not in graph
    # identity shortcuts take the block's raw input, not its pre-activation
    assert set(graph.predecessors("layer2.1.add")) == {"layer2.1.conv3", "layer2.0.add"}


# -- Wide ResNets --------------------------------------------------------------------------------

@pytest.mark.parametrize("name,printed", [("wrn28_10", "36.5"), ("wrn40_4", "8.9"),
                                          ("wrn16_8", "11.0")])
def test_cifar_wide_resnets_have_the_papers_parameters(name, printed):
    assert f"{totals(network(name))['params'] / 1e6:.1f}" == printed


def test_wrn28_10_widths():
    graph = network("wrn28_10")
    ends = [graph.nodes[s.last]["out_shape"] for s in graph.graph["stages"]]
    assert ends == [(160, 32, 32), (320, 16, 16), (640, 8, 8)]
    assert [s.repeat for s in graph.graph["stages"]] == [4, 4, 4]


# -- squeeze-and-excitation -----------------------------------------------------------------------

def test_se_resnet50_params_are_the_se_papers():
    se, base = network("se_resnet50"), network("resnet50_v1")
    assert round(totals(se)["params"] / 1e6, 2) == 28.09
    # each SE: fc C -> C/16 and fc C/16 -> C, both with bias
    added = sum(2 * c * (c // 16) + c // 16 + c
                for c, blocks in ((256, 3), (512, 4), (1024, 6), (2048, 3)) for _ in range(blocks))
    assert totals(se)["params"] - totals(base)["params"] == added
    # the fcs are the SE's only multiply-adds under the paper's convention
    assert totals(se)["macs"] - totals(base)["macs"] == sum(
        2 * c * (c // 16) for c, blocks in ((256, 3), (512, 4), (1024, 6), (2048, 3))
        for _ in range(blocks))


@pytest.mark.parametrize("name,params,gflops", [("se_resnet50", 28.09, 3.87),
                                                ("se_resnet101", 49.33, 7.60),
                                                ("se_resnet152", 66.82, 11.32)])
def test_se_resnets_against_the_se_paper(name, params, gflops):
    graph = network(name)
    assert round(totals(graph)["params"] / 1e6, 2) == params
    # the SE paper's GFLOPs also count each SE's pooling and rescaling, one operation per
    # element each; with them ours comes within 0.1% of its figures, without them 0.35%
    ours = totals(graph)["macs"]
    pooled = sum(2 * math.prod(graph.nodes[n]["out_shape"]) for n in nodes(graph, "se"))
    assert (ours + pooled) / 1e9 == pytest.approx(gflops, rel=0.001)
    assert ours / 1e9 == pytest.approx(gflops, rel=0.0035)


def test_se_sits_on_the_branch_before_the_addition():
    graph = network("se_resnet50")
    assert list(graph.predecessors("layer3.2.se")) == ["layer3.2.bn3"]
    assert "layer3.2.se" in graph.predecessors("layer3.2.add")
    assert graph.nodes["layer3.2.se"]["out_shape"] == (1024, 14, 14)


# -- ResNet-D --------------------------------------------------------------------------------------

def test_resnet50d_against_bag_of_tricks_and_the_resnet50_it_changes():
    d, base = network("resnet50d"), network("resnet50")
    assert round(totals(d)["macs"] / 1e9, 1) == 4.3  # Bag of Tricks, Table 5
    # only the stem changes the parameters: three 3x3 convs (32, 32, 64) + 2 BNs for the 7x7
    stem = 3 * 32 * 9 + 32 * 32 * 9 + 32 * 64 * 9 + 2 * (32 + 32)
    assert totals(d)["params"] - totals(base)["params"] == stem - 3 * 64 * 49
    assert round(totals(d)["params"] / 1e6, 2) == 25.58  # timm's resnet50d


def test_resnet_d_shortcut_pools_then_projects_with_stride_1():
    graph = network("resnet50d")
    pool = graph.nodes["layer2.0.downsample.0"]
    assert pool["op"] == "avgpool" and pool["args"]["kernel"] == (2, 2)
    assert pool["out_shape"] == (256, 28, 28)
    conv = graph.nodes["layer2.0.downsample.1"]
    assert conv["args"]["stride"] == (1, 1) and conv["out_shape"] == (512, 28, 28)
    # no pool where only the channels change
    assert "layer1.0.downsample.0" not in graph and "layer1.0.downsample.1" in graph
    # the deep stem under timm's names: an nn.Sequential conv1.0 ... conv1.6
    assert graph.nodes["conv1.0"]["out_shape"] == (32, 112, 112)
    assert graph.nodes["conv1.6"]["out_shape"] == (64, 112, 112)


# -- DenseNet --------------------------------------------------------------------------------------

TORCHVISION_DENSENET = {"densenet121": (7_978_856, 2.83), "densenet161": (28_681_000, 7.73),
                        "densenet169": (14_149_480, 3.36), "densenet201": (20_013_928, 4.29)}


@pytest.mark.parametrize("name", TORCHVISION_DENSENET)
def test_densenets_match_torchvision(name):
    params, gflops = TORCHVISION_DENSENET[name]
    figures = totals(network(name))
    assert figures["params"] == params
    assert round(figures["macs"] / 1e9, 2) == gflops


def test_densenet121_grows_by_32_and_halves_in_transitions():
    graph = network("densenet121_short")
    # Huang et al., Table 1: 6, 12, 24, 16 layers; 56, 28, 14, 7 pixels
    assert graph.nodes["denseblock1.5.concat"]["out_shape"] == (64 + 6 * 32, 56, 56)
    assert graph.nodes["transition1.pool"]["out_shape"] == (128, 28, 28)
    assert graph.nodes["denseblock2.11.concat"]["out_shape"] == (128 + 12 * 32, 28, 28)
    assert graph.nodes["transition3.pool"]["out_shape"] == (512, 7, 7)
    assert graph.nodes["denseblock4.15.concat"]["out_shape"] == (1024, 7, 7)
    # the block's input comes first in the concatenation, as in DenseNet
    roles = [d["role"] for _, _, d in sorted(graph.in_edges("denseblock1.0.concat", data=True),
                                             key=lambda e: e[2]["port"])]
    assert roles == ["shortcut", "residual"]


# -- highway gates and stochastic depth ------------------------------------------------------------

def test_highway_gates_add_a_1x1_conv_with_bias_per_block():
    gated, resnet = network("highway20"), network("resnet20")
    gates = nodes(gated, "gate")
    assert len(gates) == 9 and not nodes(gated, "add")
    by_hand = sum(c * c + c for c in (16, 32, 64) for _ in range(3))
    projections = 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64  # as option B where dimensions grow
    assert totals(gated)["params"] == totals(resnet)["params"] + by_hand + projections
    gate = gated.nodes["layer3.1.gate"]
    assert gate["macs"] == 8 * 8 * 64 * 64 and gate["out_shape"] == (64, 8, 8)


def test_drop_path_changes_no_shape_and_no_cost():
    for name, base in (("resnet110_sd", "resnet110"), ("resnet110_sd_uniform", "resnet110"),
                       ("resnet50_droppath", "resnet50")):
        dropped, plain = network(name), network(base)
        assert set(dropped) == set(plain)
        for node, data in plain.nodes(data=True):
            other = dropped.nodes[node]
            assert (other["out_shape"], other["macs"], other["params"]) == \
                (data["out_shape"], data["macs"], data["params"])
    assert network("resnet110_sd_uniform").nodes["layer2.4.add"]["args"]["drop"] == 0.5
    assert network("resnet110").nodes["layer2.4.add"]["args"]["drop"] == 0


def test_linear_decay_is_the_stochastic_depth_papers_rule():
    # Huang et al. 2016, eq. 4: block l of L survives with p_l = 1 - l/L (1 - p_L), p_L = 0.5;
    # ResNet-110 has L = 54 residual blocks (18 per stage)
    graph = network("resnet110_sd")
    adds = [n for n in graph if graph.nodes[n]["op"] == "add"]
    assert len(adds) == 54
    for l, node in enumerate(adds, 1):
        survival = 1 - l / 54 * (1 - 0.5)
        assert graph.nodes[node]["args"]["drop"] == pytest.approx(1 - survival)
    assert graph.nodes["layer1.0.add"]["args"]["drop"] == pytest.approx(0.5 / 54)
    assert graph.nodes["layer3.17.add"]["args"]["drop"] == 0.5
