"""Hand-written references for torchvision's older classifiers (AlexNet, SqueezeNet), written
from torchvision/models/alexnet.py and squeezenet.py (commits in docs/architectures.md): their
nn.Sequential numbering, biased convs, pools and classifiers."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class AlexNet(nn.Module):
    def __init__(self, num_classes=1000):
        super().__init__()
        pool = dict(kernel_size=3, stride=2)
        self.features = nn.Sequential(
            nn.Conv2d(3, 64, 11, 4, 2), nn.ReLU(), nn.MaxPool2d(**pool),
            nn.Conv2d(64, 192, 5, padding=2), nn.ReLU(), nn.MaxPool2d(**pool),
            nn.Conv2d(192, 384, 3, padding=1), nn.ReLU(), nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(),
            nn.Conv2d(256, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(**pool))
        self.avgpool = nn.AdaptiveAvgPool2d((6, 6))
        self.classifier = nn.Sequential(
            nn.Dropout(0.5), nn.Linear(256 * 6 * 6, 4096), nn.ReLU(),
            nn.Dropout(0.5), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


class Fire(nn.Module):
    def __init__(self, cin, squeeze, e1, e3):
        super().__init__()
        self.squeeze = nn.Conv2d(cin, squeeze, 1)
        self.squeeze_activation = nn.ReLU()
        self.expand1x1 = nn.Conv2d(squeeze, e1, 1)
        self.expand1x1_activation = nn.ReLU()
        self.expand3x3 = nn.Conv2d(squeeze, e3, 3, padding=1)
        self.expand3x3_activation = nn.ReLU()

    def forward(self, x):
        x = self.squeeze_activation(self.squeeze(x))
        return torch.cat([self.expand1x1_activation(self.expand1x1(x)),
                          self.expand3x3_activation(self.expand3x3(x))], 1)


class SqueezeNet(nn.Module):
    """`version` "1_0" or "1_1"; "M" is a 3x3/2 max pool in ceil mode, a tuple a Fire module."""

    LAYOUT = {"1_0": ((96, 7), [(96, 16, 64, 64), (128, 16, 64, 64), (128, 32, 128, 128), "M",
                                (256, 32, 128, 128), (256, 48, 192, 192), (384, 48, 192, 192),
                                (384, 64, 256, 256), "M", (512, 64, 256, 256)]),
              "1_1": ((64, 3), [(64, 16, 64, 64), (128, 16, 64, 64), "M", (128, 32, 128, 128),
                                (256, 32, 128, 128), "M", (256, 48, 192, 192), (384, 48, 192, 192),
                                (384, 64, 256, 256), (512, 64, 256, 256)])}

    def __init__(self, version: str, num_classes=1000):
        super().__init__()
        (width, k), rest = self.LAYOUT[version]
        pool = dict(kernel_size=3, stride=2, ceil_mode=True)
        self.features = nn.Sequential(nn.Conv2d(3, width, k, stride=2), nn.ReLU(), nn.MaxPool2d(**pool),
                                      *[nn.MaxPool2d(**pool) if f == "M" else Fire(*f) for f in rest])
        self.classifier = nn.Sequential(nn.Dropout(0.5), nn.Conv2d(512, num_classes, 1), nn.ReLU(),
                                        nn.AdaptiveAvgPool2d((1, 1)))

    def forward(self, x):
        return torch.flatten(self.classifier(self.features(x)), 1)


# -- ShuffleNet V2 (torchvision/models/shufflenetv2.py) --------------------------------------------

SHUFFLENETS = {"shufflenet_v2_x0_5": [24, 48, 96, 192, 1024], "shufflenet_v2_x1_0": [24, 116, 232, 464, 1024],
               "shufflenet_v2_x1_5": [24, 176, 352, 704, 1024], "shufflenet_v2_x2_0": [24, 244, 488, 976, 2048]}


def shuffle(x, groups=2):
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleUnit(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        half, self.stride = cout // 2, stride
        if stride > 1:
            self.branch1 = nn.Sequential(nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False),
                                         nn.BatchNorm2d(cin), nn.Conv2d(cin, half, 1, bias=False),
                                         nn.BatchNorm2d(half), nn.ReLU())
        self.branch2 = nn.Sequential(
            nn.Conv2d(cin if stride > 1 else half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU(),
            nn.Conv2d(half, half, 3, stride, 1, groups=half, bias=False), nn.BatchNorm2d(half),
            nn.Conv2d(half, half, 1, bias=False), nn.BatchNorm2d(half), nn.ReLU())

    def forward(self, x):
        if self.stride == 1:
            kept, rest = x.chunk(2, dim=1)
            return shuffle(torch.cat((kept, self.branch2(rest)), 1))
        return shuffle(torch.cat((self.branch1(x), self.branch2(x)), 1))


class ShuffleNetV2(nn.Module):
    def __init__(self, name: str, num_classes=1000):
        super().__init__()
        widths = SHUFFLENETS[name]
        self.conv1 = nn.Sequential(nn.Conv2d(3, widths[0], 3, 2, 1, bias=False), nn.BatchNorm2d(widths[0]),
                                   nn.ReLU())
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        cin = widths[0]
        for i, (repeats, cout) in enumerate(zip((4, 8, 4), widths[1:4]), 2):
            self.add_module(f"stage{i}", nn.Sequential(*[ShuffleUnit(cin if j == 0 else cout, cout, 2 if j == 0 else 1)
                                                         for j in range(repeats)]))
            cin = cout
        self.conv5 = nn.Sequential(nn.Conv2d(cin, widths[4], 1, bias=False), nn.BatchNorm2d(widths[4]), nn.ReLU())
        self.fc = nn.Linear(widths[4], num_classes)

    def forward(self, x):
        x = self.stage4(self.stage3(self.stage2(self.maxpool(self.conv1(x)))))
        return self.fc(self.conv5(x).mean((2, 3)))


# -- VGG (torchvision/models/vgg.py) ---------------------------------------------------------------

VGG_CFGS = {"11": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
            "13": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
            "16": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512, "M"],
            "19": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
                   512, 512, 512, 512, "M"]}


class VGG(nn.Module):
    """torchvision's VGG: `features` (conv with bias, [BN,] ReLU; "M" a 2x2 max pool), a 7x7
    adaptive pool, `classifier` (fc, ReLU, dropout, fc, ReLU, dropout, fc)."""

    def __init__(self, name: str, num_classes=1000):
        super().__init__()
        layers: list[nn.Module] = []
        cin = 3
        for v in VGG_CFGS[name[3:5]]:
            if v == "M":
                layers.append(nn.MaxPool2d(2, 2))
                continue
            layers += [nn.Conv2d(cin, v, 3, padding=1), *([nn.BatchNorm2d(v)] if name.endswith("_bn") else []),
                       nn.ReLU()]
            cin = v
        self.features = nn.Sequential(*layers)
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(nn.Linear(512 * 7 * 7, 4096), nn.ReLU(), nn.Dropout(0.5),
                                        nn.Linear(4096, 4096), nn.ReLU(), nn.Dropout(0.5),
                                        nn.Linear(4096, num_classes))

    def forward(self, x):
        return self.classifier(torch.flatten(self.avgpool(self.features(x)), 1))


# -- GoogLeNet (torchvision/models/googlenet.py): googlenet() with its auxiliary heads (aux=True), --
# -- or as its pretrained weights load, the heads removed ---------------------------------------

class BasicConv2d(nn.Module):
    def __init__(self, cin, cout, k=1, stride=1):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, (k - 1) // 2, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


class Inception(nn.Module):
    def __init__(self, cin, c1, c3r, c3, c5r, c5, pool_proj):
        super().__init__()
        self.branch1 = BasicConv2d(cin, c1)
        self.branch2 = nn.Sequential(BasicConv2d(cin, c3r), BasicConv2d(c3r, c3, 3))
        self.branch3 = nn.Sequential(BasicConv2d(cin, c5r), BasicConv2d(c5r, c5, 3))  # torchvision's 3x3
        self.branch4 = nn.Sequential(nn.MaxPool2d(3, 1, 1, ceil_mode=True), BasicConv2d(cin, pool_proj))

    def forward(self, x):
        return torch.cat([self.branch1(x), self.branch2(x), self.branch3(x), self.branch4(x)], 1)


GOOGLENET = {"3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64), "M3": None,
             "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
             "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
             "4e": (528, 256, 160, 320, 32, 128, 128), "M4": None,
             "5a": (832, 256, 160, 320, 32, 128, 128), "5b": (832, 384, 192, 384, 48, 128, 128)}


class GoogLeNetAux(nn.Module):
    """torchvision's InceptionAux: adaptive 4x4 average pool, 1x1 conv, fc1, ReLU, dropout, fc2."""

    def __init__(self, cin, num_classes):
        super().__init__()
        self.conv = BasicConv2d(cin, 128)
        self.fc1 = nn.Linear(2048, 1024)
        self.fc2 = nn.Linear(1024, num_classes)
        self.dropout = nn.Dropout(0.7)

    def forward(self, x):
        x = torch.flatten(self.conv(F.adaptive_avg_pool2d(x, (4, 4))), 1)
        return self.fc2(self.dropout(torch.relu(self.fc1(x))))


