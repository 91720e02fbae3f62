"""The few modules that torch.nn does not have.

Only torch here: the `.py` export copies these classes into the files it writes, and rebuilds
each instance from attributes named like its constructor's parameters, so keep them.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn


class Concat(nn.Module):
    """Channel concatenation of its inputs (DenseNet's merge)."""

    def forward(self, *xs: torch.Tensor) -> torch.Tensor:
        return torch.cat(xs, dim=1)


def attach(root: nn.Module, path: str, module: nn.Module) -> None:
    """Register `module` at a dotted path (`layer1.0.conv1`), making plain containers on the way."""
    *parents, name = path.split(".")
    for part in parents:
        if not hasattr(root, part):
            root.add_module(part, nn.Module())
        root = getattr(root, part)
    root.add_module(name, module)


class ZeroPadShortcut(nn.Module):
    """Option A shortcut (paper, sec. 3.3): strided identity, extra channels filled with zeros."""

    def __init__(self, stride: int, extra_channels: int):
        super().__init__()
        self.stride = stride
        self.extra_channels = extra_channels

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.stride > 1:
            x = x[:, :, :: self.stride, :: self.stride]
        return F.pad(x, (0, 0, 0, 0, 0, self.extra_channels))

    def extra_repr(self) -> str:
        return f"stride={self.stride}, extra_channels={self.extra_channels}"

