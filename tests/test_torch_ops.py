"""The torch builders of the ops the architecture library added, against their formulas.

Each builder is taken from the op table and run on the shapes a small network gives it; the
output shape must be the op's shape rule and the module's parameters its params rule.
"""

import pytest

torch = pytest.importorskip("torch")

import resdsl  # noqa: E402
from resdsl.netgraph.builder import inputs_of  # noqa: E402
from resdsl.netgraph.ops import OPS  # noqa: E402
from resdsl.torch import modules as lib  # noqa: E402  (what the torch backend hands op builders)

NET = """
block unit(width, stride = 1, drop = 0) {
    bn1: bn;  act: relu;  conv1: conv 3x3, width, stride: stride
    bn2: bn;  conv2: conv 3x3, width
    se: se 4
    add shortcut, drop: drop, project_from: act
}
network n(kind_drop = 0.3) {
    input 3x9x9
    conv1: conv 3x3, 16
    stage s1: unit(16, drop: kind_drop) x 2
    stage s2: unit(32) x 1, stride: 2
    avgpool;  fc: fc 10
}
gated = n with shortcuts gate, kind_drop: 0
resnet_d = n with shortcuts D
"""
NEW_OPS = ("se", "gate", "add", "avgpool")


def node_modules(name):
    """(node, module, input tensors) for every node of the new ops in a network."""
    graph = resdsl.graph_from_text(NET, name)
    for node, data in graph.nodes(data=True):
        if data["op"] not in NEW_OPS:
            continue
        module = OPS[data["op"]].torch(data["args"], data["in_shapes"], lib)
        inputs = [torch.randn(2, *graph.nodes[i]["out_shape"]) for i in inputs_of(graph, node)]
        yield node, data, module, inputs


@pytest.mark.parametrize("name", ["n", "gated", "resnet_d"])
def test_new_op_builders_follow_the_shape_and_params_rules(name):
    seen = set()
    for node, data, module, inputs in node_modules(name):
        if isinstance(module, torch.nn.Module):
            module.train()
            params = sum(p.numel() for p in module.parameters())
        else:
            params = 0
        out = module(*inputs)
        assert tuple(out.shape[1:]) == data["out_shape"], node
        assert params == data["params"], node
        seen.add(data["op"])
    assert seen == {"n": {"se", "add", "avgpool"}, "gated": {"se", "gate", "avgpool"},
                    "resnet_d": {"se", "add", "avgpool"}}[name]


def test_squeeze_excite_rescales_channels_by_the_gate():
    module = OPS["se"].torch({"reduction": 4}, [(16, 5, 5)], lib)
    x = torch.randn(3, 16, 5, 5)
    w1, b1 = module.fc1.weight.flatten(1), module.fc1.bias
    w2, b2 = module.fc2.weight.flatten(1), module.fc2.bias
    gate = torch.sigmoid(torch.relu(x.mean((2, 3)) @ w1.T + b1) @ w2.T + b2)
    torch.testing.assert_close(module(x), x * gate[:, :, None, None])
    assert module.fc1.weight.shape == (4, 16, 1, 1)  # timm's layout: 1x1 convs with bias


def test_highway_gate_mixes_branch_and_shortcut():
    module = OPS["gate"].torch({"source": "shortcut", "project_from": None}, [(8, 4, 4), (8, 4, 4)], lib)
    f, x = torch.randn(2, 8, 4, 4), torch.randn(2, 8, 4, 4)
    w, b = module.transform.weight.flatten(1), module.transform.bias
    t = torch.sigmoid(torch.einsum("oc,nchw->nohw", w, x) + b[:, None, None])
    torch.testing.assert_close(module(f, x), t * f + (1 - t) * x)


def test_drop_path_is_a_plain_sum_at_evaluation_and_drops_whole_samples_in_training():
    module = OPS["add"].torch({"source": "shortcut", "drop": 0.25, "project_from": None},
                              [(4, 3, 3), (4, 3, 3)], lib)
    branch, shortcut = 1 + torch.rand(4000, 4, 3, 3), torch.randn(4000, 4, 3, 3)
    module.eval()
    torch.testing.assert_close(module(branch, shortcut), branch + shortcut)
    module.train()
    torch.manual_seed(0)
    scaled = (module(branch, shortcut) - shortcut) / branch  # per sample: 0 or 1/(1 - p)
    per_sample = scaled.flatten(1)
    assert torch.allclose(per_sample, per_sample[:, :1].expand_as(per_sample), atol=1e-3)
    kept = per_sample[:, 0]
    assert bool(((kept.abs() < 1e-3) | ((kept - 1 / 0.75).abs() < 1e-3)).all())
    assert abs((kept == 0).float().mean().item() - 0.25) < 0.03
    # without a drop rate, add stays the plain operator
    assert OPS["add"].torch({"source": "shortcut", "drop": 0.0, "project_from": None},
                            [(4, 3, 3)] * 2, lib)(branch, shortcut).equal(branch + shortcut)
