"""ImageNet descendants against torchvision's published figures and their papers."""

import pytest

from resdsl.netgraph.infer import totals

from .library_siblings import network

# torchvision's model documentation: params, GFLOPS (multiply-adds)
TORCHVISION = {
    "resnext50_32x4d": (25_028_904, 4.23), "resnext101_32x8d": (88_791_336, 16.41),
    "wide_resnet50_2": (68_883_240, 11.40), "wide_resnet101_2": (126_886_696, 22.75),
}


@pytest.mark.parametrize("name", TORCHVISION)
def test_parameters_and_multiply_adds_are_torchvisions(name):
    params, gflops = TORCHVISION[name]
    figures = totals(network(name))
    assert figures["params"] == params
    assert figures["macs"] / 1e9 == pytest.approx(gflops, abs=0.005 if gflops < 20 else 0.05)


@pytest.mark.parametrize("name", TORCHVISION)
def test_same_module_paths_as_the_resnet_they_widen(name):
    base = "resnet50" if "50" in name else "resnet101"
    assert set(network(name)) == set(network(base))


def test_resnext_groups_and_widths():
    # Xie et al., Table 1: conv2_x is [1x1, 128; 3x3, 128, C=32; 1x1, 256]
    graph = network("resnext50_32x4d")
    conv2 = graph.nodes["layer1.0.conv2"]
    assert conv2["args"]["groups"] == 32 and conv2["out_shape"] == (128, 56, 56)
    assert conv2["params"] == 128 * (128 // 32) * 9
    assert graph.nodes["layer4.2.conv2"]["out_shape"] == (1024, 7, 7)
    assert graph.nodes["layer4.2.conv3"]["out_shape"] == (2048, 7, 7)
    # the paper's own figures: 25.0e6 params, 4.2e9 FLOPs
    assert round(totals(graph)["params"] / 1e6, 1) == 25.0
    assert round(totals(graph)["macs"] / 1e9, 1) == 4.2


def test_wide_resnet_doubles_the_bottleneck_only():
    wide, base = network("wide_resnet50_2"), network("resnet50")
    for node in ("layer1.0.conv1", "layer2.3.conv2", "layer4.0.conv2"):
        assert wide.nodes[node]["out_shape"][0] == 2 * base.nodes[node]["out_shape"][0]
    for node in ("layer1.0.conv3", "layer4.2.conv3", "fc"):
        assert wide.nodes[node]["out_shape"] == base.nodes[node]["out_shape"]
