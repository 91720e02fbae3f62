"""The op table is the one place an op's role is stated: an op added to it with its traits is
treated by them everywhere, with no list of names to edit. A throwaway norm, `mynorm`, is
registered for each test and removed after it."""

import re
from dataclasses import replace
from pathlib import Path

import pytest
import torch
from torch import nn

import resdsl
from resdsl.netgraph.opkit import ROLES
from resdsl.netgraph.ops import OPS, Op, ops_with
from resdsl.torch.backend import build_module
from resdsl.train.network import parameter_groups
from resdsl.viz.diagram import diagram, drawing

from . import torch_support  # noqa: F401  (one torch thread per worker)


class MyNorm(nn.Module):
    """A per-channel scale and shift whose own start (3 and 2) no norm init would leave."""

    def __init__(self, channels: int):
        super().__init__()
        self.weight = nn.Parameter(torch.full((channels,), 3.0))
        self.bias = nn.Parameter(torch.full((channels,), 2.0))

    def forward(self, x):
        return x * self.weight[:, None, None] + self.bias[:, None, None]


MYNORM = Op("mynorm", "a throwaway norm", params=lambda a, s, o: 2 * s[0][0],
            label=lambda a: "MyN", torch=lambda a, s, lib: MyNorm(s[0][0]),
            role="norm", fresh_result=True, decay=False)

SOURCE = """
block basic(width, stride = 1) {
    conv1: conv 3x3, width, stride: stride;  bn1: mynorm;  relu
    conv2: conv 3x3, width;                  bn2: mynorm
    add shortcut;  relu
}
network tiny {
    input 3x16x16
    shortcuts B, norm: mynorm
    conv1: conv 3x3, 8;  bn1: mynorm;  relu
    stage s1: basic(8) x 1
    stage s2: basic(16) x 1, stride: 2
    avgpool;  fc: fc 10
}
"""


@pytest.fixture(params=[True, False], ids=["fresh", "not-fresh"])
def mynorm(request):
    """`mynorm` in the op table for one test, its result fresh or not."""
    OPS["mynorm"] = replace(MYNORM, fresh_result=request.param)
    yield OPS["mynorm"]
    del OPS["mynorm"]


def tiny():
    return resdsl.graph_from_text(SOURCE, "tiny")


def test_the_table_is_asked_for_ops_by_trait(mynorm):
    assert ops_with(role="norm") == ["bn", "groupnorm", "layernorm", "layernorm2d", "mynorm"]
    assert "mynorm" in ops_with(decay=False) and "conv" not in ops_with(decay=False)
    del OPS["mynorm"]
    assert ops_with(role="norm") == ["bn", "groupnorm", "layernorm", "layernorm2d"]
    OPS["mynorm"] = mynorm


def test_an_unknown_role_is_refused():
    with pytest.raises(ValueError, match="role is one of"):
        Op("odd", "an op of no known role", role="normalisation")


def test_a_new_norm_serves_as_a_projection_shortcuts_norm(mynorm):
    graph = tiny()
    projection = [(n, d["op"]) for n, d in graph.nodes(data=True)
                  if n.startswith("s2.0.") and d["scope"].get("branch") == "shortcut"]
    assert [op for _, op in projection] == ["conv", "mynorm"]
    with pytest.raises(resdsl.ResdslError, match="one of bn, groupnorm, layernorm, layernorm2d, mynorm, none"):
        resdsl.graph_from_text(SOURCE.replace("norm: mynorm", "norm: relu"), "tiny")


def test_a_new_norm_is_drawn_as_bn_is(mynorm):
    graph = tiny()
    folded = drawing(graph, "layer", fold=True)
    stem = next(b for b in folded.boxes if b.key == "conv1")
    assert stem.nodes == ["conv1", "bn1", "relu"]  # folded into the conv's box, as Figure 3
    assert "mynorm" not in {b.kind for b in folded.boxes}
    dot = diagram(graph, "layer").source
    bn1 = next(line for line in dot.splitlines() if '"tiny/bn1" [' in line)
    conv1 = next(line for line in dot.splitlines() if '"tiny/conv1" [' in line)
    assert "fontsize=9" in bn1 and "height=0.2" in bn1  # drawn small, as a BN
    assert "fontsize=9" not in conv1
    arc = next(a for a in drawing(graph, "block").arrows if a.tail == "s2.0" and a.role == "shortcut")
    assert arc.label == " 1x1 conv, 16, /2" and arc.shortcut == "projection"  # its norm left off


def test_a_new_norm_starts_at_scale_one_and_shift_zero(mynorm):
    model = build_module(tiny())
    norms = [m for m in model.modules() if isinstance(m, MyNorm)]
    assert len(norms) == 1 + 2 + 3  # the stem's, two per block, the projection's
    assert all((m.weight == 1).all() and (m.bias == 0).all() for m in norms)
    zeroed = build_module(tiny(), zero_init_residual=True)
    ends = {"s1.0.bn2", "s2.0.bn2"}  # each residual branch's last norm, not the projection's
    for name, m in zeroed.named_modules():
        if isinstance(m, MyNorm):
            assert (m.weight == (0 if name in ends else 1)).all(), name


def test_a_new_norm_gets_no_weight_decay(mynorm):
    model = build_module(tiny())
    decay, no_decay = parameter_groups(model, 1e-4, decay_norm_and_bias=False)
    ids = lambda ps: {id(p) for p in ps}  # noqa: E731
    norm_params = ids(p for m in model.modules() if isinstance(m, MyNorm) for p in m.parameters())
    assert norm_params and norm_params <= ids(no_decay["params"])
    assert ids(decay["params"]) == ids([model.conv1.weight, model.get_submodule("s1.0.conv1").weight,
                                        model.get_submodule("s1.0.conv2").weight,
                                        model.get_submodule("s2.0.conv1").weight,
                                        model.get_submodule("s2.0.conv2").weight,
                                        model.get_submodule("s2.0.downsample.0").weight,
                                        model.fc.weight])


def test_an_activation_overwrites_a_new_norm_in_place_only_if_its_result_is_fresh(mynorm):
    model = build_module(tiny())
    relu = "torch.relu_(x)" if mynorm.fresh_result else "torch.relu(x)"
    assert f"x = {relu}  # relu" in model.code
    x = torch.randn(2, 3, 16, 16)
    model(x).sum().backward()  # in place or not, the backward pass runs


def test_every_role_and_only_these_is_documented_for_contributors():
    text = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text()
    section = text.split("### Adding an op", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| `(\w+)` \|", section, flags=re.M) == list(ROLES)
    assert {op.role for op in OPS.values()} <= set(ROLES)


def test_groupnorm_is_a_norm_everywhere_as_timm_treats_it():
    """timm's resnet50_gn: zero_init_last zeroes each bottleneck's bn3 (a GroupNorm), every
    GroupNorm starts at 1 and 0, and its ReLUs run in place after the norms."""
    model = resdsl.load("resnet50_gn", zero_init_residual=True)
    blocks = [f"layer{i + 1}.{b}" for i, n in enumerate([3, 4, 6, 3]) for b in range(n)]
    for name, m in model.named_modules():
        if isinstance(m, nn.GroupNorm):
            last = name.rpartition(".")[0] in blocks and name.endswith(".bn3")
            assert (m.weight == (0 if last else 1)).all() and (m.bias == 0).all(), name
    assert "x1 = torch.relu_(x1)  # relu" in model.layer1[0].code
    assert '"resnet50_gn/bn1" [label="GN /32" color="#8c8c8c"' in diagram(resdsl.graph("resnet50_gn"), "layer").source