class GoogLeNet(nn.Module):
    """In training with `aux`, a dict: the logits as "out", each head by its last layer's name."""

    def __init__(self, num_classes=1000, aux=False):
        super().__init__()
        self.conv1 = BasicConv2d(3, 64, 7, 2)
        self.maxpool1 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.conv2 = BasicConv2d(64, 64)
        self.conv3 = BasicConv2d(64, 192, 3)
        self.maxpool2 = nn.MaxPool2d(3, 2, ceil_mode=True)
        self.order = []
        for key, cfg in GOOGLENET.items():
            name = f"maxpool{key[1]}" if cfg is None else f"inception{key}"
            pool = nn.MaxPool2d(3 if key == "M3" else 2, 2, ceil_mode=True)
            self.add_module(name, pool if cfg is None else Inception(*cfg))
            self.order.append(name)
        self.heads = {"inception4a": "aux1", "inception4d": "aux2"} if aux else {}
        if aux:
            self.aux1, self.aux2 = GoogLeNetAux(512, num_classes), GoogLeNetAux(528, num_classes)
        self.dropout = nn.Dropout(0.2)
        self.fc = nn.Linear(1024, num_classes)

    def forward(self, x):
        x = self.maxpool2(self.conv3(self.conv2(self.maxpool1(self.conv1(x)))))
        sides = {}
        for name in self.order:
            x = getattr(self, name)(x)
            if self.training and name in self.heads:
                sides[f"{self.heads[name]}.fc2"] = getattr(self, self.heads[name])(x)
        out = self.fc(self.dropout(x.mean((2, 3))))
        return {"out": out, **sides} if sides else out


