"""The residual-family zoo (issue 11): each bundled network is its reference implementation,
names included. A hand-written reference (tests/reference_zoo.py, written from timm's and
torchvision's documented structure) loads into the compiled module with strict=True and gives the
same outputs with random weights and BN statistics, in eval and in train mode."""

import pytest
import torch

import resdsl
from resdsl.netgraph.infer import totals
from resdsl.torch.modules import DropPathAdd

from . import torch_support  # noqa: F401  (one torch thread per worker)
from .reference_zoo import (
    CaffeResNet50,
    EfficientNetB0,
    InceptionResNetA,
    InceptionResNetV2,
    MBConv,
    MobileNetV2,
    RegNetY400MF,
    ResNetV2,
    TorchvisionDenseNet,
    res2net50_26w_4s,
    skresnet18,
    timm_resnet,
)
from .zoo_support import assert_same_network, randomize

TIMM_RESNETS = ["resnet18d", "resnet26d", "resnet50d", "resnet101d", "resnet50t",
                "seresnext50_32x4d", "ecaresnet50d", "resnet50_gn", "seresnet50"]


@pytest.mark.parametrize("name", TIMM_RESNETS)
def test_timm_resnets_load_timms_weights_and_compute_the_same(name):
    torch.manual_seed(0)
    reference = timm_resnet(name)
    compiled = resdsl.load(name)
    assert sum(p.numel() for p in reference.parameters()) == totals(resdsl.graph(name))["params"]
    assert_same_network(compiled, reference, size=64 if name != "resnet101d" else 32)


def test_the_deep_stem_is_a_numbered_sequence_as_timms():
    keys = [k for k in resdsl.load("resnet50d").state_dict() if k.startswith("conv1.")]
    assert keys[:2] == ["conv1.0.weight", "conv1.1.weight"]
    assert {k.split(".")[1] for k in keys} == {"0", "1", "3", "4", "6"}  # the ReLUs hold nothing


def test_skresnet18_is_timms_selective_kernel_resnet():
    torch.manual_seed(0)
    assert_same_network(resdsl.load("skresnet18"), skresnet18(), size=64)


def test_inception_resnet_a_is_timms_first_forty_percent():
    torch.manual_seed(0)
    reference = InceptionResNetA()
    assert sum(p.numel() for p in reference.parameters()) == \
        totals(resdsl.graph("inception_resnet_a10"))["params"]
    assert_same_network(resdsl.load("inception_resnet_a10"), reference, size=75)


def test_inception_resnet_v2_is_timms():
    """The whole network under timm's names; 107x107 instead of 299x299 to keep the test short
    (the valid-padded stem and reductions leave 2x2 at the end instead of 8x8, so BN in training
    still sees several values per channel); the published figures hold at 299 (`expect`)."""
    torch.manual_seed(0)
    reference = InceptionResNetV2()
    assert sum(p.numel() for p in reference.parameters()) == 55_843_464  # timm's 55.84M
    compiled = resdsl.load("inception_resnet_v2")
    keys = list(compiled.state_dict())
    assert {"conv2d_1a.conv.weight", "conv2d_1a.bn.running_mean", "mixed_5b.branch3.1.conv.weight",
            "repeat.9.conv2d.bias", "mixed_6a.branch1.2.bn.weight", "repeat_1.19.branch1.2.conv.weight",
            "mixed_7a.branch2.2.conv.weight", "repeat_2.8.conv2d.weight", "block8.conv2d.bias",
            "conv2d_7b.bn.bias", "classif.weight"} <= set(keys)
    assert compiled.get_submodule("conv2d_1a.bn").eps == 0.001
    assert_same_network(compiled, reference, size=107)


def test_mobilenet_v2_is_torchvisions():
    torch.manual_seed(0)
    reference = MobileNetV2()
    assert sum(p.numel() for p in reference.parameters()) == 3_504_872  # torchvision's docs
    compiled = resdsl.load("mobilenet_v2")
    # dropout differs between two modules in train mode: compare without it
    reference.classifier[0].p = 0.0
    compiled.get_submodule("classifier.0").p = 0.0
    assert_same_network(compiled, reference, size=64)


