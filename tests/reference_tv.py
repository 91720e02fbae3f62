"""Hand-written references for torchvision's classification zoo, one generic builder per family
(RegNet, MNASNet, EfficientNet), written from torchvision's source (pytorch/vision,
torchvision/models/*.py; the commits are in docs/architectures.md): its module names, its
hyper-parameters and its rules for widths, computed here from the published parameters, so that
the bundled networks, whose widths are literals, are checked against the rules that make them."""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

from .reference_zoo import SE, make_divisible


def conv_norm_act(cin, cout, k=1, stride=1, groups=1, act: type[nn.Module] | None = nn.ReLU,
                  bn: dict | None = None) -> nn.Sequential:
    """torchvision's Conv2dNormActivation: `0` conv (no bias, padding (k-1)//2), `1` BN, `2` act."""
    layers = [nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False),
              nn.BatchNorm2d(cout, **(bn or {}))]
    return nn.Sequential(*layers, act()) if act else nn.Sequential(*layers)


# -- RegNet (torchvision/models/regnet.py) ---------------------------------------------------------

# depth, w_0, w_a, w_m, group width, SE ratio: the arguments of each torchvision constructor
REGNETS = {
    "regnet_y_400mf": (16, 48, 27.89, 2.09, 8, 0.25), "regnet_y_800mf": (14, 56, 38.84, 2.4, 16, 0.25),
    "regnet_y_1_6gf": (27, 48, 20.71, 2.65, 24, 0.25), "regnet_y_3_2gf": (21, 80, 42.63, 2.66, 24, 0.25),
    "regnet_y_8gf": (17, 192, 76.82, 2.19, 56, 0.25), "regnet_y_16gf": (18, 200, 106.23, 2.48, 112, 0.25),
    "regnet_y_32gf": (20, 232, 115.89, 2.53, 232, 0.25),
    "regnet_y_128gf": (27, 456, 160.83, 2.52, 264, 0.25),
    "regnet_x_400mf": (22, 24, 24.48, 2.54, 16, None), "regnet_x_800mf": (16, 56, 35.73, 2.28, 16, None),
    "regnet_x_1_6gf": (18, 80, 34.01, 2.25, 24, None), "regnet_x_3_2gf": (25, 88, 26.31, 2.25, 48, None),
    "regnet_x_8gf": (23, 80, 49.56, 2.88, 120, None), "regnet_x_16gf": (22, 216, 55.59, 2.1, 128, None),
    "regnet_x_32gf": (23, 320, 69.86, 2.0, 168, None),
}


def regnet_stages(depth, w_0, w_a, w_m, group_width) -> list[tuple[int, int, int]]:
    """(width, depth, group width) per stage: block j's width w_0 + j w_a snapped to w_0 times a
    whole power of w_m, rounded to a multiple of 8; runs of equal widths are stages; a stage's
    group width is min(g, width) and its width is made divisible by it."""
    stages: list[list[int]] = []
    for j in range(depth):
        power = round(math.log((w_0 + j * w_a) / w_0) / math.log(w_m))
        width = int(round(w_0 * w_m ** power / 8) * 8)
        if stages and stages[-1][0] == width:
            stages[-1][1] += 1
        else:
            stages.append([width, 1])
    out = []
    for width, count in stages:
        g = min(group_width, width)
        out.append((make_divisible(width, g), count, g))
    return out


