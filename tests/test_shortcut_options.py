"""Shortcut options that choose how projections are made (`shortcuts B, norm: groupnorm,
names: "proj.{0}", bias: true`), and projections written by hand that say they are the shortcut
(`add bn2, shortcut: proj.1`): either way the projection is the shortcut branch, so `depth`
counts the main path only."""

import pytest
import torch

import resdsl
from resdsl.netgraph.infer import totals

from . import torch_support  # noqa: F401  (one torch thread per worker)
from .zoo_support import assert_same_network

BASIC = """
block basic(width, stride = 1) {
    conv1: conv 3x3, width, stride: stride;  bn1: bn;  relu
    conv2: conv 3x3, width;                  bn2: bn
    add shortcut;  relu
}
block hand(width, stride = 1) {
    conv1: conv 3x3, width, stride: stride;  bn1: bn;  relu
    conv2: conv 3x3, width;                  bn2: bn
    proj.0: conv 1x1, width, stride: stride, bias: true, from: input;  proj.1: groupnorm 8
    add bn2, shortcut: proj.1;  relu
}
"""


def network(tmp_path, body: str, extra: str = "", name: str = "n"):
    path = tmp_path / "net.rdsl"
    path.write_text(BASIC + "network n {\n    input 3x32x32\n" + body + "\n}\n" + extra)
    return resdsl.graph(str(path), network=name), path


CIFAR_LIKE = """    conv1: conv 3x3, 16;  bn1: bn;  relu
    stage s1: basic(16) x 1
    stage s2: basic(32) x 2, stride: 2
    avgpool;  fc: fc 10"""


def projection(graph, block: str) -> dict:
    return {n[len(block) + 1:]: (d["op"], d["args"], d["scope"].get("branch"))
            for n, d in graph.nodes(data=True)
            if n.startswith(block + ".") and d["scope"].get("branch") == "shortcut"}


def test_norm_names_and_bias_make_the_projection(tmp_path):
    graph, _ = network(tmp_path, '    shortcuts B, norm: groupnorm(8), bias: true, names: "proj.{0}"\n'
                       + CIFAR_LIKE)
    made = projection(graph, "s2.0")
    assert sorted(made) == ["proj.0", "proj.1"]
    assert made["proj.0"][0] == "conv" and made["proj.0"][1]["bias"] is True
    assert made["proj.0"][1]["stride"] == (2, 2)
    assert made["proj.1"][0] == "groupnorm" and made["proj.1"][1]["groups"] == 8
    assert projection(graph, "s1.0") == {} and projection(graph, "s2.1") == {}  # identity there
    # 1 stem conv, 3 blocks of 2 convs, 1 fc: the projection's conv is not on the main path
    assert totals(graph)["depth"] == 8
    # params: the projection's conv 16 * 32 + 32 (bias), its GroupNorm 2 * 32
    plain, _ = network(tmp_path, "    shortcuts B\n" + CIFAR_LIKE)
    assert totals(graph)["params"] - totals(plain)["params"] == 32  # the conv's bias


def test_norm_none_and_a_list_of_names(tmp_path):
    graph, _ = network(tmp_path, '    shortcuts B, norm: none, names: ["downsample.conv"]\n' + CIFAR_LIKE)
    assert {k: v[0] for k, v in projection(graph, "s2.0").items()} == {"downsample.conv": "conv"}


def test_option_d_numbers_its_pool_first_and_preact_takes_a_norm(tmp_path):
    graph, _ = network(tmp_path, '    shortcuts D, norm: bn(eps: 0.001), names: "proj.{1}"\n' + CIFAR_LIKE)
    made = projection(graph, "s2.0")
    assert {k: v[0] for k, v in made.items()} == {"proj.1": "avgpool", "proj.2": "conv", "proj.3": "bn"}
    assert made["proj.3"][1]["eps"] == 0.001
    graph, _ = network(tmp_path, "    shortcuts preact\n" + CIFAR_LIKE)
    assert {k: v[0] for k, v in projection(graph, "s2.0").items()} == {"downsample.0": "conv"}
    graph, _ = network(tmp_path, "    shortcuts preact, norm: bn\n" + CIFAR_LIKE)
    assert {k: v[0] for k, v in projection(graph, "s2.0").items()} == {"downsample.0": "conv",
                                                                       "downsample.1": "bn"}