def test_res2net50_is_timms_hierarchical_split():
    torch.manual_seed(0)
    reference = res2net50_26w_4s()
    assert sum(p.numel() for p in reference.parameters()) == \
        totals(resdsl.graph("res2net50_26w_4s"))["params"]
    assert_same_network(resdsl.load("res2net50_26w_4s"), reference, size=64)


def test_resnetv2_50_is_timms_preactivation_layout():
    torch.manual_seed(0)
    reference = ResNetV2()
    assert sum(p.numel() for p in reference.parameters()) == \
        totals(resdsl.graph("resnetv2_50"))["params"]
    assert_same_network(resdsl.load("resnetv2_50"), reference, size=64)


def test_densenet121_has_torchvisions_names():
    torch.manual_seed(0)
    reference = TorchvisionDenseNet()
    assert sum(p.numel() for p in reference.parameters()) == 7_978_856  # torchvision's docs
    assert_same_network(resdsl.load("densenet121"), reference, size=64)


def test_efficientnet_b0_is_torchvisions():
    torch.manual_seed(0)
    reference = EfficientNetB0(stochastic_depth_prob=0.0)
    assert sum(p.numel() for p in reference.parameters()) == 5_288_548  # torchvision's docs
    compiled = resdsl.load("efficientnet_b0")
    # no randomness here (the next test draws): no dropout, no drop-path
    reference.classifier[0].p = 0.0
    compiled.get_submodule("classifier.0").p = 0.0
    for m in compiled.modules():
        if isinstance(m, DropPathAdd):
            m.p = 0.0
    assert_same_network(compiled, reference, size=64)


def test_efficientnet_b0_drops_paths_as_torchvision():
    """torchvision's stochastic depth: the i-th of the 16 blocks drops with 0.2 i / 16 (mode
    "row"), only where it adds its input. Same rates, and with the same random draws in the
    same order the same outputs in training, drop-path and the classifier's dropout active."""
    torch.manual_seed(0)
    reference, compiled = EfficientNetB0(), resdsl.load("efficientnet_b0")
    want = {name: m.drop for name, m in reference.named_modules() if isinstance(m, MBConv) and m.residual}
    got = {name.rsplit(".", 1)[0]: m.p for name, m in compiled.named_modules() if isinstance(m, DropPathAdd)}
    assert got == want and len(got) == 9
    assert got["features.2.1"] == 0.2 * 2 / 16 and got["features.6.3"] == 0.2 * 14 / 16
    randomize(reference)
    compiled.load_state_dict(reference.state_dict(), strict=True)
    reference.train(), compiled.train()
    x = torch.randn(8, 3, 32, 32, generator=torch.Generator().manual_seed(1))
    outputs = []
    with torch.no_grad():
        for seed in (1, 2):
            torch.manual_seed(seed)
            expected = reference(x)
            torch.manual_seed(seed)
            actual = compiled(x)
            torch.testing.assert_close(actual, expected, rtol=1e-4, atol=1e-4 * expected.abs().max().item())
            outputs.append(expected)
        reference.classifier[0].p = 0.0  # only drop-path left random
        torch.manual_seed(1)
        with_drop_path = reference(x)
        for m in reference.modules():
            if isinstance(m, MBConv):
                m.drop = 0.0
        torch.manual_seed(1)
        without = reference(x)
    assert not torch.allclose(outputs[0], outputs[1])  # the draws matter
    assert not torch.allclose(with_drop_path, without)  # and drop-path is among them


def test_regnet_y_400mf_is_torchvisions_names_with_hyphens():
    torch.manual_seed(0)
    reference = RegNetY400MF()
    assert sum(p.numel() for p in reference.parameters()) == 4_344_144  # torchvision's docs
    compiled = resdsl.load("regnet_y_400mf")
    assert "trunk_output.block2.block2-1.f.se.fc1.weight" in compiled.state_dict()
    assert_same_network(compiled, reference, size=64)


def test_the_caffe_resnet50_is_the_papers():
    torch.manual_seed(0)
    reference = CaffeResNet50()
    graph = resdsl.graph("resnet50_caffe")
    assert sum(p.numel() for p in reference.parameters()) == totals(graph)["params"]
    assert graph.nodes["pool1"]["out_shape"] == (64, 56, 56)  # Caffe's ceil mode: 112 -> 56
    assert graph.nodes["pool5"]["out_shape"] == (2048, 1, 1)  # no padding: 7x7 -> 1x1
    assert_same_network(resdsl.load("resnet50_caffe"), reference, size=224)


