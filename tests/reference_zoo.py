"""Hand-written reference networks for the residual-family zoo (issue 11), in the style of
tests/reference_models.py: written from the reference implementations' documented structure
(timm's and torchvision's module names and hyper-parameters), not from their code, so that a
compiled resdsl module and one of these share `state_dict` keys and give the same outputs.
"""

from __future__ import annotations

import math
from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn


def conv(cin: int, cout: int, k: int = 1, stride: int = 1, groups: int = 1, dilation: int = 1,
         bias: bool = False) -> nn.Conv2d:
    """A k x k convolution that keeps the size at stride 1."""
    return nn.Conv2d(cin, cout, k, stride=stride, padding=(k - 1) // 2 * dilation,
                     dilation=dilation, groups=groups, bias=bias)


def norm(kind: str, channels: int) -> nn.Module:
    return nn.GroupNorm(32, channels) if kind == "gn" else nn.BatchNorm2d(channels)


class SE(nn.Module):
    """Squeeze-and-excitation with 1x1 convs `fc1`/`fc2` (timm's SEModule names)."""

    def __init__(self, channels: int, reduced: int):
        super().__init__()
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, channels, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


class ECA(nn.Module):
    """ECA-Net: a 1-D conv across the pooled channels; kernel from the channel count
    (ECA paper, eq. 12, gamma 2, b 1, the nearest odd number, at least 3)."""

    def __init__(self, channels: int):
        super().__init__()
        t = int(abs(math.log2(channels) + 1) / 2)
        k = max(t if t % 2 else t + 1, 3)
        self.conv = nn.Conv1d(1, 1, k, padding=(k - 1) // 2, bias=False)

    def forward(self, x):
        y = self.conv(x.mean((2, 3)).unsqueeze(1))  # N x 1 x C
        return x * torch.sigmoid(y).view(x.shape[0], -1, 1, 1)


class TimmBasic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride=1, downsample=None, norm_kind="bn", attn=None, **_):
        super().__init__()
        self.conv1 = conv(cin, width, 3, stride)
        self.bn1 = norm(norm_kind, width)
        self.conv2 = conv(width, width, 3)
        self.bn2 = norm(norm_kind, width)
        self.se = attn(width) if attn else None
        self.downsample = downsample

    def forward(self, x):
        out = self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x)))))
        if self.se is not None:
            out = self.se(out)
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class TimmBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride=1, downsample=None, norm_kind="bn", attn=None,
                 groups=1, base_width=64):
        super().__init__()
        mid = int(math.floor(width * base_width / 64)) * groups
        self.conv1 = conv(cin, mid)
        self.bn1 = norm(norm_kind, mid)
        self.conv2 = conv(mid, mid, 3, stride, groups=groups)
        self.bn2 = norm(norm_kind, mid)
        self.conv3 = conv(mid, width * 4)
        self.bn3 = norm(norm_kind, width * 4)
        self.se = attn(width * 4) if attn else None
        self.downsample = downsample

    def forward(self, x):
        out = F.relu(self.bn1(self.conv1(x)))
        out = F.relu(self.bn2(self.conv2(out)))
        out = self.bn3(self.conv3(out))
        if self.se is not None:
            out = self.se(out)
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


