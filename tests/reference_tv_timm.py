"""Hand-written references for timm's CSPNet and ConvNeXt atto/nano, written from timm's source
(huggingface/pytorch-image-models, timm/models/cspnet.py and convnext.py; commits in
docs/architectures.md): its module names and hyper-parameters."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class ConvNormAct(nn.Module):
    """timm's ConvNormAct: `conv` (no bias, padding (k-1)//2), `bn`, a leaky ReLU inside the BN."""

    def __init__(self, cin, cout, k=1, stride=1, groups=1, act=True):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)
        self.bn = nn.BatchNorm2d(cout)
        self.act = act

    def forward(self, x):
        x = self.bn(self.conv(x))
        return F.leaky_relu(x) if self.act else x


class CspBottleneck(nn.Module):
    def __init__(self, chs, mid, groups):
        super().__init__()
        self.conv1 = ConvNormAct(chs, mid)
        self.conv2 = ConvNormAct(mid, mid, 3, groups=groups)
        self.conv3 = ConvNormAct(mid, chs, act=False)

    def forward(self, x):
        return F.leaky_relu(self.conv3(self.conv2(self.conv1(x))) + x)


class CrossStage(nn.Module):
    def __init__(self, cin, cout, stride, depth, block_ratio, bottle_ratio, expand_ratio, groups):
        super().__init__()
        exp, block_out = int(round(cout * expand_ratio)), int(round(cout * block_ratio))
        self.conv_down = ConvNormAct(cin, cin, 3, stride, groups) if stride != 1 else nn.Identity()
        self.conv_exp = ConvNormAct(cin, exp, act=False)  # cross_linear
        self.blocks = nn.Sequential(*[CspBottleneck(block_out, int(round(block_out * bottle_ratio)), groups)
                                      for _ in range(depth)])
        self.conv_transition_b = ConvNormAct(block_out, exp // 2)
        self.conv_transition = ConvNormAct(exp, cout)
        self.half = exp // 2

    def forward(self, x):
        xs, xb = self.conv_exp(self.conv_down(x)).split(self.half, dim=1)
        return self.conv_transition(torch.cat([xs, self.conv_transition_b(self.blocks(xb))], 1))


# out_chs, expand_ratio, block_ratio, bottle_ratio, groups (timm's model_cfgs)
CSPNETS = {"cspresnet50": ((128, 256, 512, 1024), 2.0, 1.0, 0.5, 1),
           "cspresnext50": ((256, 512, 1024, 2048), 1.0, 0.5, 1.0, 32)}


class CspNet(nn.Module):
    def __init__(self, name: str, num_classes=1000):
        super().__init__()
        widths, expand, block_ratio, bottle_ratio, groups = CSPNETS[name]
        self.stem = nn.Sequential()
        self.stem.add_module("conv1", ConvNormAct(3, 64, 7, 2))
        self.stem.add_module("pool", nn.MaxPool2d(3, 2, 1))
        cin, stages = 64, []
        for i, (cout, depth) in enumerate(zip(widths, (3, 3, 5, 2))):
            stages.append(CrossStage(cin, cout, 1 if i == 0 else 2, depth, block_ratio, bottle_ratio, expand, groups))
            cin = cout
        self.stages = nn.Sequential(*stages)
        self.head = nn.Module()
        self.head.fc = nn.Linear(cin, num_classes)

    def forward(self, x):
        return self.head.fc(self.stages(self.stem(x)).mean((2, 3)))


# -- timm's ConvNeXt with conv_mlp (timm/models/convnext.py) ---------------------------------------

TIMM_CONVNEXTS = {"convnext_atto": ((40, 80, 160, 320), (2, 2, 6, 2)),
                  "convnext_nano": ((80, 160, 320, 640), (2, 2, 8, 2))}


class LayerNorm2d(nn.LayerNorm):
    def __init__(self, channels):
        super().__init__(channels, eps=1e-6)

    def forward(self, x):
        return F.layer_norm(x.permute(0, 2, 3, 1), self.normalized_shape, self.weight, self.bias,
                            self.eps).permute(0, 3, 1, 2)


class ConvNeXtBlock(nn.Module):
    def __init__(self, dim):
        super().__init__()
        self.conv_dw = nn.Conv2d(dim, dim, 7, padding=3, groups=dim)
        self.norm = LayerNorm2d(dim)
        self.mlp = nn.Module()
        self.mlp.fc1, self.mlp.fc2 = nn.Conv2d(dim, 4 * dim, 1), nn.Conv2d(4 * dim, dim, 1)
        self.gamma = nn.Parameter(1e-6 * torch.ones(dim))

    def forward(self, x):
        y = self.mlp.fc2(F.gelu(self.mlp.fc1(self.norm(self.conv_dw(x)))))
        return y.mul(self.gamma.reshape(1, -1, 1, 1)) + x


class TimmConvNeXt(nn.Module):
    def __init__(self, name: str, num_classes=1000):
        super().__init__()
        dims, depths = TIMM_CONVNEXTS[name]
        self.stem = nn.Sequential(nn.Conv2d(3, dims[0], 4, 4), LayerNorm2d(dims[0]))
        self.stages = nn.Sequential()
        for i, (dim, depth) in enumerate(zip(dims, depths)):
            stage = nn.Module()
            if i > 0:
                stage.downsample = nn.Sequential(LayerNorm2d(dims[i - 1]), nn.Conv2d(dims[i - 1], dim, 2, 2))
            stage.blocks = nn.Sequential(*[ConvNeXtBlock(dim) for _ in range(depth)])
            self.stages.add_module(str(i), stage)
        self.head = nn.Module()
        self.head.norm, self.head.fc = LayerNorm2d(dims[-1]), nn.Linear(dims[-1], num_classes)

    def forward(self, x):
        x = self.stem(x)
        for stage in self.stages:
            x = stage.blocks(stage.downsample(x) if hasattr(stage, "downsample") else x)
        return self.head.fc(self.head.norm(x.mean((2, 3), keepdim=True)).flatten(1))


# -- timm's DPN (timm/models/dpn.py) -----------------------------------------------------------------

# stem width, stem kernel, small (bw factor 1, else 4), k_r, groups, blocks per group, inc per group
DPNS = {"dpn68": (10, 3, True, 128, 32, (3, 4, 12, 3), (16, 32, 32, 64)),
        "dpn92": (64, 7, False, 96, 32, (3, 4, 20, 3), (16, 32, 24, 128))}


class BnActConv2d(nn.Module):
    def __init__(self, cin, cout, k=1, stride=1, groups=1):
        super().__init__()
        self.bn = nn.BatchNorm2d(cin, eps=0.001)
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, groups=groups, bias=False)

    def forward(self, x):
        return self.conv(F.relu(self.bn(x)))


