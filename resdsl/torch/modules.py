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


class ShiftOnlyBatchNorm(nn.BatchNorm2d):
    """Batch normalization whose scale is fixed at 1 (MXNet's fix_gamma, Keras' scale=False):
    only the shift (`bias`) is learned; there is no `weight`. Feature maps or vectors."""

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float = 0.1):
        super().__init__(num_features, eps=eps, momentum=momentum)
        self.register_parameter("weight", None)  # F.batch_norm then scales by nothing

    def reset_parameters(self) -> None:
        self.reset_running_stats()
        nn.init.zeros_(self.bias)

    def _check_input_dim(self, x: torch.Tensor) -> None:
        if x.dim() not in (2, 4):
            raise ValueError(f"expected a 2-D or 4-D input, got {x.dim()}-D")


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


class SqueezeExcite(nn.Module):
    """Squeeze-and-excitation (Hu et al. 2018): channels rescaled by a gate computed from their
    global averages. `fc1`/`fc2` are 1x1 convolutions with bias, as timm and torchvision name
    them; `act` between them is ReLU, or SiLU (EfficientNet); the `gate` a sigmoid, or a hard
    sigmoid (MobileNetV3, GhostNet)."""

    def __init__(self, channels: int, reduced: int, act: str = "relu", gate: str = "sigmoid"):
        super().__init__()
        # kept for the .py export
        self.channels, self.reduced, self.act, self.gate = channels, reduced, act, gate
        self.fc1 = nn.Conv2d(channels, reduced, 1)
        self.fc2 = nn.Conv2d(reduced, channels, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.mean((2, 3), keepdim=True)  # N x C x 1 x 1
        s = F.silu(self.fc1(s)) if self.act == "silu" else F.relu(self.fc1(s))
        s = self.fc2(s)
        return x * (F.hardsigmoid(s) if self.gate == "hardsigmoid" else torch.sigmoid(s))


class EfficientChannelAttention(nn.Module):
    """ECA (Wang et al. 2020): a 1-D convolution across the globally pooled channels, no bias,
    then a sigmoid gate; `conv` as timm names it."""

    def __init__(self, kernel: int):
        super().__init__()
        self.kernel = kernel
        self.conv = nn.Conv1d(1, 1, kernel, padding=(kernel - 1) // 2, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.conv(x.mean((2, 3)).unsqueeze(1))  # N x 1 x C
        return x * torch.sigmoid(y).view(x.shape[0], -1, 1, 1)


class ChannelSplit(nn.Module):
    """One of `parts` equal groups of channels (a view, as torch.split gives)."""

    def __init__(self, parts: int, index: int):
        super().__init__()
        self.parts, self.index = parts, index

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        width = x.shape[1] // self.parts
        return x.narrow(1, self.index * width, width)

    def extra_repr(self) -> str:
        return f"parts={self.parts}, index={self.index}"


class ChannelSlice(nn.Module):
    """Channels `start` to `end` - 1 (DPN's `x[:, :bw]`, `x[:, bw:]`): a view."""

    def __init__(self, start: int, end: int):
        super().__init__()
        self.start, self.end = start, end

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x[:, self.start:self.end]

    def extra_repr(self) -> str:
        return f"start={self.start}, end={self.end}"


class LayerNorm2d(nn.LayerNorm):
    """LayerNorm over the channels of each pixel of an N x C x H x W map (timm's LayerNorm2d;
    what ConvNeXt's channels-last LayerNorm computes): `weight` and `bias` of C."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.permute(0, 2, 3, 1)  # N x H x W x C: normalised over the last dimension
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)


class PixelLinear(nn.Linear):
    """nn.Linear applied to the channels of each pixel of a map (ConvNeXt's pointwise layers on
    channels-last maps), with the same 2-D `weight`; on a vector, nn.Linear itself."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() != 4:
            return super().forward(x)
        return F.linear(x.permute(0, 2, 3, 1), self.weight, self.bias).permute(0, 3, 1, 2)


class Scale(nn.Module):
    """Multiplication by a constant (Inception-ResNet's scaled residuals)."""

    def __init__(self, factor: float):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.factor

    def extra_repr(self) -> str:
        return f"factor={self.factor}"


class Softmax(nn.Module):
    """Softmax over the channels, or with `groups` > 1 across the groups of each channel
    (selective kernels: which path each channel takes)."""

    def __init__(self, groups: int = 1):
        super().__init__()
        self.groups = groups

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.groups == 1:
            return torch.softmax(x, 1)
        shape = x.shape
        return torch.softmax(x.reshape(shape[0], self.groups, -1), 1).reshape(shape)

    def extra_repr(self) -> str:
        return f"groups={self.groups}"


class HighwayGate(nn.Module):
    """Highway merge (Srivastava et al. 2015): y = T * branch + (1 - T) * shortcut, where the
    transform gate T = sigmoid(1x1 conv of the shortcut, with bias)."""

    def __init__(self, channels: int, gate_bias: float = -1.0):
        super().__init__()
        self.channels, self.gate_bias = channels, gate_bias  # kept for the .py export
        self.transform = nn.Conv2d(channels, channels, 1)
        assert self.transform.bias is not None  # a Conv2d has a bias unless made with bias=False
        # a negative bias starts the gate closed, carrying the shortcut (the highway paper's advice)
        nn.init.constant_(self.transform.bias, gate_bias)

    def forward(self, branch: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        t = torch.sigmoid(self.transform(shortcut))
        return t * branch + (1 - t) * shortcut


class DropPathAdd(nn.Module):
    """Stochastic depth (Huang et al. 2016), as drop-path: in training, each sample's branch is
    dropped with probability `p` and the kept ones scaled by 1/(1 - p); at evaluation a plain sum."""

    def __init__(self, p: float):
        super().__init__()
        self.p = p

    def forward(self, branch: torch.Tensor, shortcut: torch.Tensor) -> torch.Tensor:
        if not self.training or self.p == 0:
            return branch + shortcut
        keep = 1 - self.p
        mask = branch.new_empty((branch.shape[0],) + (1,) * (branch.dim() - 1)).bernoulli_(keep)
        return branch * mask / keep + shortcut

    def extra_repr(self) -> str:
        return f"p={self.p}"