class TimmResNet(nn.Module):
    """timm's ResNet family: `stem` 'plain' (7x7), 'deep' (3x3 convs of 32, 32, 64) or
    'tiered' (24, 32, 64), in `conv1.0` ... `conv1.6`; `avg_down`: the ResNet-D shortcut
    (`downsample.0` a 2x2 average pool, or nothing at stride 1, `.1` conv, `.2` norm)."""

    def __init__(self, block, depths, stem="plain", avg_down=False, norm_kind="bn", attn=None,
                 groups=1, base_width=64, num_classes=1000):
        super().__init__()
        if stem == "plain":
            self.conv1 = nn.Conv2d(3, 64, 7, stride=2, padding=3, bias=False)
        else:
            a, b = (24, 32) if stem == "tiered" else (32, 32)
            self.conv1 = nn.Sequential(conv(3, a, 3, 2), norm(norm_kind, a), nn.ReLU(),
                                       conv(a, b, 3), norm(norm_kind, b), nn.ReLU(),
                                       conv(b, 64, 3))
        self.bn1 = norm(norm_kind, 64)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        self.cin = 64
        kw = dict(norm_kind=norm_kind, attn=attn, groups=groups, base_width=base_width)
        for i, (width, count) in enumerate(zip((64, 128, 256, 512), depths)):
            stride = 1 if i == 0 else 2
            blocks = []
            for j in range(count):
                s = stride if j == 0 else 1
                out = width * block.expansion
                down = None
                if s != 1 or self.cin != out:
                    if avg_down:
                        pool = nn.AvgPool2d(2, s, ceil_mode=True, count_include_pad=False) \
                            if s > 1 else nn.Identity()
                        down = nn.Sequential(pool, conv(self.cin, out), norm(norm_kind, out))
                    else:
                        down = nn.Sequential(conv(self.cin, out, 1, s), norm(norm_kind, out))
                blocks.append(block(self.cin, width, s, down, **kw))
                self.cin = out
            self.add_module(f"layer{i + 1}", nn.Sequential(*blocks))
        self.fc = nn.Linear(self.cin, num_classes)

    def forward(self, x):
        x = self.maxpool(F.relu(self.bn1(self.conv1(x))))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(x.mean((2, 3)))


