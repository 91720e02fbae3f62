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


class _NormAct(nn.BatchNorm2d):
    """A BatchNorm2d subclass that applies its own activation (as timm's BatchNormAct2d)."""

    def __init__(self, channels, act=True):
        super().__init__(channels, eps=1e-3)
        self.drop, self.act = nn.Identity(), (nn.SiLU() if act else nn.Identity())

    def forward(self, x):
        x = F.batch_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                         self.training, self.momentum, self.eps)
        return self.act(self.drop(x))


class _GroupNorm(nn.GroupNorm):
    def forward(self, x):
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)


def test_subclasses_of_norms_are_the_norm_then_their_activation():
    model = nn.Sequential(nn.Conv2d(3, 16, 3), _NormAct(16), nn.Conv2d(16, 16, 3), _NormAct(16, False),
                          _GroupNorm(4, 16))
    with torch.no_grad():
        model[1].running_var.uniform_(0.5, 2)  # statistics other than the defaults: they must load
    text = _imports_exactly(model, (3, 12, 12), "norm_act")
    assert "1: bn eps: 0.001;  silu" in text and "3: bn eps: 0.001" in text
    assert "4: groupnorm groups: 4" in text and "batch_norm" not in text


class _ShuffleUnit(nn.Module):
    """ShuffleNetV2's unit at stride 1: half the channels through a branch, the halves
    interleaved; then an SE-like gate written by hand whose output a sum changes in place."""

    def __init__(self, c):
        super().__init__()
        self.branch = nn.Conv2d(c // 2, c // 2, 1)
        self.se = _HandSE(c)

    def forward(self, x):
        parts = x.chunk(2, dim=1)
        y = torch.cat([parts[0], F.relu(self.branch(parts[-1]))], 1)
        n, c, h, w = y.shape
        y = y.view(n, 2, c // 2, h, w).transpose(1, 2).contiguous().view(n, c, h, w)
        out = self.se(y)
        out += x  # in place: the gate's output the recognition saw must not change under it
        return out


class _HandSE(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.fc1, self.fc2 = nn.Conv2d(c, c // 16, 1), nn.Conv2d(c // 16, c, 1)

    def forward(self, x):
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3), keepdim=True)))))


class _ShuffleNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem, self.unit = nn.Conv2d(3, 32, 3), _ShuffleUnit(32)

    def forward(self, x):
        return self.unit(self.stem(x))


def test_a_shuffle_written_as_views_and_the_last_part_of_a_chunk():
    text = _imports_exactly(_ShuffleNet(), (3, 10, 10), "shuffle")
    assert "channel_shuffle 2" in text and "split 2, 1" in text and "se" in text.split()
    assert "transpose" not in text


def test_a_value_whose_path_starts_with_a_containers_number_can_be_named():
    # an import writes the layers of nn.Sequential items by their paths: `add 0.block.0.2, ...`
    graph = resdsl.graph_from_text("""network n {
    input 3x8x8
    0.block.0.2: conv 3x3, 8
    1.relu: relu
    add 0.block.0.2, 1.relu
    scale 0.5
}""", "n")
    assert set(graph.predecessors("add")) == {"0.block.0.2", "1.relu"}
    assert graph.nodes["scale"]["args"]["factor"] == 0.5


class _LayerNorm2d(nn.LayerNorm):
    """A channels-first LayerNorm written through permutes (as torchvision's ConvNeXt has)."""

    def forward(self, x):
        x = F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


def test_a_layernorm_subclass_through_permutes_is_layernorm():
    model = nn.Sequential(nn.Conv2d(3, 16, 2, stride=2), _LayerNorm2d(16, eps=1e-6))
    text = _imports_exactly(model, (3, 8, 8), "ln")
    assert "layernorm eps: 1e-06" in text and "permute" not in text


class _Chain(nn.Module):
    """Modules in order under names (a value named by a bare number, as nn.Sequential's first
    item, cannot be named in the text)."""

    def __init__(self, **parts):
        super().__init__()
        for name, part in parts.items():
            self.add_module(name, part)

    def forward(self, x):
        for part in self.children():
            x = part(x)
        return x


class _ChannelsLastBlock(nn.Module):
    """ConvNeXt's block as torchvision writes it: LayerNorm and Linear layers on a channels-last
    map between two permutes, a layer scale of C x 1 x 1 in front."""

    def __init__(self, dim):
        super().__init__()
        self.dwconv = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm, self.pw1 = nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, 4 * dim)
        self.act, self.pw2 = nn.GELU(), nn.Linear(4 * dim, dim)
        self.layer_scale = nn.Parameter(torch.full((dim, 1, 1), 0.5))

    def forward(self, x):
        y = self.pw2(self.act(self.pw1(self.norm(self.dwconv(x).permute(0, 2, 3, 1)))))
        return x + self.layer_scale * y.permute(0, 3, 1, 2)


def test_a_channels_last_block_between_permutes_is_said_on_the_map():
    model = _Chain(stem=nn.Conv2d(3, 16, 2, stride=2), block=_ChannelsLastBlock(16))
    text = _imports_exactly(model, (3, 8, 8), "cl")
    assert "norm: layernorm eps: 1e-06" in text and "pw1: linear 64" in text and "gelu" in text
    assert "permute" not in text


def _drop_rows(x, p: float, training: bool):
    """Stochastic depth as torchvision writes it: the input itself outside training."""
    if not training or p == 0.0:
        return x
    return x * torch.empty(x.shape[0], 1, 1, 1).bernoulli_(1 - p) / (1 - p)


torch.fx.wrap("_drop_rows")  # one call in the trace, as torchvision's stochastic_depth


class _Residual(nn.Module):
    def __init__(self, in_place_clamp=False):
        super().__init__()
        self.conv, self.clamp = nn.Conv2d(8, 8, 3, padding=1), in_place_clamp

    def forward(self, x):
        out = _drop_rows(self.conv(x), 0.2, self.training)
        return x + (out.clamp_(min=0) if self.clamp else out)


def test_a_call_giving_back_its_input_computes_nothing_unless_it_changed_it():
    text = _imports_exactly(_Chain(stem=nn.Conv2d(3, 8, 1), block=_Residual()), (3, 8, 8), "drop")
    assert "_drop_rows" not in text
    with pytest.raises(ResdslError, match=r"clamp_\(\) in block"):
        resdsl.from_module(_Chain(stem=nn.Conv2d(3, 8, 1), block=_Residual(True)).eval(),
                           torch.randn(1, 3, 8, 8))
