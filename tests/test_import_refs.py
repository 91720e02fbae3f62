"""The hand-written references of tests/ import exactly: each text compiles to a module that
loads the reference's state_dict strictly and computes what it computes. Small versions (one
block a stage, small inputs) where the reference allows; scripts/import_zoo.py imports them all
whole."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn
F = torch.nn.functional

import resdsl  # noqa: E402
from resdsl.core.errors import ResdslError  # noqa: E402
from resdsl.importer.trace import trace  # noqa: E402
from resdsl.torch.backend import build_module  # noqa: E402
from tests import reference_models as rm, reference_zoo as rz  # noqa: E402


def _imports_exactly(model: nn.Module, shape: tuple[int, ...], name: str) -> str:
    """The imported text, after checking here, apart from the importer's own check, that its
    module has the reference's parameters and state_dict and gives its outputs."""
    torch.manual_seed(0)
    model = model.eval()
    text = resdsl.from_module(model, torch.randn(1, *shape), name=name)
    built = build_module(resdsl.graph_from_text(text, name)).eval()
    assert sum(p.numel() for p in built.parameters()) == sum(p.numel() for p in model.parameters())
    built.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, *shape)
    with torch.no_grad():
        assert torch.allclose(built(x), model(x), rtol=1e-4, atol=1e-5)
    return text


def test_option_a_written_by_hand_is_the_a_shortcut():
    # x[:, :, ::2, ::2] zero-padded with F.pad: the paper's option A
    text = _imports_exactly(rm.CifarResNet(1), (3, 32, 32), "cifar")
    assert "shortcuts A" in text and "add shortcut" in text


def test_eca_written_by_hand_is_the_eca_op():
    # a Conv1d over the pooled channels, through unsqueeze and view: ECA-Net's attention
    model = rz.TimmResNet(rz.TimmBottleneck, [1, 1, 1, 1], stem="deep", avg_down=True, attn=rz.ECA)
    text = _imports_exactly(model, (3, 32, 32), "eca")
    assert "eca" in text.split() and "unsqueeze" not in text


def test_se_written_by_hand_is_the_se_op_with_its_activation_and_gate():
    act, gate = nn.SiLU, F.hardsigmoid  # (ReLU and sigmoid: the timm-style ones, in the zoo)

    class HandSE(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.fc1, self.act, self.fc2 = nn.Conv2d(c, c // 4, 1), act(), nn.Conv2d(c // 4, c, 1)

        def forward(self, x):
            return x * gate(self.fc2(self.act(self.fc1(F.adaptive_avg_pool2d(x, 1)))))

    model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), HandSE(32), nn.ReLU())
    text = _imports_exactly(model, (3, 16, 16), "hand_se")
    assert "se reduction: 4, act: silu, gate: hardsigmoid" in text


def test_a_gate_the_se_op_does_not_compute_is_not_taken_for_one():
    class TanhGate(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.fc1, self.fc2 = nn.Conv2d(c, c // 4, 1), nn.Conv2d(c // 4, c, 1)

        def forward(self, x):
            return x * torch.tanh(self.fc2(F.relu(self.fc1(x.mean((2, 3), keepdim=True)))))

    model = nn.Sequential(nn.Conv2d(3, 32, 3, padding=1), TanhGate(32))
    with pytest.raises(ResdslError, match=r"tanh\(\) in 1"):
        resdsl.from_module(model.eval(), torch.randn(1, 3, 8, 8))


def test_res2net_splits_are_split_ops():
    text = _imports_exactly(rz.TimmResNet(rz.Res2NetBottleneck, [2, 1, 1, 1]), (3, 32, 32), "r2n")
    assert "split 4, 3, from: relu" in text


def test_selective_kernels_iterating_over_a_split_import_as_splits_softmax_and_products():
    # the forward zips the paths with torch.split's parts and stacks them on a new axis
    text = _imports_exactly(rz.TimmResNet(rz.SKBasic, [1, 1, 1, 1]), (3, 32, 32), "sk")
    assert "softmax groups: 2" in text and "stack" not in text


def test_preactivation_with_functional_pools_imports():
    text = _imports_exactly(rz.ResNetV2(depths=(1, 1, 1, 1)), (3, 32, 32), "v2")
    assert "maxpool 3x3, stride: 2" in text and "shortcuts preact" in text


class _SmallCaffe(rz.CaffeResNet50):
    def __init__(self):
        rz.TimmResNet.__init__(self, rz.BottleneckV1, [1, 1, 1, 1], num_classes=10)
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=True)


def test_caffe_style_pools_and_softmax_import():
    text = _imports_exactly(_SmallCaffe(), (3, 224, 224), "caffe")
    assert "maxpool 3x3, stride: 2, padding: 0, ceil: true" in text
    assert "avgpool kernel: 7x7, stride: 1" in text and text.rstrip().endswith("softmax\n}")


def test_efficientnet_b0_imports_with_se_ops():
    text = _imports_exactly(rz.EfficientNetB0(num_classes=10), (3, 32, 32), "b0")
    assert "se reduction: 4, act: silu" in text


class _Calls(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 12, 3, padding=1)

    def forward(self, x):
        x = self.conv(x)
        a, b = torch.split(x, [4, 8], dim=1)  # unequal parts: slices
        c = x.chunk(3, 1)[2]  # equal parts: a split
        pooled = F.avg_pool2d(F.max_pool2d(b, 2), kernel_size=2, stride=1, ceil_mode=True)
        return torch.cat([F.adaptive_avg_pool2d(a, 1), F.adaptive_avg_pool2d(pooled, 1),
                          x[:, 8:].mean((2, 3), keepdim=True), F.adaptive_avg_pool2d(c, 1)], 1)


def test_function_calls_are_ops_with_their_arguments():
    layers = trace(_Calls().eval(), torch.randn(1, 3, 16, 16), "calls").layers
    said = {(layer.op, tuple(sorted((k, v) for k, v in layer.args.items() if v is not None)))
            for layer in layers.values()}
    assert ("slice", (("end", 4), ("start", 0))) in said
    assert ("slice", (("start", 4),)) in said and ("slice", (("start", 8),)) in said
    assert ("split", (("index", 2), ("parts", 3))) in said
    kinds = {layer.id: (layer.op, layer.args.get("kernel"), layer.args.get("stride"))
             for layer in layers.values() if "pool" in layer.op}
    assert ("maxpool", (2, 2), (2, 2)) in kinds.values() and ("avgpool", (2, 2), (1, 1)) in kinds.values()
    _imports_exactly(_Calls(), (3, 16, 16), "calls")


def test_a_branch_on_a_tensors_value_is_still_refused():
    class Branch(nn.Module):
        def forward(self, x):
            return x if x.sum() > 0 else -x

    with pytest.raises(ResdslError) as caught:
        resdsl.from_module(Branch(), torch.randn(1, 3, 8, 8))
    assert caught.value.code == "E1031"