# -- Inception-v3 (torchvision/models/inception.py): inception_v3(), its AuxLogits head with aux=True -

class Conv(nn.Module):
    """torchvision's BasicConv2d with any kernel and padding."""

    def __init__(self, cin, cout, k=1, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(cin, cout, k, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(cout, eps=0.001)

    def forward(self, x):
        return torch.relu(self.bn(self.conv(x)))


def _avg(x):
    return F.avg_pool2d(x, 3, 1, 1)


class Mixed(nn.Module):
    """One of InceptionA ... E: `paths` are lists of unit names applied in turn (a tuple ends a
    path in two units side by side); "avg" and "max" are the pools a path starts with."""

    def __init__(self, units: dict, paths: list):
        super().__init__()
        for name, args in units.items():
            self.add_module(name, Conv(*args))
        self.paths = paths

    def forward(self, x):
        outs = []
        for path in self.paths:
            y = x
            for step in path:
                if step == "avg":
                    y = _avg(y)
                elif step == "max":
                    y = F.max_pool2d(y, 3, 2)
                elif isinstance(step, tuple):
                    y = torch.cat([getattr(self, s)(y) for s in step], 1)
                else:
                    y = getattr(self, step)(y)
            outs.append(y)
        return torch.cat(outs, 1)


def inception_a(cin, pool):
    return Mixed({"branch1x1": (cin, 64), "branch5x5_1": (cin, 48), "branch5x5_2": (48, 64, 5, 1, 2),
                  "branch3x3dbl_1": (cin, 64), "branch3x3dbl_2": (64, 96, 3, 1, 1),
                  "branch3x3dbl_3": (96, 96, 3, 1, 1), "branch_pool": (cin, pool)},
                 [["branch1x1"], ["branch5x5_1", "branch5x5_2"],
                  ["branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"], ["avg", "branch_pool"]])


def inception_b(cin):
    return Mixed({"branch3x3": (cin, 384, 3, 2), "branch3x3dbl_1": (cin, 64), "branch3x3dbl_2": (64, 96, 3, 1, 1),
                  "branch3x3dbl_3": (96, 96, 3, 2)},
                 [["branch3x3"], ["branch3x3dbl_1", "branch3x3dbl_2", "branch3x3dbl_3"], ["max"]])


def inception_c(cin, c7):
    h, v = ((1, 7), 1, (0, 3)), ((7, 1), 1, (3, 0))
    return Mixed({"branch1x1": (cin, 192), "branch7x7_1": (cin, c7), "branch7x7_2": (c7, c7, *h),
                  "branch7x7_3": (c7, 192, *v), "branch7x7dbl_1": (cin, c7), "branch7x7dbl_2": (c7, c7, *v),
                  "branch7x7dbl_3": (c7, c7, *h), "branch7x7dbl_4": (c7, c7, *v),
                  "branch7x7dbl_5": (c7, 192, *h), "branch_pool": (cin, 192)},
                 [["branch1x1"], ["branch7x7_1", "branch7x7_2", "branch7x7_3"],
                  [f"branch7x7dbl_{i}" for i in range(1, 6)], ["avg", "branch_pool"]])


def inception_d(cin):
    return Mixed({"branch3x3_1": (cin, 192), "branch3x3_2": (192, 320, 3, 2), "branch7x7x3_1": (cin, 192),
                  "branch7x7x3_2": (192, 192, (1, 7), 1, (0, 3)), "branch7x7x3_3": (192, 192, (7, 1), 1, (3, 0)),
                  "branch7x7x3_4": (192, 192, 3, 2)},
                 [["branch3x3_1", "branch3x3_2"], [f"branch7x7x3_{i}" for i in range(1, 5)], ["max"]])


def inception_e(cin):
    h, v = ((1, 3), 1, (0, 1)), ((3, 1), 1, (1, 0))
    return Mixed({"branch1x1": (cin, 320), "branch3x3_1": (cin, 384), "branch3x3_2a": (384, 384, *h),
                  "branch3x3_2b": (384, 384, *v), "branch3x3dbl_1": (cin, 448),
                  "branch3x3dbl_2": (448, 384, 3, 1, 1), "branch3x3dbl_3a": (384, 384, *h),
                  "branch3x3dbl_3b": (384, 384, *v), "branch_pool": (cin, 192)},
                 [["branch1x1"], ["branch3x3_1", ("branch3x3_2a", "branch3x3_2b")],
                  ["branch3x3dbl_1", "branch3x3dbl_2", ("branch3x3dbl_3a", "branch3x3dbl_3b")],
                  ["avg", "branch_pool"]])


class InceptionAux(nn.Module):
    """A 5x5/3 average pool, conv0 (1x1, 128), conv1 (5x5, 768), a global average pool, fc."""

    def __init__(self, num_classes):
        super().__init__()
        self.conv0 = Conv(768, 128)
        self.conv1 = Conv(128, 768, 5)
        self.fc = nn.Linear(768, num_classes)

    def forward(self, x):
        x = self.conv1(self.conv0(F.avg_pool2d(x, 5, 3)))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, (1, 1)), 1))