class DualPathBlock(nn.Module):
    """Takes and returns timm's (resid, dense) pair."""

    def __init__(self, cin, r, bw, inc, groups, kind):
        super().__init__()
        self.bw, stride = bw, 2 if kind == "down" else 1
        if kind == "proj":
            self.c1x1_w_s1 = BnActConv2d(cin, bw + 2 * inc)
        if kind == "down":
            self.c1x1_w_s2 = BnActConv2d(cin, bw + 2 * inc, stride=2)
        self.c1x1_a = BnActConv2d(cin, r)
        self.c3x3_b = BnActConv2d(r, r, 3, stride, groups)
        self.c1x1_c = BnActConv2d(r, bw + inc)
        self.kind = kind

    def forward(self, x):
        x_in = torch.cat(x, 1) if isinstance(x, tuple) else x
        if self.kind == "normal":
            x_s1, x_s2 = x
        else:
            x_s = (self.c1x1_w_s1 if self.kind == "proj" else self.c1x1_w_s2)(x_in)
            x_s1, x_s2 = x_s[:, :self.bw], x_s[:, self.bw:]
        out = self.c1x1_c(self.c3x3_b(self.c1x1_a(x_in)))
        return x_s1 + out[:, :self.bw], torch.cat([x_s2, out[:, self.bw:]], 1)


