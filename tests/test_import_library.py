"""The library call an import writes where the model is a bundled network: at the bundled input,
and at another input with `with input CxHxW`; and the folding of a model the library has, at a
small input (the reference MobileNetV2 at 3x32x32: its t = 1 block names `conv.0.0` and `conv.1`)."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import resdsl  # noqa: E402
from resdsl.importer import from_module  # noqa: E402
from resdsl.importer.build import as_bundled  # noqa: E402
from resdsl.importer.check import compare  # noqa: E402
from resdsl.importer.fold import fold  # noqa: E402
from resdsl.importer.trace import trace  # noqa: E402
from tests import reference_models as rm, reference_zoo as rz  # noqa: E402


def test_a_resnet_at_another_input_imports_as_the_library_call_with_its_input():
    torch.manual_seed(0)
    text = from_module(rm.resnet18().eval(), torch.randn(1, 3, 64, 64), name="mine")
    assert text.endswith('use "resnet.rdsl"\n\nmine = resnet(basic, [2, 2, 2, 2]) with input 3x64x64\n')
    assert resdsl.graph_from_text(text, "mine").graph["input"] == (3, 64, 64)


def test_the_reference_mobilenet_v2_folds_and_imports_exactly_at_a_small_input():
    torch.manual_seed(0)
    model, example = rz.MobileNetV2().eval(), torch.randn(1, 3, 32, 32)
    folded = fold(trace(model, example, "mine"))
    assert "    features.1: inverted_residual\n" in folded
    assert not compare(folded, "mine", model, example).differences
    assert as_bundled(folded, "mine", (3, 32, 32), "").endswith(
        "\nmine = mobilenet(1000) with input 3x32x32\n")


def test_input_comes_first_where_the_bundled_call_has_changes():
    from resdsl.importer.library import _with_input

    assert _with_input("resnet34 with shortcuts A", (3, 32, 32)) == \
        "resnet34 with input 3x32x32, shortcuts A"
    assert _with_input("resnet50 with outputs layer1, layer2", (3, 64, 64)) == \
        "resnet50 with input 3x64x64, outputs layer1, layer2"


class _Numbered(torch.nn.Module):
    """Items named by bare numbers, as an nn.Sequential's, read out of order: `from: `0``."""

    def __init__(self):
        super().__init__()
        for k, module in enumerate([torch.nn.Conv2d(3, 4, 3, padding=1), torch.nn.ReLU(),
                                    torch.nn.Conv2d(4, 4, 3, padding=1),
                                    torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten(),
                                    torch.nn.Linear(4, 10)]):
            self.add_module(str(k), module)

    def forward(self, x):
        first = getattr(self, "0")(x)
        both = getattr(self, "1")(first) + getattr(self, "2")(first)
        return getattr(self, "5")(getattr(self, "4")(getattr(self, "3")(both)))


def test_a_layer_named_by_a_bare_number_is_read_quoted():
    torch.manual_seed(0)
    text = from_module(_Numbered().eval(), torch.randn(1, 3, 8, 8), name="mine")
    assert "    2: conv 3x3, 4, bias: true, from: `0`\n    add `1`, `2`\n" in text
    assert resdsl.graph_from_text(text, "mine").number_of_nodes() == 8  # the input and the sum too


class _RadixSoftmax(torch.nn.Module):
    """timm's RadixSoftmax (timm/layers/split_attn.py), radix 2, cardinality 1, as it is written."""

    def forward(self, x):
        batch = x.size(0)
        x = x.view(batch, 1, 2, -1).transpose(1, 2)
        return torch.nn.functional.softmax(x, dim=1).reshape(batch, -1)


class _SplitAttn(torch.nn.Module):
    """timm's SplitAttn's forward, radix 2 (ResNeSt's 3x3): one map viewed as two paths."""

    def __init__(self, width):
        super().__init__()
        self.conv = torch.nn.Conv2d(width, 2 * width, 3, padding=1, groups=2, bias=False)
        self.bn0, self.act0 = torch.nn.BatchNorm2d(2 * width), torch.nn.ReLU()
        self.fc1, self.bn1 = torch.nn.Conv2d(width, 32, 1), torch.nn.BatchNorm2d(32)
        self.act1, self.fc2 = torch.nn.ReLU(), torch.nn.Conv2d(32, 2 * width, 1)
        self.rsoftmax = _RadixSoftmax()

    def forward(self, x):
        x = self.act0(self.bn0(self.conv(x)))
        B, RC, H, W = x.shape
        x = x.reshape((B, 2, RC // 2, H, W))
        gap = x.sum(dim=1).mean((2, 3), keepdim=True)
        attn = self.rsoftmax(self.fc2(self.act1(self.bn1(self.fc1(gap))))).view(B, -1, 1, 1)
        return (x * attn.reshape((B, 2, RC // 2, 1, 1))).sum(dim=1).contiguous()


class _SplitNet(torch.nn.Module):
    def __init__(self, attention):
        super().__init__()
        self.stem, self.attn = torch.nn.Conv2d(3, 8, 3, padding=1), attention
        self.pool, self.fc = torch.nn.AdaptiveAvgPool2d(1), torch.nn.Linear(8, 10)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.attn(self.stem(x))), 1))


@pytest.mark.parametrize("timms", [True, False])
def test_resnests_split_attention_imports_as_splits_a_grouped_softmax_and_products(timms):
    from tests.reference_tv_timm import SplitAttention  # the same written shorter: a (2, C/2) view

    torch.manual_seed(0)
    model = _SplitNet(_SplitAttn(8) if timms else SplitAttention(8)).eval()
    text = from_module(model, torch.randn(1, 3, 8, 8), name="mine")
    assert ("attn.rsoftmax.softmax" if timms else "attn.softmax") + ": softmax groups: 2\n" in text
    assert text.count(": split 2, ") == 4 and text.count(": mul ") == 2