class RegNetBlock(nn.Module):
    """ResBottleneckBlock: `f.a`, `f.b` (grouped), `f.se` (Y only, to round(ratio x input width)),
    `f.c`; `proj` where the width or the stride changes; ReLU after the sum."""

    def __init__(self, cin, cout, stride, group_width, se_ratio):
        super().__init__()
        self.f = nn.Sequential(OrderedDict(
            a=conv_norm_act(cin, cout),
            b=conv_norm_act(cout, cout, 3, stride, groups=cout // group_width)))
        if se_ratio:
            self.f.add_module("se", SE(cout, int(round(se_ratio * cin))))
        self.f.add_module("c", conv_norm_act(cout, cout, act=None))
        self.proj = conv_norm_act(cin, cout, 1, stride, act=None) \
            if stride != 1 or cin != cout else None

    def forward(self, x):
        return F.relu((self.proj(x) if self.proj is not None else x) + self.f(x))


class RegNet(nn.Module):
    def __init__(self, name: str, num_classes=1000):
        super().__init__()
        *params, se_ratio = REGNETS[name]
        self.stem = conv_norm_act(3, 32, 3, 2)
        self.trunk_output = nn.Sequential()
        cin = 32
        for i, (w, d, g) in enumerate(regnet_stages(*params), 1):
            stage = nn.Sequential()
            for j in range(d):
                stage.add_module(f"block{i}-{j}", RegNetBlock(cin, w, 2 if j == 0 else 1, g, se_ratio))
                cin = w
            self.trunk_output.add_module(f"block{i}", stage)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(self.trunk_output(self.stem(x)).mean((2, 3)))


# -- MNASNet (torchvision/models/mnasnet.py) -------------------------------------------------------

MNAS_BN = dict(momentum=1 - 0.9997)


def mnasnet_depths(alpha: float) -> list[int]:
    """The eight widths scaled by alpha: to a multiple of 8, rounding up unless that lands more
    than 10% above (torchvision's _round_to_multiple_of with round_up_bias 0.9)."""
    def rounded(v):
        n = max(8, int(v + 4) // 8 * 8)
        return n if n >= 0.9 * v else n + 8
    return [rounded(d * alpha) for d in (32, 16, 24, 40, 80, 96, 192, 320)]


class MnasBlock(nn.Module):
    def __init__(self, cin, cout, k, stride, t):
        super().__init__()
        mid = cin * t
        self.residual = cin == cout and stride == 1
        self.layers = nn.Sequential(
            nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid, **MNAS_BN), nn.ReLU(),
            nn.Conv2d(mid, mid, k, stride, k // 2, groups=mid, bias=False),
            nn.BatchNorm2d(mid, **MNAS_BN), nn.ReLU(),
            nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout, **MNAS_BN))

    def forward(self, x):
        return self.layers(x) + x if self.residual else self.layers(x)


class MNASNet(nn.Module):
    def __init__(self, alpha: float, num_classes=1000):
        super().__init__()
        d = mnasnet_depths(alpha)
        layers = [nn.Conv2d(3, d[0], 3, 2, 1, bias=False), nn.BatchNorm2d(d[0], **MNAS_BN), nn.ReLU(),
                  nn.Conv2d(d[0], d[0], 3, 1, 1, groups=d[0], bias=False),
                  nn.BatchNorm2d(d[0], **MNAS_BN), nn.ReLU(),
                  nn.Conv2d(d[0], d[1], 1, bias=False), nn.BatchNorm2d(d[1], **MNAS_BN)]
        # (kernel, stride, expansion, repeats) of the six stacks
        for i, (k, s, t, n) in enumerate([(3, 2, 3, 3), (5, 2, 3, 3), (5, 2, 6, 3), (3, 1, 6, 2),
                                          (5, 2, 6, 4), (3, 1, 6, 1)]):
            cin, cout = d[i + 1], d[i + 2]
            layers.append(nn.Sequential(*[MnasBlock(cin if j == 0 else cout, cout, k, s if j == 0 else 1, t)
                                          for j in range(n)]))
        layers += [nn.Conv2d(d[7], 1280, 1, bias=False), nn.BatchNorm2d(1280, **MNAS_BN), nn.ReLU()]
        self.layers = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(self.layers(x).mean((2, 3)))


# -- EfficientNet B0-B7 and V2 (torchvision/models/efficientnet.py) --------------------------------

# B0's Table 1: expansion, kernel, stride, input width, output width, blocks
EFFICIENTNET_B = [(1, 3, 1, 32, 16, 1), (6, 3, 2, 16, 24, 2), (6, 5, 2, 24, 40, 2), (6, 3, 2, 40, 80, 3),
                  (6, 5, 1, 80, 112, 3), (6, 5, 2, 112, 192, 4), (6, 3, 1, 192, 320, 1)]
# width and depth coefficients, dropout, BN arguments (torchvision's efficientnet_bN)
EFFICIENTNET_COEFFICIENTS = {
    "efficientnet_b0": (1.0, 1.0, 0.2, {}), "efficientnet_b1": (1.0, 1.1, 0.2, {}),
    "efficientnet_b2": (1.1, 1.2, 0.3, {}), "efficientnet_b3": (1.2, 1.4, 0.3, {}),
    "efficientnet_b4": (1.4, 1.8, 0.4, {}),
    "efficientnet_b5": (1.6, 2.2, 0.4, dict(eps=0.001, momentum=0.01)),
    "efficientnet_b6": (1.8, 2.6, 0.5, dict(eps=0.001, momentum=0.01)),
    "efficientnet_b7": (2.0, 3.1, 0.5, dict(eps=0.001, momentum=0.01)),
}
# V2: fused?, expansion, kernel, stride, input width, output width, blocks; dropout
EFFICIENTNET_V2 = {
    "efficientnet_v2_s": ([(1, 1, 3, 1, 24, 24, 2), (1, 4, 3, 2, 24, 48, 4), (1, 4, 3, 2, 48, 64, 4),
                           (0, 4, 3, 2, 64, 128, 6), (0, 6, 3, 1, 128, 160, 9), (0, 6, 3, 2, 160, 256, 15)], 0.2),
    "efficientnet_v2_m": ([(1, 1, 3, 1, 24, 24, 3), (1, 4, 3, 2, 24, 48, 5), (1, 4, 3, 2, 48, 80, 5),
                           (0, 4, 3, 2, 80, 160, 7), (0, 6, 3, 1, 160, 176, 14), (0, 6, 3, 2, 176, 304, 18),
                           (0, 6, 3, 1, 304, 512, 5)], 0.3),
    "efficientnet_v2_l": ([(1, 1, 3, 1, 32, 32, 4), (1, 4, 3, 2, 32, 64, 7), (1, 4, 3, 2, 64, 96, 7),
                           (0, 4, 3, 2, 96, 192, 10), (0, 6, 3, 1, 192, 224, 19), (0, 6, 3, 2, 224, 384, 25),
                           (0, 6, 3, 1, 384, 640, 7)], 0.4),
}


def efficientnet_setting(name: str):
    """[(fused, expansion, kernel, stride, input, output, blocks)], last width, dropout, BN args."""
    if name in EFFICIENTNET_V2:
        setting, dropout = EFFICIENTNET_V2[name]
        return setting, 1280, dropout, dict(eps=1e-3)
    width, depth, dropout, bn = EFFICIENTNET_COEFFICIENTS[name]
    setting = [(0, t, k, s, make_divisible(i * width), make_divisible(o * width), math.ceil(n * depth))
               for t, k, s, i, o, n in EFFICIENTNET_B]
    return setting, 4 * setting[-1][5], dropout, bn


class EfficientBlock(nn.Module):
    """MBConv (expanding 1x1 where the expanded width differs, depthwise, SE to max(1, input // 4)
    with SiLU, linear 1x1) or FusedMBConv (one k x k conv that expands, then a linear 1x1; at
    expansion 1 the k x k conv alone); the residual, with "row" stochastic depth, only where the
    block keeps its shape."""

    def __init__(self, fused, cin, cout, k, stride, t, bn, drop):
        super().__init__()
        mid, silu = make_divisible(cin * t), nn.SiLU
        if fused:
            layers = [conv_norm_act(cin, mid, k, stride, act=silu, bn=bn)]
            if mid != cin:
                layers.append(conv_norm_act(mid, cout, act=None, bn=bn))
        else:
            layers = [conv_norm_act(cin, mid, act=silu, bn=bn)] if mid != cin else []
            layers += [conv_norm_act(mid, mid, k, stride, groups=mid, act=silu, bn=bn),
                       SiLUSE(mid, max(1, cin // 4)), conv_norm_act(mid, cout, act=None, bn=bn)]
        self.block = nn.Sequential(*layers)
        self.residual, self.drop = stride == 1 and cin == cout, drop

    def forward(self, x):
        out = self.block(x)
        if not self.residual:
            return out
        if self.training and self.drop > 0:
            keep = 1.0 - self.drop
            out = out * torch.empty((out.shape[0], 1, 1, 1), dtype=out.dtype).bernoulli_(keep).div_(keep)
        return out + x


class SiLUSE(SE):
    def forward(self, x):
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(x.mean((2, 3), keepdim=True)))))


class EfficientNet(nn.Module):
    def __init__(self, name: str, num_classes=1000, stochastic_depth_prob=0.2):
        super().__init__()
        setting, last, dropout, bn = efficientnet_setting(name)
        stages = [conv_norm_act(3, setting[0][4], 3, 2, act=nn.SiLU, bn=bn)]
        total, index = sum(row[-1] for row in setting), 0
        for fused, t, k, s, cin, cout, n in setting:
            blocks = []
            for j in range(n):
                blocks.append(EfficientBlock(fused, cin if j == 0 else cout, cout, k, s if j == 0 else 1, t, bn,
                                             stochastic_depth_prob * index / total))
                index += 1
            stages.append(nn.Sequential(*blocks))
        stages.append(conv_norm_act(setting[-1][5], last, act=nn.SiLU, bn=bn))
        self.features = nn.Sequential(*stages)
        self.classifier = nn.Sequential(nn.Dropout(dropout), nn.Linear(last, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


# -- MobileNetV3 (torchvision/models/mobilenetv3.py) -----------------------------------------------

# input, kernel, expanded, output, SE, hardswish, stride: the paper's Tables 1 and 2
MOBILENET_V3 = {
    "mobilenet_v3_large": ([(16, 3, 16, 16, 0, 0, 1), (16, 3, 64, 24, 0, 0, 2), (24, 3, 72, 24, 0, 0, 1),
                            (24, 5, 72, 40, 1, 0, 2), (40, 5, 120, 40, 1, 0, 1), (40, 5, 120, 40, 1, 0, 1),
                            (40, 3, 240, 80, 0, 1, 2), (80, 3, 200, 80, 0, 1, 1), (80, 3, 184, 80, 0, 1, 1),
                            (80, 3, 184, 80, 0, 1, 1), (80, 3, 480, 112, 1, 1, 1), (112, 3, 672, 112, 1, 1, 1),
                            (112, 5, 672, 160, 1, 1, 2), (160, 5, 960, 160, 1, 1, 1), (160, 5, 960, 160, 1, 1, 1)],
                           1280),
    "mobilenet_v3_small": ([(16, 3, 16, 16, 1, 0, 2), (16, 3, 72, 24, 0, 0, 2), (24, 3, 88, 24, 0, 0, 1),
                            (24, 5, 96, 40, 1, 1, 2), (40, 5, 240, 40, 1, 1, 1), (40, 5, 240, 40, 1, 1, 1),
                            (40, 5, 120, 48, 1, 1, 1), (48, 5, 144, 48, 1, 1, 1), (48, 5, 288, 96, 1, 1, 2),
                            (96, 5, 576, 96, 1, 1, 1), (96, 5, 576, 96, 1, 1, 1)], 1024),
}
V3_BN = dict(eps=0.001, momentum=0.01)


class HardSE(SE):
    """torchvision's SqueezeExcitation with scale_activation=Hardsigmoid."""

    def forward(self, x):
        return x * F.hardsigmoid(self.fc2(F.relu(self.fc1(x.mean((2, 3), keepdim=True)))))


class V3Block(nn.Module):
    def __init__(self, cin, k, exp, cout, se, hs, stride):
        super().__init__()
        act = nn.Hardswish if hs else nn.ReLU
        layers = [conv_norm_act(cin, exp, act=act, bn=V3_BN)] if exp != cin else []
        layers.append(conv_norm_act(exp, exp, k, stride, groups=exp, act=act, bn=V3_BN))
        if se:
            layers.append(HardSE(exp, make_divisible(exp // 4)))
        layers.append(conv_norm_act(exp, cout, act=None, bn=V3_BN))
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return self.block(x) + x if self.residual else self.block(x)


class MobileNetV3(nn.Module):
    def __init__(self, name: str, num_classes=1000, width=1.0, reduced_tail=False):
        super().__init__()
        setting, last = MOBILENET_V3[name]
        # torchvision's _mobilenet_v3_conf: reduced_tail halves the outputs of the last three
        # blocks, the inputs and expansions of the last two, and the classifier's width;
        # width_mult scales every width, rounded to a multiple of 8
        d, n = (2 if reduced_tail else 1), len(setting)
        setting = [(make_divisible(cin // (d if i >= n - 2 else 1) * width), k,
                    make_divisible(exp // (d if i >= n - 2 else 1) * width),
                    make_divisible(cout // (d if i >= n - 3 else 1) * width), se, hs, stride)
                   for i, (cin, k, exp, cout, se, hs, stride) in enumerate(setting)]
        last = make_divisible(last // d * width)
        lastconv = 6 * setting[-1][3]
        self.features = nn.Sequential(
            conv_norm_act(3, setting[0][0], 3, 2, act=nn.Hardswish, bn=V3_BN),
            *[V3Block(*row) for row in setting],
            conv_norm_act(setting[-1][3], lastconv, act=nn.Hardswish, bn=V3_BN))
        self.classifier = nn.Sequential(nn.Linear(lastconv, last), nn.Hardswish(), nn.Dropout(0.2),
                                        nn.Linear(last, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


# -- ConvNeXt (torchvision/models/convnext.py) -----------------------------------------------------

# stage widths, blocks per stage, stochastic depth probability
CONVNEXTS = {"convnext_tiny": ((96, 192, 384, 768), (3, 3, 9, 3), 0.1),
             "convnext_small": ((96, 192, 384, 768), (3, 3, 27, 3), 0.4),
             "convnext_base": ((128, 256, 512, 1024), (3, 3, 27, 3), 0.5),
             "convnext_large": ((192, 384, 768, 1536), (3, 3, 27, 3), 0.5)}


class LayerNorm2d(nn.LayerNorm):
    def forward(self, x):
        return F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
                            self.eps).permute(0, 3, 1, 2)


class Permute(nn.Module):
    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)


class CNBlock(nn.Module):
    def __init__(self, dim, drop):
        super().__init__()
        self.block = nn.Sequential(nn.Conv2d(dim, dim, 7, padding=3, groups=dim), Permute(0, 2, 3, 1),
                                   nn.LayerNorm(dim, eps=1e-6), nn.Linear(dim, 4 * dim), nn.GELU(),
                                   nn.Linear(4 * dim, dim), Permute(0, 3, 1, 2))
        self.layer_scale = nn.Parameter(torch.ones(dim, 1, 1) * 1e-6)
        self.drop = drop

    def forward(self, x):
        out = self.layer_scale * self.block(x)
        if self.training and self.drop > 0:
            keep = 1.0 - self.drop
            out = out * torch.empty((out.shape[0], 1, 1, 1), dtype=out.dtype).bernoulli_(keep).div_(keep)
        return out + x


class ConvNeXt(nn.Module):
    def __init__(self, name: str, num_classes=1000):
        super().__init__()
        dims, depths, p = CONVNEXTS[name]
        total, index = sum(depths), 0
        layers: list[nn.Module] = [nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), LayerNorm2d(dims[0], eps=1e-6))]
        for i, (dim, n) in enumerate(zip(dims, depths)):
            layers.append(nn.Sequential(*[CNBlock(dim, p * (index + j) / (total - 1.0)) for j in range(n)]))
            index += n
            if i + 1 < len(dims):
                layers.append(nn.Sequential(LayerNorm2d(dim, eps=1e-6), nn.Conv2d(dim, dims[i + 1], 2, 2)))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(LayerNorm2d(dims[-1], eps=1e-6), nn.Flatten(1),
                                        nn.Linear(dims[-1], num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3), keepdim=True))
