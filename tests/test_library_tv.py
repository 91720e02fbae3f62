"""torchvision's classification zoo, bundled under its own names: each network against a
hand-written reference (tests/reference_tv.py, written from torchvision's source) built from the
published parameters. Parameters equal the published count; the reference's state_dict loads
strictly; torch's FlopCounterMode on the reference counts twice our multiply-adds; and where a
forward is cheap, the outputs agree in eval and in train mode with random weights and BN
statistics (at 64x64). The large ones (marked HEAVY) are compared on the meta device only:
names, shapes and counts, no forward, so the suite stays quick."""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import resdsl
from resdsl.netgraph.infer import totals
from resdsl.torch.modules import DropPathAdd

from . import torch_support  # noqa: F401  (one torch thread per worker)
from .reference_tv import (
    CONVNEXTS,
    EFFICIENTNET_COEFFICIENTS,
    EFFICIENTNET_V2,
    MOBILENET_V3,
    REGNETS,
    CNBlock,
    ConvNeXt,
    EfficientBlock,
    EfficientNet,
    MNASNet,
    MobileNetV3,
    RegNet,
    regnet_stages,
)
from .reference_tv_classic import SHUFFLENETS, VGG, AlexNet, GoogLeNet, InceptionV3, ShuffleNetV2, SqueezeNet
from .reference_tv_timm import (
    CSPNETS,
    DLA34,
    DPN,
    DPNS,
    TIMM_CONVNEXTS,
    CspNet,
    GhostNet,
    ResNestBottleneck,
    TimmConvNeXt,
)
from .reference_zoo import TimmBottleneck, TimmResNet, TorchvisionDenseNet
from .zoo_support import assert_same_network

# torchvision's weights tables: num_params (timm's, in millions: a float)
PUBLISHED = {
    "regnet_y_400mf": 4_344_144, "regnet_y_800mf": 6_432_512, "regnet_y_1_6gf": 11_202_430,
    "regnet_y_3_2gf": 19_436_338, "regnet_y_8gf": 39_381_472, "regnet_y_16gf": 83_590_140,
    "regnet_y_32gf": 145_046_770, "regnet_y_128gf": 644_812_894,
    "regnet_x_400mf": 5_495_976, "regnet_x_800mf": 7_259_656, "regnet_x_1_6gf": 9_190_136,
    "regnet_x_3_2gf": 15_296_552, "regnet_x_8gf": 39_572_648, "regnet_x_16gf": 54_278_536,
    "regnet_x_32gf": 107_811_560,
    "resnext101_32x8d": 88_791_336, "resnext101_64x4d": 83_455_272, "wide_resnet101_2": 126_886_696,
    "densenet121": 7_978_856, "densenet161": 28_681_000, "densenet169": 14_149_480,
    "densenet201": 20_013_928,
    "mnasnet0_5": 2_218_512, "mnasnet0_75": 3_170_208, "mnasnet1_0": 4_383_312, "mnasnet1_3": 6_282_256,
    "efficientnet_b0": 5_288_548, "efficientnet_b1": 7_794_184, "efficientnet_b2": 9_109_994,
    "efficientnet_b3": 12_233_232, "efficientnet_b4": 19_341_616, "efficientnet_b5": 30_389_784,
    "efficientnet_b6": 43_040_704, "efficientnet_b7": 66_347_960, "efficientnet_v2_s": 21_458_488,
    "efficientnet_v2_m": 54_139_356, "efficientnet_v2_l": 118_515_272,
    "mobilenet_v3_large": 5_483_032, "mobilenet_v3_small": 2_542_856,
    "shufflenet_v2_x0_5": 1_366_792, "shufflenet_v2_x1_0": 2_278_604, "shufflenet_v2_x1_5": 3_503_624,
    "shufflenet_v2_x2_0": 7_393_996,
    "convnext_tiny": 28_589_128, "convnext_small": 50_223_688, "convnext_base": 88_591_464,
    "convnext_large": 197_767_336,
    "cspresnet50": 21.62e6, "cspresnext50": 20.57e6,  # timm's results table: millions, 2 decimals
    "ghostnet_050": 2.59e6, "ghostnet_100": 5.18e6, "ghostnet_130": 7.36e6, "resnest50d": 27.48e6, "dla34": 15.74e6, "convnext_atto": 3.70e6, "convnext_nano": 15.59e6, "dpn68": 12.61e6, "dpn92": 37.67e6,
    "vgg11": 132_863_336, "vgg13": 133_047_848, "vgg16": 138_357_544, "vgg11_bn": 132_868_840,
    "vgg13_bn": 133_053_736, "vgg16_bn": 138_365_992, "vgg19": 143_667_240, "vgg19_bn": 143_678_248,
    "googlenet_noaux": 6_624_904, "inception_v3_noaux": 27_161_264 - 3_326_696,  # less the aux heads
    "alexnet": 61_100_840, "squeezenet1_0": 1_248_424, "squeezenet1_1": 1_235_496,
}
# the input size of the forward comparison where 64x64 does not do: AlexNet's adaptive pool is
# the identity only at 224 (our network leaves it out)
SIZES = {"alexnet": 224, "inception_v3_noaux": 107}
HEAVY = {"regnet_y_8gf", "regnet_y_16gf", "regnet_y_32gf", "regnet_y_128gf", "regnet_x_8gf",
         "regnet_x_16gf", "regnet_x_32gf", "resnext101_32x8d", "resnext101_64x4d", "wide_resnet101_2",
         "efficientnet_b6", "efficientnet_b7", "efficientnet_v2_m", "efficientnet_v2_l",
         "convnext_small", "convnext_base", "convnext_large",
         "vgg11", "vgg13", "vgg16", "vgg19", "vgg11_bn", "vgg13_bn", "vgg16_bn", "vgg19_bn"}