def test_with_shortcuts_and_a_stage_override_keep_the_options(tmp_path):
    body = ("    shortcuts B, norm: groupnorm(8)\n    conv1: conv 3x3, 16;  bn1: bn;  relu\n"
            "    stage s1: basic(16) x 2, shortcuts: C\n    avgpool;  fc: fc 10")
    graph, _ = network(tmp_path, body)
    assert {k: v[0] for k, v in projection(graph, "s1.1").items()} == {"downsample.0": "conv",
                                                                       "downsample.1": "groupnorm"}
    graph, _ = network(tmp_path, "    shortcuts B, norm: groupnorm(8)\n" + CIFAR_LIKE,
                       extra="c = n with shortcuts C\n", name="c")
    assert projection(graph, "s1.0")["downsample.1"][0] == "groupnorm"


def test_a_projection_written_by_hand_is_the_shortcut_branch(tmp_path):
    body = "    conv1: conv 3x3, 16;  bn1: bn;  relu\n    stage s1: hand(32) x 1, stride: 2\n    avgpool;  fc: fc 10"
    graph, path = network(tmp_path, body)
    assert sorted(projection(graph, "s1.0")) == ["proj.0", "proj.1"]
    assert totals(graph)["depth"] == 4  # conv1, two convs of the block, fc
    roles = {u: e["role"] for u, _, e in graph.in_edges("s1.0.add", data=True)}
    assert roles == {"s1.0.bn2": "residual", "s1.0.proj.1": "shortcut"}
    # the same network made by the shortcut option: the same module, weights and outputs
    policy = tmp_path / "policy.rdsl"
    policy.write_text(BASIC + "network n {\n    input 3x32x32\n"
                      '    shortcuts B, norm: groupnorm(8), bias: true, names: "proj.{0}"\n'
                      + body + "\n}\n")
    assert totals(resdsl.graph(str(policy)))["depth"] == 4
    torch.manual_seed(0)
    assert_same_network(resdsl.load(str(policy)), resdsl.load(str(path)), size=32)


def test_a_hand_projection_reading_the_main_path_leaves_it_there(tmp_path):
    """A pre-activation projection reads `act1`: act1 feeds the main path too, so it stays on it."""
    extra = """
block pre(width, stride = 1) {
    norm1: bn;  act1: relu;  conv1: conv 3x3, width, stride: stride
    norm2: bn;  relu;        conv2: conv 3x3, width
    downsample.conv: conv 1x1, width, stride: stride, from: act1
    add conv2, shortcut: downsample.conv
}
"""
    path = tmp_path / "pre.rdsl"
    path.write_text(BASIC + extra + "network n {\n    input 3x32x32\n    conv1: conv 3x3, 16\n"
                    "    stage s1: pre(32) x 1, stride: 2\n    avgpool;  fc: fc 10\n}\n")
    graph = resdsl.graph(str(path))
    assert sorted(projection(graph, "s1.0")) == ["downsample.conv"]
    assert totals(graph)["depth"] == 4


@pytest.mark.parametrize("name", ["resnet50_gn", "resnetv2_50"])
def test_bundled_projections_are_off_the_main_path(name):
    """timm's resnet50_gn and resnetv2_50 are 50-layer networks (49 convs and a classifier)."""
    graph = resdsl.graph(name)
    assert totals(graph)["depth"] == 50
    projections = [n for n in graph if ".downsample." in n]
    assert projections and all(graph.nodes[n]["scope"].get("branch") == "shortcut" for n in projections)