def timm_resnet(name: str) -> nn.Module:
    """The timm model of that name, as the reference here builds it."""
    b, k = TimmBasic, TimmBottleneck
    d = dict(stem="deep", avg_down=True)
    table = {
        "resnet18d": (b, [2, 2, 2, 2], d), "resnet26d": (k, [2, 2, 2, 2], d),
        "resnet50d": (k, [3, 4, 6, 3], d), "resnet101d": (k, [3, 4, 23, 3], d),
        "resnet50t": (k, [3, 4, 6, 3], dict(stem="tiered", avg_down=True)),
        "ecaresnet50d": (k, [3, 4, 6, 3], dict(d, attn=ECA)),
        "seresnext50_32x4d": (k, [3, 4, 6, 3],
                              dict(attn=lambda c: SE(c, c // 16), groups=32, base_width=4)),
        "resnet50_gn": (k, [3, 4, 6, 3], dict(norm_kind="gn")),
        "seresnet50": (k, [3, 4, 6, 3], dict(attn=lambda c: SE(c, c // 16))),
    }
    block, depths, kw = table[name]
    return TimmResNet(block, depths, **kw)


class ConvNormAct(nn.Module):
    """`conv` then `bn` (then ReLU if `act`), timm's ConvNormAct names."""

    def __init__(self, cin, cout, k=3, stride=1, dilation=1, act=True):
        super().__init__()
        self.conv = conv(cin, cout, k, stride, dilation=dilation)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.relu(x) if self.act else x


class SKAttention(nn.Module):
    def __init__(self, channels, width, paths=2):
        super().__init__()
        self.paths = paths
        self.fc_reduce = nn.Conv2d(channels, width, 1, bias=False)
        self.bn = nn.BatchNorm2d(width)
        self.fc_select = nn.Conv2d(width, channels * paths, 1, bias=False)

    def forward(self, stacked):  # N x paths x C x H x W
        x = stacked.sum(1).mean((2, 3), keepdim=True)
        x = self.fc_select(F.relu(self.bn(self.fc_reduce(x))))
        n, c = x.shape[:2]
        return torch.softmax(x.view(n, self.paths, c // self.paths, 1, 1), dim=1)


class SelectiveKernel(nn.Module):
    """Two paths (3x3, and 3x3 with dilation 2), each on half of the input channels; an
    attention across paths per channel (timm's split_input variant, attention width
    make_divisible(out / 8, 16))."""

    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.paths = nn.ModuleList([ConvNormAct(cin // 2, cout, 3, stride, dilation=d)
                                    for d in (1, 2)])
        width = max(16, int(cout / 8 + 8) // 16 * 16)
        self.attn = SKAttention(cout, width)

    def forward(self, x):
        halves = torch.split(x, x.shape[1] // 2, 1)
        stacked = torch.stack([p(h) for p, h in zip(self.paths, halves)], dim=1)
        return (stacked * self.attn(stacked)).sum(1)


class SKBasic(nn.Module):
    expansion = 1

    def __init__(self, cin, width, stride=1, downsample=None, **_):
        super().__init__()
        self.conv1 = SelectiveKernel(cin, width, stride)
        self.conv2 = ConvNormAct(width, width, 3, act=False)
        self.downsample = downsample

    def forward(self, x):
        out = self.conv2(self.conv1(x))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


def skresnet18() -> nn.Module:
    return TimmResNet(SKBasic, [2, 2, 2, 2])


class CBA(nn.Module):
    """Inception-ResNet's conv (no padding unless asked), BN of eps 0.001, ReLU."""

    def __init__(self, cin, cout, k=1, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride=stride, padding=padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class Mixed5b(nn.Module):
    def __init__(self):
        super().__init__()
        self.branch0 = CBA(192, 96)
        self.branch1 = nn.Sequential(CBA(192, 48), CBA(48, 64, 5, padding=2))
        self.branch2 = nn.Sequential(CBA(192, 64), CBA(64, 96, 3, padding=1),
                                     CBA(96, 96, 3, padding=1))
        self.branch3 = nn.Sequential(nn.AvgPool2d(3, 1, 1, count_include_pad=False), CBA(192, 64))

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class Block35(nn.Module):
    """Inception-ResNet-A: relu(x + scale * conv2d(cat(b0, b1, b2)))."""

    def __init__(self, scale=0.17):
        super().__init__()
        self.scale = scale
        self.branch0 = CBA(320, 32)
        self.branch1 = nn.Sequential(CBA(320, 32), CBA(32, 32, 3, padding=1))
        self.branch2 = nn.Sequential(CBA(320, 32), CBA(32, 48, 3, padding=1),
                                     CBA(48, 64, 3, padding=1))
        self.conv2d = nn.Conv2d(128, 320, 1)

    def forward(self, x):
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1))
        return F.relu(out * self.scale + x)


class InceptionResNetA(nn.Module):
    """timm's inception_resnet_v2 up to its ten Block35s, then a classifier."""

    def __init__(self, blocks=10, num_classes=1000):
        super().__init__()
        self.conv2d_1a = CBA(3, 32, 3, stride=2)
        self.conv2d_2a = CBA(32, 32, 3)
        self.conv2d_2b = CBA(32, 64, 3, padding=1)
        self.maxpool_3a = nn.MaxPool2d(3, stride=2)
        self.conv2d_3b = CBA(64, 80)
        self.conv2d_4a = CBA(80, 192, 3)
        self.maxpool_5a = nn.MaxPool2d(3, stride=2)
        self.mixed_5b = Mixed5b()
        self.repeat = nn.Sequential(*[Block35(0.17) for _ in range(blocks)])
        self.classif = nn.Linear(320, num_classes)

    def forward(self, x):
        for name in ("conv2d_1a", "conv2d_2a", "conv2d_2b", "maxpool_3a", "conv2d_3b",
                     "conv2d_4a", "maxpool_5a", "mixed_5b", "repeat"):
            x = getattr(self, name)(x)
        return self.classif(x.mean((2, 3)))


# -- the whole Inception-ResNet-v2, as timm's inception_resnet_v2 (issue 11, second part) -------

class Mixed6a(nn.Module):
    """Reduction-A: 35x35 to 17x17, three branches side by side (the last a max pool)."""

    def __init__(self):
        super().__init__()
        self.branch0 = CBA(320, 384, 3, stride=2)
        self.branch1 = nn.Sequential(CBA(320, 256), CBA(256, 256, 3, padding=1), CBA(256, 384, 3, stride=2))
        self.branch2 = nn.MaxPool2d(3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x)], 1)


class Mixed7a(nn.Module):
    """Reduction-B: 17x17 to 8x8, four branches (the last a max pool)."""

    def __init__(self):
        super().__init__()
        self.branch0 = nn.Sequential(CBA(1088, 256), CBA(256, 384, 3, stride=2))
        self.branch1 = nn.Sequential(CBA(1088, 256), CBA(256, 288, 3, stride=2))
        self.branch2 = nn.Sequential(CBA(1088, 256), CBA(256, 288, 3, padding=1), CBA(288, 320, 3, stride=2))
        self.branch3 = nn.MaxPool2d(3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch0(x), self.branch1(x), self.branch2(x), self.branch3(x)], 1)


class ScaledResidual(nn.Module):
    """Inception-ResNet-B and -C: two branches (a 1x1; a 1x1 then factorized 1xk, kx1 convs),
    concatenated, a 1x1 conv with bias back to the input's width, x + scale * that, a ReLU
    unless `relu` is off (the network's last block)."""

    def __init__(self, width, b0, b1, k, scale, relu=True):
        super().__init__()
        self.scale, self.relu = scale, relu
        self.branch0 = CBA(width, b0)
        self.branch1 = nn.Sequential(CBA(width, b1[0]), CBA(b1[0], b1[1], (1, k), padding=(0, k // 2)),
                                     CBA(b1[1], b1[2], (k, 1), padding=(k // 2, 0)))
        self.conv2d = nn.Conv2d(b0 + b1[2], width, 1)

    def forward(self, x):
        out = self.conv2d(torch.cat([self.branch0(x), self.branch1(x)], 1)) * self.scale + x
        return F.relu(out) if self.relu else out


def block17(scale=0.10) -> ScaledResidual:
    return ScaledResidual(1088, 192, (128, 160, 192), 7, scale)


def block8(scale=0.20, relu=True) -> ScaledResidual:
    return ScaledResidual(2080, 192, (192, 224, 256), 3, scale, relu)


class InceptionResNetV2(InceptionResNetA):
    """timm's inception_resnet_v2: the stem, Mixed-5b and 10 x Block35 of InceptionResNetA,
    then Mixed-6a, 20 x Block17, Mixed-7a, 9 x Block8, a last Block8 at scale 1 with no ReLU,
    a 1x1 conv to 1536, the global average and `classif`."""

    def __init__(self, num_classes=1000):
        super().__init__(blocks=10, num_classes=num_classes)
        self.mixed_6a = Mixed6a()
        self.repeat_1 = nn.Sequential(*[block17(0.10) for _ in range(20)])
        self.mixed_7a = Mixed7a()
        self.repeat_2 = nn.Sequential(*[block8(0.20) for _ in range(9)])
        self.block8 = block8(1.0, relu=False)
        self.conv2d_7b = CBA(2080, 1536)
        self.classif = nn.Linear(1536, num_classes)

    def forward(self, x):
        for name in ("conv2d_1a", "conv2d_2a", "conv2d_2b", "maxpool_3a", "conv2d_3b", "conv2d_4a",
                     "maxpool_5a", "mixed_5b", "repeat", "mixed_6a", "repeat_1", "mixed_7a",
                     "repeat_2", "block8", "conv2d_7b"):
            x = getattr(self, name)(x)
        return self.classif(x.mean((2, 3)))


def conv_bn_relu6(cin, cout, k=3, stride=1, groups=1) -> nn.Sequential:
    """torchvision's Conv2dNormActivation with ReLU6: children 0 (conv), 1 (BN), 2 (ReLU6)."""
    return nn.Sequential(conv(cin, cout, k, stride, groups=groups), nn.BatchNorm2d(cout),
                         nn.ReLU6())


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, t):
        super().__init__()
        mid = cin * t
        layers = [conv_bn_relu6(cin, mid, 1)] if t != 1 else []
        layers += [conv_bn_relu6(mid, mid, 3, stride, groups=mid), conv(mid, cout),
                   nn.BatchNorm2d(cout)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


class MobileNetV2(nn.Module):
    """The paper's Table 2 (t, c, n, s), torchvision's names."""

    def __init__(self, num_classes=1000):
        super().__init__()
        layers, cin = [conv_bn_relu6(3, 32, 3, 2)], 32
        for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                           (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
            for i in range(n):
                layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
                cin = c
        layers.append(conv_bn_relu6(cin, 1280, 1))
        self.features = nn.Sequential(*layers)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


class Res2NetBottleneck(nn.Module):
    """Res2Net's bottleneck, scale 4, base width 26 (timm's Bottle2neck names)."""

    expansion = 4

    def __init__(self, cin, width, stride=1, downsample=None, **_):
        super().__init__()
        w = int(math.floor(width * 26 / 64))
        self.w, self.first = w, stride > 1 or downsample is not None
        self.conv1 = conv(cin, 4 * w)
        self.bn1 = nn.BatchNorm2d(4 * w)
        self.convs = nn.ModuleList([conv(w, w, 3, stride) for _ in range(3)])
        self.bns = nn.ModuleList([nn.BatchNorm2d(w) for _ in range(3)])
        self.pool = nn.AvgPool2d(3, stride, padding=1) if self.first else None
        self.conv3 = conv(4 * w, width * 4)
        self.bn3 = nn.BatchNorm2d(width * 4)
        self.downsample = downsample

    def forward(self, x):
        parts = torch.split(F.relu(self.bn1(self.conv1(x))), self.w, 1)
        outs, sp = [], None
        for i, (c, b) in enumerate(zip(self.convs, self.bns)):
            sp = parts[i] if i == 0 or self.first else sp + parts[i]
            sp = F.relu(b(c(sp)))
            outs.append(sp)
        outs.append(self.pool(parts[3]) if self.first else parts[3])
        out = self.bn3(self.conv3(torch.cat(outs, 1)))
        return F.relu(out + (self.downsample(x) if self.downsample is not None else x))


def res2net50_26w_4s() -> nn.Module:
    return TimmResNet(Res2NetBottleneck, [3, 4, 6, 3])


class PreActBottleneckV2(nn.Module):
    """timm's PreActBottleneck: BN-ReLU (`norm1`) first; a projection (`downsample.conv`, no BN)
    reads the pre-activated input."""

    def __init__(self, cin, width, stride, project):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.conv1 = conv(cin, width)
        self.norm2 = nn.BatchNorm2d(width)
        self.conv2 = conv(width, width, 3, stride)
        self.norm3 = nn.BatchNorm2d(width)
        self.conv3 = conv(width, width * 4)
        if project:
            self.downsample = nn.Module()
            self.downsample.conv = conv(cin, width * 4, 1, stride)
        else:
            self.downsample = None

    def forward(self, x):
        pre = F.relu(self.norm1(x))
        shortcut = self.downsample.conv(pre) if self.downsample is not None else x
        out = self.conv1(pre)
        out = self.conv2(F.relu(self.norm2(out)))
        out = self.conv3(F.relu(self.norm3(out)))
        return out + shortcut


class ResNetV2(nn.Module):
    def __init__(self, depths=(3, 4, 6, 3), num_classes=1000):
        super().__init__()
        self.stem = nn.Module()
        self.stem.conv = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.stages = nn.Sequential()
        cin = 64
        for i, (width, n) in enumerate(zip((64, 128, 256, 512), depths)):
            stage = nn.Module()
            stage.blocks = nn.Sequential(*[
                PreActBottleneckV2(cin if j == 0 else width * 4, width,
                                   (1 if i == 0 else 2) if j == 0 else 1, project=j == 0)
                for j in range(n)])
            self.stages.add_module(str(i), stage)
            cin = width * 4
        self.norm = nn.BatchNorm2d(cin)
        self.head = nn.Module()
        self.head.fc = nn.Conv2d(cin, num_classes, 1)

    def forward(self, x):
        x = F.max_pool2d(self.stem.conv(x), 3, 2, 1)
        for stage in self.stages:
            x = stage.blocks(x)
        x = F.relu(self.norm(x)).mean((2, 3), keepdim=True)
        return torch.flatten(self.head.fc(x), 1)


class DenseLayer(nn.Module):
    def __init__(self, cin, growth, bn_size=4):
        super().__init__()
        self.norm1 = nn.BatchNorm2d(cin)
        self.conv1 = conv(cin, bn_size * growth)
        self.norm2 = nn.BatchNorm2d(bn_size * growth)
        self.conv2 = conv(bn_size * growth, growth, 3)

    def forward(self, x):
        new = self.conv2(F.relu(self.norm2(self.conv1(F.relu(self.norm1(x))))))
        return torch.cat([x, new], 1)


class TorchvisionDenseNet(nn.Module):
    """torchvision's DenseNet names: `features.denseblockN.denselayerM`, `features.transitionN`."""

    def __init__(self, growth=32, depths=(6, 12, 24, 16), init=64, num_classes=1000):
        super().__init__()
        f = nn.Sequential()
        f.add_module("conv0", nn.Conv2d(3, init, 7, 2, 3, bias=False))
        f.add_module("norm0", nn.BatchNorm2d(init))
        f.add_module("relu0", nn.ReLU())
        f.add_module("pool0", nn.MaxPool2d(3, 2, 1))
        c = init
        for i, n in enumerate(depths, 1):
            block = nn.Sequential()
            for j in range(1, n + 1):
                block.add_module(f"denselayer{j}", DenseLayer(c, growth))
                c += growth
            f.add_module(f"denseblock{i}", block)
            if i < len(depths):
                f.add_module(f"transition{i}", nn.Sequential(OrderedDict(
                    norm=nn.BatchNorm2d(c), relu=nn.ReLU(), conv=conv(c, c // 2),
                    pool=nn.AvgPool2d(2, 2))))
                c //= 2
        f.add_module("norm5", nn.BatchNorm2d(c))
        self.features = f
        self.classifier = nn.Linear(c, num_classes)

    def forward(self, x):
        return self.classifier(F.relu(self.features(x)).mean((2, 3)))


def conv_bn_silu(cin, cout, k=3, stride=1, groups=1, act=True) -> nn.Sequential:
    layers = [conv(cin, cout, k, stride, groups=groups), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.SiLU()) if act else nn.Sequential(*layers)


class SESiLU(SE):
    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.silu(self.fc1(s))))


def make_divisible(v: float, divisor: int = 8) -> int:
    """MobileNet's channel rounding (torchvision's models/_utils.py): the nearest multiple of
    `divisor`, never below `divisor` nor more than 10% below `v`."""
    rounded = max(divisor, int(v + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * v else rounded


class MBConv(nn.Module):
    """torchvision's MBConv: an expanding 1x1 only where the expanded width differs from the
    input's, SE squeezing to a quarter of the block's *input*, the residual (and its stochastic
    depth, mode "row") only where the block keeps its shape."""

    def __init__(self, cin, cout, k, stride, t, drop=0.0):
        super().__init__()
        mid = make_divisible(cin * t)
        layers = [conv_bn_silu(cin, mid, 1)] if mid != cin else []
        layers += [conv_bn_silu(mid, mid, k, stride, groups=mid), SESiLU(mid, max(1, cin // 4)),
                   conv_bn_silu(mid, cout, 1, act=False)]
        self.block = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout
        self.drop = drop

    def forward(self, x):
        out = self.block(x)
        if not self.residual:
            return out
        if self.training and self.drop > 0:  # drop whole samples' branches ("row" mode)
            keep = 1.0 - self.drop
            out = out * torch.empty((out.shape[0], 1, 1, 1), dtype=out.dtype).bernoulli_(keep).div_(keep)
        return out + x


# EfficientNet-B0's stages as torchvision lists them: expansion, kernel, stride, output width, blocks
EFFICIENTNET_B0 = [(1, 3, 1, 16, 1), (6, 3, 2, 24, 2), (6, 5, 2, 40, 2), (6, 3, 2, 80, 3),
                   (6, 5, 1, 112, 3), (6, 5, 2, 192, 4), (6, 3, 1, 320, 1)]


class EfficientNetB0(nn.Module):
    """The paper's Table 1 (B0), torchvision's names, and torchvision's stochastic depth: the
    i-th block of the network (counted from 0 over all stages, with or without a residual) gets
    the rate `stochastic_depth_prob * i / total_blocks`."""

    def __init__(self, num_classes=1000, stochastic_depth_prob=0.2):
        super().__init__()
        stages, cin = [conv_bn_silu(3, 32, 3, 2)], 32
        total, index = sum(n for *_, n in EFFICIENTNET_B0), 0
        for t, k, s, c, n in EFFICIENTNET_B0:
            blocks = []
            for i in range(n):
                blocks.append(MBConv(cin, c, k, s if i == 0 else 1, t,
                                     drop=stochastic_depth_prob * index / total))
                cin, index = c, index + 1
            stages.append(nn.Sequential(*blocks))
        stages.append(conv_bn_silu(cin, 1280, 1))
        self.features = nn.Sequential(*stages)
        self.classifier = nn.Sequential(nn.Dropout(0.2), nn.Linear(1280, num_classes))

    def forward(self, x):
        return self.classifier(self.features(x).mean((2, 3)))


def conv_bn_act(cin, cout, k=1, stride=1, groups=1, act=True) -> nn.Sequential:
    layers = [conv(cin, cout, k, stride, groups=groups), nn.BatchNorm2d(cout)]
    return nn.Sequential(*layers, nn.ReLU()) if act else nn.Sequential(*layers)


def regnet_stages(depth=16, w_0=48, w_a=27.89, w_m=2.09, quantum=8):
    """RegNet's widths (Radosavovic et al. 2020, as torchvision's BlockParams derives them):
    block j's width w_0 + j w_a, snapped to w_0 times a whole power of w_m, rounded to a multiple
    of 8; runs of equal widths are the stages. Returns [(width, depth), ...]."""
    stages: list[list[int]] = []
    for j in range(depth):
        power = round(math.log((w_0 + j * w_a) / w_0) / math.log(w_m))
        width = int(round(w_0 * w_m ** power / quantum) * quantum)
        if stages and stages[-1][0] == width:
            stages[-1][1] += 1
        else:
            stages.append([width, 1])
    return [tuple(s) for s in stages]


class RegNetYBlock(nn.Module):
    """torchvision's ResBottleneckBlock, bottleneck ratio 1, group width 8, SE squeezing to
    round(0.25 x the block's input width)."""

    def __init__(self, cin, cout, stride, group_width=8, se_ratio=0.25):
        super().__init__()
        self.f = nn.Module()
        self.f.a = conv_bn_act(cin, cout)
        self.f.b = conv_bn_act(cout, cout, 3, stride, groups=cout // min(group_width, cout))
        self.f.se = SE(cout, int(round(se_ratio * cin)))
        self.f.c = conv_bn_act(cout, cout, act=False)
        self.proj = conv_bn_act(cin, cout, 1, stride, act=False) \
            if stride != 1 or cin != cout else None

    def forward(self, x):
        out = self.f.c(self.f.se(self.f.b(self.f.a(x))))
        return F.relu((self.proj(x) if self.proj is not None else x) + out)


class RegNetY400MF(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.stem = conv_bn_act(3, 32, 3, 2)
        self.trunk_output = nn.Sequential()
        cin = 32
        for i, (w, d) in enumerate(regnet_stages(), 1):
            stage = nn.Sequential()
            for j in range(d):
                stage.add_module(f"block{i}-{j}", RegNetYBlock(cin, w, 2 if j == 0 else 1))
                cin = w
            self.trunk_output.add_module(f"block{i}", stage)
        self.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.fc(self.trunk_output(self.stem(x)).mean((2, 3)))


class BottleneckV1(TimmBottleneck):
    """The paper's bottleneck: the stride on the first 1x1."""

    def __init__(self, cin, width, stride=1, downsample=None, **kw):
        super().__init__(cin, width, 1, downsample, **kw)
        self.conv1 = conv(cin, width, 1, stride)


class CaffeResNet50(TimmResNet):
    """The authors' Caffe ResNet-50: conv1 with a bias, pool1 3x3/2 in ceil mode without
    padding, the paper's bottleneck, pool5 7x7/1, a softmax; torchvision's module names."""

    def __init__(self, num_classes=1000):
        super().__init__(BottleneckV1, [3, 4, 6, 3], num_classes=num_classes)
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=True)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 3, 2, 0, ceil_mode=True)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return torch.softmax(self.fc(torch.flatten(F.avg_pool2d(x, 7, 1), 1)), 1)