# torchvision's ResNet with the bottleneck's 3x3 grouped (groups, base width): its layout, stride
# on the 3x3, is timm's plain ResNet's, whose names it shares
RESNETS = {"resnext101_32x8d": (32, 8), "resnext101_64x4d": (64, 4), "wide_resnet101_2": (1, 128)}
DENSENETS = {"densenet121": (32, (6, 12, 24, 16), 64), "densenet161": (48, (6, 12, 36, 24), 96),
             "densenet169": (32, (6, 12, 32, 32), 64), "densenet201": (32, (6, 12, 48, 32), 64)}


def reference(name: str):
    if name in REGNETS:
        return RegNet(name)
    if name in RESNETS:
        groups, base_width = RESNETS[name]
        return TimmResNet(TimmBottleneck, [3, 4, 23, 3], groups=groups, base_width=base_width)
    if name in DENSENETS:
        return TorchvisionDenseNet(*DENSENETS[name])
    if name in EFFICIENTNET_COEFFICIENTS or name in EFFICIENTNET_V2:
        return EfficientNet(name)
    if name in MOBILENET_V3:
        return MobileNetV3(name)
    if name in SHUFFLENETS:
        return ShuffleNetV2(name)
    if name in CONVNEXTS:
        return ConvNeXt(name)
    if name in TIMM_CONVNEXTS:
        return TimmConvNeXt(name)
    if name in DPNS:
        return DPN(name)
    if name in CSPNETS:
        return CspNet(name)
    if name == "dla34":
        return DLA34()
    if name == "resnest50d":
        return TimmResNet(ResNestBottleneck, [3, 4, 6, 3], stem="deep", avg_down=True)
    if name.startswith("ghostnet_"):
        return GhostNet(width=int(name[-3:]) / 100)
    if name.startswith("vgg"):
        return VGG(name)
    if name.startswith("inception_v3"):
        return InceptionV3(aux=name == "inception_v3")
    if name.startswith("googlenet"):
        return GoogLeNet(aux=name == "googlenet")
    if name == "alexnet":
        return AlexNet()
    if name.startswith("squeezenet"):
        return SqueezeNet(name[len("squeezenet"):])
    if name.startswith("mnasnet"):
        return MNASNet(float(name[len("mnasnet"):].replace("_", ".")))
    raise KeyError(name)


