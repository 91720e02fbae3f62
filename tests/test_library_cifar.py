"""The CIFAR-10 family of the paper's sec. 4.2 against Table 6 and a count made by hand."""

import pytest

import resdsl
from resdsl.netgraph.infer import totals

# Table 6: n, params in millions as the paper prints them
TABLE6 = {"resnet20": (3, "0.27"), "resnet32": (5, "0.46"), "resnet44": (7, "0.66"),
          "resnet56": (9, "0.85"), "resnet110": (18, "1.7"), "resnet1202": (200, "19.4")}


def params_by_hand(n: int, classes: int = 10) -> int:
    """3x3 convs without bias, a BN (scale and shift) after each, a 64 -> classes fc."""
    total = 3 * 16 * 9 + 2 * 16
    cin = 16
    for width in (16, 32, 64):
        for _ in range(n):
            total += (cin * width + width * width) * 9 + 2 * (2 * width)
            cin = width
    return total + 64 * classes + classes


def rounds_to(value: float, printed: str) -> bool:
    """True when `value`, in millions, prints as the paper's figure at its precision."""
    decimals = len(printed.partition(".")[2])
    return f"{value / 1e6:.{decimals}f}" == printed


@pytest.mark.parametrize("name", TABLE6)
def test_resnet_parameters_are_table6s(name):
    n, printed = TABLE6[name]
    figures = totals(resdsl.graph(name))
    assert figures["params"] == params_by_hand(n)
    assert rounds_to(figures["params"], printed)
    assert figures["depth"] == 6 * n + 2


@pytest.mark.parametrize("name", [n for n in TABLE6 if n != "resnet1202"])
def test_plain_counterparts_have_the_same_layers_and_parameters(name):
    res, plain = resdsl.graph(name), resdsl.graph(name.replace("resnet", "plain"))
    assert totals(plain)["params"] == totals(res)["params"]
    assert totals(plain)["macs"] == totals(res)["macs"]  # option A shortcuts cost nothing
    assert totals(plain)["depth"] == totals(res)["depth"]
    assert not [n for n, d in plain.nodes(data=True) if d["op"] in ("add", "pad_shortcut")]


def test_stages_run_on_32_16_and_8_pixel_maps_with_16_32_64_filters():
    graph = resdsl.graph("resnet56")
    ends = [graph.nodes[s.last]["out_shape"] for s in graph.graph["stages"]]
    assert ends == [(16, 32, 32), (32, 16, 16), (64, 8, 8)]
    pads = sorted(n for n, d in graph.nodes(data=True) if d["op"] == "pad_shortcut")
    assert pads == ["layer2.0.shortcut", "layer3.0.shortcut"]


def test_mxnet_example_is_resnet20_with_projections_on_28x28_crops():
    graph = resdsl.graph("resnet20_mxnet")
    assert graph.graph["input"] == (3, 28, 28)
    assert graph.nodes["layer3.2.conv2"]["out_shape"] == (64, 7, 7)
    projections = sorted(n for n, d in graph.nodes(data=True) if d["scope"].get("branch"))
    assert projections == ["layer2.0.downsample.0", "layer2.0.downsample.1",
                           "layer3.0.downsample.0", "layer3.0.downsample.1"]
    # two 1x1 projections (16->32, 32->64), each with a BN
    extra = 16 * 32 + 2 * 32 + 32 * 64 + 2 * 64
    assert totals(graph)["params"] == params_by_hand(3) + extra
