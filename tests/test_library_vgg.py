"""VGG against torchvision's published figures and the ResNet paper's 19.6e9 FLOPs."""

import pytest

from resdsl.analysis.check import run_checks
from resdsl.netgraph.infer import totals

from .library_siblings import network, sibling_names

# torchvision's model documentation
TORCHVISION = {"vgg11": (132_863_336, 7.61e9), "vgg13": (133_047_848, 11.31e9),
               "vgg16": (138_357_544, 15.47e9), "vgg19": (143_667_240, 19.63e9),
               "vgg19_paper": (143_667_240, 19.63e9)}
# Simonyan & Zisserman, Table 1: 3x3 convolutions per group (configurations A, B, D, E)
CONVS = {"vgg11": (1, 1, 2, 2, 2), "vgg13": (2, 2, 2, 2, 2), "vgg16": (2, 2, 3, 3, 3),
         "vgg19": (2, 2, 4, 4, 4), "vgg19_paper": (2, 2, 4, 4, 4)}
WIDTHS = (64, 128, 256, 512, 512)


def by_hand(convs):
    """Multiply-adds of convolutions and fully connected layers, from the configuration."""
    macs, cin, size = 0, 3, 224
    for count, width in zip(convs, WIDTHS):
        for _ in range(count):
            macs += size * size * cin * width * 9
            cin = width
        size //= 2
    return macs + 512 * 7 * 7 * 4096 + 4096 * 4096 + 4096 * 1000


@pytest.mark.parametrize("name", TORCHVISION)
def test_vgg_matches_torchvision_and_the_configuration(name):
    graph = network(name)
    figures = totals(graph)
    params, gflops = TORCHVISION[name]
    assert figures["params"] == params
    assert round(figures["macs"] / 1e9, 2) == pytest.approx(gflops / 1e9, abs=0.01)
    assert figures["macs"] == by_hand(CONVS[name])
    assert figures["depth"] == sum(CONVS[name]) + 3


def test_vgg19_is_the_papers_19_6_billion_flops():
    assert round(totals(network("vgg19_paper"))["macs"] / 1e9, 1) == 19.6


def test_vgg19_halves_the_feature_map_after_each_group():
    graph = network("vgg19_paper")
    sizes = [graph.nodes[f"pool{i}"]["out_shape"] for i in range(1, 6)]
    assert sizes == [(64, 112, 112), (128, 56, 56), (256, 28, 28), (512, 14, 14), (512, 7, 7)]
    assert graph.nodes["fc8"]["out_shape"] == (1000,)


def test_siblings_meet_their_published_figures():
    for name in sibling_names():
        built = network(name)
        assert built.graph["checks"], name
        assert run_checks(built) == [], name


def test_the_papers_vgg19_is_torchvisions_under_other_names():
    """Layer for layer the same ops, arguments and shapes; only the names differ."""
    paper, torchvision = network("vgg19_paper"), network("vgg19")

    def layers(graph):
        return [(d["op"], d["args"], d["out_shape"]) for _, d in graph.nodes(data=True) if d["op"] != "input"]
    assert layers(paper) == layers(torchvision) and len(layers(paper)) == 16 * 2 + 5 + 3 + 2 * 2  # conv+relu, pools, fcs, relu+dropout
    assert "pool5" in paper and "features.36" in torchvision