def assert_same_on_meta(name: str) -> None:
    """Names, shapes, parameter count and multiply-adds, without allocating a weight."""
    graph = resdsl.graph(name)
    with torch.device("meta"):
        ref, compiled = reference(name).eval(), resdsl.load(name).eval()
        x = torch.empty(1, *graph.graph["input"])
    compiled.load_state_dict(ref.state_dict(), strict=True)
    params = sum(p.numel() for p in ref.parameters())
    assert params == totals(graph)["params"]
    published = PUBLISHED[name]
    assert params == published if isinstance(published, int) else round(params / 1e6, 2) == published / 1e6
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        ref(x)
    assert counter.get_total_flops() == 2 * totals(graph)["macs"]


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_counts_names_and_shapes_are_torchvisions(name):
    assert_same_on_meta(name)


@pytest.mark.parametrize("name", sorted(set(PUBLISHED) - HEAVY))
def test_outputs_are_torchvisions(name):
    """Dropout and drop-path off (two modules draw differently): the rest in train mode too."""
    torch.manual_seed(0)
    compiled, ref = resdsl.load(name), reference(name)
    for module in (*compiled.modules(), *ref.modules()):
        if isinstance(module, (torch.nn.Dropout, DropPathAdd)):
            module.p = 0.0
        if isinstance(module, (EfficientBlock, CNBlock)):
            module.drop = 0.0
    assert_same_network(compiled, ref, size=SIZES.get(name, 64))


def test_regnet_widths_are_the_published_parameters():
    """The literal widths in regnet.rdsl are torchvision's rule applied to (d, w_0, w_a, w_m, g)."""
    for name, (*params, _) in REGNETS.items():
        graph = resdsl.graph(name)
        for i, (width, depth, group_width) in enumerate(regnet_stages(*params), 1):
            last = f"trunk_output.block{i}.block{i}-{depth - 1}.f.b.0"
            assert graph.nodes[last]["out_shape"][0] == width, name
            assert graph.nodes[last]["args"]["groups"] == width // group_width, name
            assert f"trunk_output.block{i}.block{i}-{depth}.f.b.0" not in graph
    assert regnet_stages(*REGNETS["regnet_x_8gf"][:-1])[0] == (80, 2, 80)  # min(g, width)


@pytest.mark.parametrize("name", ["efficientnet_b3", "efficientnet_v2_s", "convnext_tiny", "convnext_large"])
def test_stochastic_depth_rates_are_torchvisions(name):
    """EfficientNet: 0.2 x i / (all blocks) for the i-th block, counted over every stage, only
    where it adds; ConvNeXt: p x i / (all blocks - 1). The first block, at 0, is a plain sum."""
    with torch.device("meta"):
        ref, compiled = reference(name), resdsl.load(name)
    want = {path: m.drop for path, m in ref.named_modules() if isinstance(m, (EfficientBlock, CNBlock))
            and getattr(m, "residual", True) and m.drop > 0}
    got = {path.rsplit(".", 1)[0]: m.p for path, m in compiled.named_modules() if isinstance(m, DropPathAdd)}
    assert got == pytest.approx(want) and len(got) > 10


# torchvision's mobilenet_v3_large/small(width_mult=..., reduced_tail=...): their parameter counts
# (torchvision's constructors, counted)
V3_VARIANTS = [("mobilenet_v3_large", 0.75, False, 3_377_576), ("mobilenet_v3_large", 1.0, True, 2_569_352),
               ("mobilenet_v3_small", 0.75, True, 752_848), ("mobilenet_v3_small", 1.0, True, 1_099_672)]


@pytest.mark.parametrize("name, width, reduced_tail, published", V3_VARIANTS)
def test_mobilenet_v3_takes_torchvisions_width_and_reduced_tail(name, width, reduced_tail, published):
    torch.manual_seed(0)
    compiled = resdsl.load(name, width=width, reduced_tail=reduced_tail)
    ref = MobileNetV3(name, width=width, reduced_tail=reduced_tail)
    assert sum(p.numel() for p in compiled.parameters()) == published
    for module in (*compiled.modules(), *ref.modules()):
        if isinstance(module, torch.nn.Dropout):
            module.p = 0.0
    assert_same_network(compiled, ref)
