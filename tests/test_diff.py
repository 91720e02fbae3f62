"""`resdsl diff`: what differs between two networks, checked against hand arithmetic."""

import json

import resdsl
from resdsl.analysis.diff import diff

from .cli import cli

# moving the stride of a down-sampling bottleneck from the 3x3 to the first 1x1 runs that 1x1
# (cin -> width) at the output size instead of the input size: cin * width * (4 - 1) * out^2
V1_SAVING = {"layer2": 256 * 128 * 3 * 28 * 28, "layer3": 512 * 256 * 3 * 14 * 14,
             "layer4": 1024 * 512 * 3 * 7 * 7}
# ResNet-34's projection shortcuts (1x1 conv, no bias, and BN) at conv3_1, conv4_1, conv5_1
PROJECTIONS = {"layer2": (64 * 128 * 28 * 28, 64 * 128 + 2 * 128),
               "layer3": (128 * 256 * 14 * 14, 128 * 256 + 2 * 256),
               "layer4": (256 * 512 * 7 * 7, 256 * 512 + 2 * 512)}


def by_what(data):
    return {d["what"]: d for d in data["differences"]}


def test_torchvision_against_paper_layout():
    data = diff(resdsl.graph("resnet50"), resdsl.graph("resnet50_v1"))
    changes = {s["name"]: s for s in data["stages"]}
    assert all(s["params_change"] == 0 for s in data["stages"])
    for name, stage in changes.items():
        assert stage["macs_change"] == -V1_SAVING.get(name, 0), name
    assert data["totals"]["macs_change"] == -sum(V1_SAVING.values())
    found = by_what(data)
    assert found["stride placement"]["where"] == "layer2, layer3, layer4"
    assert found["stride placement"]["a"] == "stride 2 on the 3x3 conv (conv2)"
    assert found["stride placement"]["b"] == "stride 2 on the first 1x1 conv (conv1)"
    assert found["block type"] == {"what": "block type", "where": "layer1, layer2, layer3, layer4",
                                   "a": "bottleneck", "b": "bottleneck_v1"}
    args = [d for d in data["differences"] if d["what"] == "arguments"]
    assert {(d["where"], d["a"], d["b"]) for d in args} == {
        ("layer2.0.conv1, layer3.0.conv1, layer4.0.conv1", "stride 1", "stride 2"),
        ("layer2.0.conv2, layer3.0.conv2, layer4.0.conv2", "stride 2", "stride 1")}


def test_resnet34_against_plain34():
    data = diff(resdsl.graph("resnet34"), resdsl.graph("plain34"))
    for stage in data["stages"]:
        macs, params = PROJECTIONS.get(stage["name"], (0, 0))
        # every change is in the shortcut branches: the main paths are the same
        assert stage["macs_change"] == stage["shortcut_macs_change"] == -macs
        assert stage["params_change"] == stage["shortcut_params_change"] == -params
    found = by_what(data)
    assert (found["shortcut option"]["a"], found["shortcut option"]["b"]) == ("B", "none")
    shortcuts = {d["where"]: (d["a"], d["b"]) for d in data["differences"] if d["what"] == "shortcuts"}
    assert shortcuts["layer1"] == ("all identity", "all without a shortcut")
    assert shortcuts["layer2"] == ("projection on layer2.0; identity on the rest",
                                   "all without a shortcut")
    only = {d["where"]: d["a"] for d in data["differences"] if d["what"] == "layers only in resnet34"}
    assert only == {"layer1": "3 add", "layer2": "1 conv, 1 bn, 4 add",
                    "layer3": "1 conv, 1 bn, 6 add", "layer4": "1 conv, 1 bn, 3 add"}


def test_option_a_against_plain_differs_in_structure_only():
    data = diff(resdsl.graph("resnet34_a"), resdsl.graph("plain34"))
    assert data["totals"]["macs_change"] == data["totals"]["params_change"] == 0
    assert by_what(data)["shortcut option"]["a"] == "A"


def test_depth_widths_and_input_changes():
    a = resdsl.graph("resnet18")
    b = resdsl.graph("resnet34", input_shape=(3, 160, 160))
    found = {(d["what"], d["where"]): (d["a"], d["b"]) for d in diff(a, b)["differences"]}
    assert found[("input", "network")] == ("3x224x224", "3x160x160")
    assert found[("blocks", "layer3")] == ("2", "6")
    assert found[("output size", "layer4")] == ("512x7x7", "512x5x5")
    text = """
use "blocks.rdsl"
network wide {
    input 3x224x224
    conv1: conv 7x7, 64, stride: 2;  bn1: bn;  relu
    maxpool 3x3, stride: 2
    stage layer1 "conv2_x": basic(128) x 2
    stage layer2 "conv3_x": basic(128) x 2, stride: 2
    stage layer3 "conv4_x": basic(256) x 2, stride: 2
    stage layer4 "conv5_x": bottleneck(128) x 2, stride: 2
    avgpool;  fc: fc 1000
}
"""
    found = {(d["what"], d["where"]): (d["a"], d["b"])
             for d in diff(a, resdsl.graph_from_text(text))["differences"]}
    assert found[("width", "layer1")] == ("64", "128")
    assert found[("block type", "layer4")] == ("basic", "bottleneck")
    assert found[("arguments", "layer1.0.conv1, layer1.0.conv2, layer1.1.conv1, layer1.1.conv2")] \
        == ("out 64", "out 128")


def test_identical_networks_have_no_differences():
    data = diff(resdsl.graph("resnet34"), resdsl.graph("resnet34_b"))
    assert data["differences"] == []
    assert data["totals"]["macs_change"] == 0


def test_diff_command():
    result = cli("diff", "resnet50", "resnet50_v1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "stride placement (layer2, layer3, layer4): stride 2 on the 3x3 conv (conv2) -> " \
           "stride 2 on the first 1x1 conv (conv1)" in out
    assert "-77.1M" in out and "the paper's convention" in out
    data = json.loads(cli("diff", "resnet34", "architectures/resnet.rdsl:plain34",
                          "--format", "json").stdout)
    assert (data["a"], data["b"]) == ("resnet34", "plain34")
    assert data["totals"]["macs_change"] == -sum(m for m, _ in PROJECTIONS.values())


def test_diff_needs_one_network_each():
    result = cli("diff", "architectures/resnet.rdsl", "resnet18")
    assert result.returncode == 2 and "architectures/resnet.rdsl:NAME" in result.stderr
    result = cli("diff", "resnet18", "resnet5O")
    assert result.returncode == 1 and "did you mean" in result.stderr