class InceptionV3(nn.Module):
    """In training with `aux`, a dict: the logits as "out" and the head's as "AuxLogits.fc"."""

    def __init__(self, num_classes=1000, aux=False):
        super().__init__()
        self.Conv2d_1a_3x3 = Conv(3, 32, 3, 2)
        self.Conv2d_2a_3x3 = Conv(32, 32, 3)
        self.Conv2d_2b_3x3 = Conv(32, 64, 3, 1, 1)
        self.Conv2d_3b_1x1 = Conv(64, 80)
        self.Conv2d_4a_3x3 = Conv(80, 192, 3)
        self.mixed = ["Mixed_5b", "Mixed_5c", "Mixed_5d", "Mixed_6a", "Mixed_6b", "Mixed_6c", "Mixed_6d",
                      "Mixed_6e", "Mixed_7a", "Mixed_7b", "Mixed_7c"]
        blocks = [inception_a(192, 32), inception_a(256, 64), inception_a(288, 64), inception_b(288),
                  inception_c(768, 128), inception_c(768, 160), inception_c(768, 160), inception_c(768, 192),
                  inception_d(768), inception_e(1280), inception_e(2048)]
        for name, block in zip(self.mixed, blocks):
            self.add_module(name, block)
        self.AuxLogits = InceptionAux(num_classes) if aux else None
        self.dropout = nn.Dropout(0.5)
        self.fc = nn.Linear(2048, num_classes)

    def forward(self, x):
        x = F.max_pool2d(self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x))), 3, 2)
        x = F.max_pool2d(self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(x)), 3, 2)
        sides = {}
        for name in self.mixed:
            x = getattr(self, name)(x)
            if name == "Mixed_6e" and self.AuxLogits is not None and self.training:
                sides["AuxLogits.fc"] = self.AuxLogits(x)
        out = self.fc(self.dropout(x.mean((2, 3))))
        return {"out": out, **sides} if sides else out