class DPN(nn.Module):
    def __init__(self, name: str, num_classes=1000):
        super().__init__()
        init, k, small, k_r, groups, k_sec, inc_sec = DPNS[name]
        factor = 1 if small else 4
        blocks = nn.Sequential()
        stem = nn.Module()
        stem.conv, stem.bn = nn.Conv2d(3, init, k, 2, (k - 1) // 2, bias=False), nn.BatchNorm2d(init, eps=0.001)
        blocks.add_module("conv1_1", stem)
        cin = init
        for g, (n, inc) in enumerate(zip(k_sec, inc_sec)):
            bw = 64 * 2 ** g * factor
            r = k_r * bw // (64 * factor)
            for i in range(1, n + 1):
                kind = ("proj" if g == 0 else "down") if i == 1 else "normal"
                blocks.add_module(f"conv{g + 2}_{i}", DualPathBlock(cin, r, bw, inc, groups, kind))
                cin = bw + 3 * inc if i == 1 else cin + inc
        last = nn.Module()
        last.bn = nn.BatchNorm2d(cin, eps=0.001)
        blocks.add_module("conv5_bn_ac", last)
        self.features = blocks
        self.classifier = nn.Conv2d(cin, num_classes, 1)

    def forward(self, x):
        stem = self.features.conv1_1
        x = F.max_pool2d(F.relu(stem.bn(stem.conv(x))), 3, 2, 1)
        for block in self.features.children():
            if isinstance(block, DualPathBlock):
                x = block(x)
        # timm asks for ELU here (fc_act_layer), but its norm layer keeps the ReLU it binds
        x = F.relu(self.features.conv5_bn_ac.bn(torch.cat(x, 1)))
        return self.classifier(x.mean((2, 3), keepdim=True)).flatten(1)


# -- GhostNet (timm/models/ghostnet.py) -------------------------------------------------------------

def _divisible4(v):
    """timm's make_divisible(v, 4): to the nearest multiple of 4, never below 90% of v."""
    new = max(4, int(v + 2) // 4 * 4)
    return new + 4 if new < 0.9 * v else new


class GhostModule(nn.Module):
    """Half the width from a 1x1 conv, the other half a 3x3 depthwise conv of it, side by side."""

    def __init__(self, cin, cout, relu):
        super().__init__()
        init = -(-cout // 2)
        act = [nn.ReLU()] if relu else [nn.Identity()]
        self.primary_conv = nn.Sequential(nn.Conv2d(cin, init, 1, bias=False), nn.BatchNorm2d(init), *act)
        self.cheap_operation = nn.Sequential(nn.Conv2d(init, init, 3, 1, 1, groups=init, bias=False),
                                             nn.BatchNorm2d(init), *act)
        self.cout = cout

    def forward(self, x):
        a = self.primary_conv(x)
        return torch.cat([a, self.cheap_operation(a)], 1)[:, :self.cout]


class GhostSE(nn.Module):
    def __init__(self, chs):
        super().__init__()
        self.conv_reduce = nn.Conv2d(chs, _divisible4(chs * 0.25), 1)
        self.conv_expand = nn.Conv2d(_divisible4(chs * 0.25), chs, 1)

    def forward(self, x):
        s = self.conv_expand(torch.relu(self.conv_reduce(x.mean((2, 3), keepdim=True))))
        return x * F.hardsigmoid(s)


class GhostBottleneck(nn.Module):
    def __init__(self, cin, mid, cout, k, stride, se):
        super().__init__()
        self.ghost1 = GhostModule(cin, mid, True)
        self.conv_dw = nn.Conv2d(mid, mid, k, stride, (k - 1) // 2, groups=mid, bias=False) if stride > 1 else None
        self.bn_dw = nn.BatchNorm2d(mid) if stride > 1 else None
        self.se = GhostSE(mid) if se else None
        self.ghost2 = GhostModule(mid, cout, False)
        self.shortcut = nn.Sequential() if cin == cout and stride == 1 else nn.Sequential(
            nn.Conv2d(cin, cin, k, stride, (k - 1) // 2, groups=cin, bias=False), nn.BatchNorm2d(cin),
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = self.ghost1(x)
        if self.conv_dw is not None:
            y = self.bn_dw(self.conv_dw(y))
        if self.se is not None:
            y = self.se(y)
        return self.ghost2(y) + self.shortcut(x)


# (kernel, expanded width, width, SE, stride) per stage, GhostNet's Table 1
GHOSTNET = [[(3, 16, 16, 0, 1)], [(3, 48, 24, 0, 2)], [(3, 72, 24, 0, 1)], [(5, 72, 40, 1, 2)],
            [(5, 120, 40, 1, 1)], [(3, 240, 80, 0, 2)],
            [(3, 200, 80, 0, 1), (3, 184, 80, 0, 1), (3, 184, 80, 0, 1), (3, 480, 112, 1, 1), (3, 672, 112, 1, 1)],
            [(5, 672, 160, 1, 2)], [(5, 960, 160, 0, 1), (5, 960, 160, 1, 1), (5, 960, 160, 0, 1), (5, 960, 160, 1, 1)]]


class GhostNet(nn.Module):
    """timm's ghostnet_100 (or _050, _130 at `width`): stem, nine stages of Ghost bottlenecks,
    a 1x1 conv to 960, the head; every width but the head's times `width`, to 4."""

    def __init__(self, num_classes=1000, width=1.0):
        super().__init__()
        stem = _divisible4(16 * width)
        self.conv_stem = nn.Conv2d(3, stem, 3, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(stem)
        stages, cin = [], stem
        for stage in GHOSTNET:
            blocks = []
            for k, mid, cout, se, stride in stage:
                cout = _divisible4(cout * width)
                blocks.append(GhostBottleneck(cin, _divisible4(mid * width), cout, k, stride, se))
                cin = cout
            stages.append(nn.Sequential(*blocks))
        last, wide = nn.Module(), _divisible4(960 * width)
        last.conv, last.bn1 = nn.Conv2d(cin, wide, 1, bias=False), nn.BatchNorm2d(wide)
        stages.append(nn.Sequential(last))
        self.blocks = nn.Sequential(*stages)
        self.conv_head = nn.Conv2d(wide, 1280, 1)
        self.classifier = nn.Linear(1280, num_classes)
        self.dropout = nn.Dropout(0.2)

    def forward(self, x):
        x = self.blocks[:-1](torch.relu(self.bn1(self.conv_stem(x))))
        last = self.blocks[-1][0]
        x = torch.relu(last.bn1(last.conv(x)))
        x = torch.relu(self.conv_head(x.mean((2, 3), keepdim=True)))
        return self.classifier(self.dropout(torch.flatten(x, 1)))


# -- ResNeSt (timm/models/resnest.py, timm/layers/split_attn.py): a bottleneck for TimmResNet -------

class SplitAttention(nn.Module):
    """Radix 2, cardinality 1: a 3x3 to two halves, attention from their pooled sum, a softmax
    across the halves of each channel."""

    def __init__(self, width):
        super().__init__()
        self.conv = nn.Conv2d(width, 2 * width, 3, 1, 1, groups=2, bias=False)
        self.bn0 = nn.BatchNorm2d(2 * width)
        self.fc1 = nn.Conv2d(width, max(width // 2, 32), 1)
        self.bn1 = nn.BatchNorm2d(max(width // 2, 32))
        self.fc2 = nn.Conv2d(max(width // 2, 32), 2 * width, 1)

    def forward(self, x):
        x = torch.relu(self.bn0(self.conv(x)))
        halves = x.reshape(x.shape[0], 2, -1, *x.shape[2:])
        gap = halves.sum(1).mean((2, 3), keepdim=True)
        attn = self.fc2(torch.relu(self.bn1(self.fc1(gap))))
        attn = torch.softmax(attn.view(x.shape[0], 2, -1), 1).view(x.shape[0], 2, -1, 1, 1)
        return (halves * attn).sum(1)


class ResNestBottleneck(nn.Module):
    expansion = 4

    def __init__(self, cin, width, stride=1, downsample=None, **_):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, width, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.conv2 = SplitAttention(width)
        self.avd_last = nn.AvgPool2d(3, stride, 1) if stride > 1 else None
        self.conv3 = nn.Conv2d(width, width * 4, 1, bias=False)
        self.bn3 = nn.BatchNorm2d(width * 4)
        self.downsample = downsample

    def forward(self, x):
        out = self.conv2(torch.relu(self.bn1(self.conv1(x))))
        if self.avd_last is not None:
            out = self.avd_last(out)
        out = self.bn3(self.conv3(out))
        return torch.relu(out + (self.downsample(x) if self.downsample is not None else x))


# -- DLA-34 (timm/models/dla.py) -------------------------------------------------------------------

def _conv_bn(cin, cout, k=3, stride=1):
    return nn.Conv2d(cin, cout, k, stride, k // 2, bias=False), nn.BatchNorm2d(cout)


class DlaBasic(nn.Module):
    def __init__(self, cin, cout, stride=1):
        super().__init__()
        self.conv1, self.bn1 = _conv_bn(cin, cout, 3, stride)
        self.conv2, self.bn2 = _conv_bn(cout, cout)

    def forward(self, x, shortcut):
        return torch.relu(self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x))))) + shortcut)


class DlaRoot(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv, self.bn = _conv_bn(cin, cout, 1)

    def forward(self, *children):
        return torch.relu(self.bn(self.conv(torch.cat(children, 1))))


class DlaTree(nn.Module):
    """A tree of `levels` levels; `extra` channels of outer children reach the last root."""

    def __init__(self, levels, cin, cout, stride=1, level_root=False, root_dim=0):
        super().__init__()
        root_dim = (root_dim or 2 * cout) + (cin if level_root else 0)
        self.pool = stride > 1
        self.level_root, self.levels = level_root, levels
        if levels == 1:
            self.tree1, self.tree2 = DlaBasic(cin, cout, stride), DlaBasic(cout, cout)
            if cin != cout:
                self.project = nn.Sequential(*_conv_bn(cin, cout, 1))
            self.root = DlaRoot(root_dim, cout)
        else:
            self.tree1 = DlaTree(levels - 1, cin, cout, stride)
            self.tree2 = DlaTree(levels - 1, cout, cout, root_dim=root_dim + cout)

    def forward(self, x, children=()):
        bottom = F.max_pool2d(x, 2) if self.pool else x
        children = [*children, bottom] if self.level_root else list(children)
        if self.levels > 1:
            x1 = self.tree1(x)
            return self.tree2(x1, [*children, x1])
        x1 = self.tree1(x, self.project(bottom) if hasattr(self, "project") else bottom)
        return self.root(self.tree2(x1, x1), x1, *children)


class DLA34(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        self.base_layer = nn.Sequential(*_conv_bn(3, 16, 7), nn.ReLU())
        self.level0 = nn.Sequential(*_conv_bn(16, 16), nn.ReLU())
        self.level1 = nn.Sequential(*_conv_bn(16, 32, 3, 2), nn.ReLU())
        self.level2 = DlaTree(1, 32, 64, 2)
        self.level3 = DlaTree(2, 64, 128, 2, level_root=True)
        self.level4 = DlaTree(2, 128, 256, 2, level_root=True)
        self.level5 = DlaTree(1, 256, 512, 2, level_root=True)
        self.fc = nn.Conv2d(512, num_classes, 1)

    def forward(self, x):
        x = self.level1(self.level0(self.base_layer(x)))
        x = self.level5(self.level4(self.level3(self.level2(x))))
        return torch.flatten(self.fc(x.mean((2, 3), keepdim=True)), 1)
