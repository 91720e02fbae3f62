"""Hand-written references for torchvision's older classifiers (AlexNet, SqueezeNet), written
from torchvision/models/alexnet.py and squeezenet.py (commits in docs/architectures.md): their
nn.Sequential numbering, biased convs, pools and classifiers."""

from __future__ import annotations

import torch
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