@pytest.mark.parametrize("name,size", [("skresnet18", 32), ("efficientnet_b0", 32),
                                       ("inception_resnet_a10", 75), ("ecaresnet50d", 32)])
def test_python_export_rebuilds_the_zoos_modules(name, size):
    """The standalone .py export writes and rebuilds ChannelSplit, Softmax, Scale, ECA, SE with
    SiLU and the torch.nn.functional activations."""
    from resdsl.torch.backend import build_module, class_name
    from resdsl.torch.export import python_source

    graph = resdsl.graph(name)
    module = build_module(graph).eval()
    namespace: dict = {}
    exec(compile(python_source(module, graph), f"{name}.py", "exec"), namespace)
    rebuilt = namespace[class_name(name)]().eval()
    rebuilt.load_state_dict(module.state_dict(), strict=True)
    x = torch.randn(2, 3, size, size)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), module(x), rtol=0, atol=0)


# -- MXNet's resnet-28-small (architectures/mxnet.rdsl) -----------------------------------------

def _mxnet_reference():
    from .reference_mxnet import MXNetBatchNorm, MXNetResNetSmall

    torch.manual_seed(0)
    reference = MXNetResNetSmall(3)
    gen = torch.Generator().manual_seed(2)
    for m in reference.modules():  # randomize() knows torch's BNs only: these are written out
        if isinstance(m, MXNetBatchNorm):
            m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
            m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)
    return reference


def test_mxnet_resnet_28_small_is_its_example_symbol():
    from pathlib import Path

    from .reference_mxnet import mxnet_resnet_small_figures

    hand = mxnet_resnet_small_figures(3)
    reference = _mxnet_reference()
    assert sum(p.numel() for p in reference.parameters()) == hand["params"] == 272_474
    graph = resdsl.graph("resnet_28_small")
    assert (totals(graph)["params"], totals(graph)["macs"]) == (hand["params"], hand["macs"])
    assert totals(graph)["depth"] == 20  # "3*6+2=20 layers", the source says
    text = (Path(__file__).resolve().parent.parent / "architectures" / "mxnet.rdsl").read_text()
    assert f"params {hand['params']:_} within 0%, flops {hand['macs']:_} within 0%" in text
    compiled = resdsl.load("resnet_28_small")
    assert "stage2.0.project_data.conv.bias" in compiled.state_dict()
    assert not any(k.endswith("bn.weight") for k in compiled.state_dict())  # gamma fixed at 1
    assert_same_network(compiled, reference, size=28, batch=4)


def test_mxnet_argument_names_map_to_the_module_paths():
    """docs/architectures.md's mapping: the k-th Convolution/BatchNorm of the source is the k-th
    conv_factory unit; gamma (fixed at 1) is dropped, beta is the BN's bias."""
    from torch import nn

    from .reference_mxnet import mxnet_argument_names, mxnet_resnet_small_figures

    compiled = resdsl.load("resnet_28_small")
    units = [path[:-len(".conv")] for path, m in compiled.named_modules() if isinstance(m, nn.Conv2d)]
    assert len(units) == mxnet_resnet_small_figures(3)["convolutions"] == 21
    suffix = {"weight": "conv.weight", "bias": "conv.bias", "beta": "bn.bias",
              "moving_mean": "bn.running_mean", "moving_var": "bn.running_var"}
    converted, stored = {}, 0
    for name, shape in mxnet_argument_names(3):
        stored += torch.Size(shape).numel() if "moving" not in name else 0
        symbol, _, what = name.partition("_")
        if symbol.startswith(("convolution", "batchnorm")):
            if what == "gamma":
                continue
            k = int(symbol.lstrip("convolutinbahrm"))  # noqa: B005 (a set of letters: the name before its number)
            converted[f"{units[k]}.{suffix[what]}"] = torch.randn(shape)
            if what == "beta":
                converted[f"{units[k]}.bn.num_batches_tracked"] = torch.tensor(0)
        else:
            converted[f"{symbol}.{what}"] = torch.randn(shape)
    compiled.load_state_dict(converted, strict=True)
    assert stored == mxnet_resnet_small_figures(3)["mxnet_arguments"] == 272_474 + 784
