"""MXNet's CIFAR-10 example network "resnet-28-small", written by hand from its source
(apache/mxnet, example/image-classification/symbol_resnet-28-small.py) in the style of
tests/reference_zoo.py, with MXNet's defaults where the source sets nothing (src/operator/
batch_norm-inl.h: eps 1e-3, momentum 0.9, fix_gamma true; Convolution's no_bias false), and
its figures counted by hand from the same source."""

from __future__ import annotations

import torch
from torch import nn

EPS = 1e-3  # MXNet BatchNorm's default
MOMENTUM = 0.9  # MXNet's: the weight of the old running statistics


class MXNetBatchNorm(nn.Module):
    """MXNet's BatchNorm with fix_gamma: (x - mean) / sqrt(var + eps) + beta, batch statistics
    in training (biased variance, as MXNet computes it), moving ones at inference. Written out,
    not through torch's batch norm; `bias` is beta, and gamma, fixed at 1, is not a parameter."""

    def __init__(self, channels: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(channels))
        self.register_buffer("running_mean", torch.zeros(channels))
        self.register_buffer("running_var", torch.ones(channels))
        self.register_buffer("num_batches_tracked", torch.tensor(0, dtype=torch.long))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.training:
            mean = x.mean((0, 2, 3))
            var = ((x - mean.view(1, -1, 1, 1)) ** 2).mean((0, 2, 3))
            with torch.no_grad():
                self.running_mean.mul_(MOMENTUM).add_((1 - MOMENTUM) * mean)
                self.running_var.mul_(MOMENTUM).add_((1 - MOMENTUM) * var)
                self.num_batches_tracked += 1
        else:
            mean, var = self.running_mean, self.running_var
        shape = (1, -1, 1, 1)
        return (x - mean.view(shape)) / torch.sqrt(var.view(shape) + EPS) + self.bias.view(shape)


class ConvFactory(nn.Module):
    """conv_factory: a Convolution (with its bias), a BatchNorm, and for conv_type 0 a ReLU."""

    def __init__(self, cin: int, num_filter: int, kernel: int, stride: int, pad: int, act: bool):
        super().__init__()
        self.conv = nn.Conv2d(cin, num_filter, kernel, stride=stride, padding=pad, bias=True)
        self.bn = MXNetBatchNorm(num_filter)
        self.act = act

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.bn(self.conv(x))
        return torch.relu(x) if self.act else x


class ResidualFactory(nn.Module):
    """residual_factory: two 3x3 conv_factory units; where dimensions do not match, the first
    strides by 2 and the input is projected by a 1x1 conv_factory of stride 2 (`project_data`)."""

    def __init__(self, cin: int, num_filter: int, dim_match: bool):
        super().__init__()
        stride = 1 if dim_match else 2
        self.conv1 = ConvFactory(cin, num_filter, 3, stride, 1, act=True)
        self.conv2 = ConvFactory(num_filter, num_filter, 3, 1, 1, act=False)
        self.project_data = None if dim_match else ConvFactory(cin, num_filter, 1, 2, 0, act=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        shortcut = x if self.project_data is None else self.project_data(x)
        return torch.relu(shortcut + self.conv2(self.conv1(x)))


class MXNetResNetSmall(nn.Module):
    """get_symbol: a 3x3 conv_factory of 16 filters, three stages of n residual_factory units
    (16, 32, 64 filters; the second and third start with dim_match false), a 7x7 average pool
    of stride 1 (Pooling's default), Flatten, FullyConnected `fc1`."""

    def __init__(self, n: int = 3, classes: int = 10):
        super().__init__()
        self.conv = ConvFactory(3, 16, 3, 1, 1, act=True)
        stages, cin = [], 16
        for num_filter in (16, 32, 64):
            units = []
            for i in range(n):
                units.append(ResidualFactory(cin, num_filter, dim_match=(i > 0 or num_filter == 16)))
                cin = num_filter
            stages.append(nn.Sequential(*units))
        self.stage1, self.stage2, self.stage3 = stages
        self.pool = nn.AvgPool2d(7, stride=1)
        self.fc1 = nn.Linear(64, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stage3(self.stage2(self.stage1(self.conv(x))))
        return self.fc1(torch.flatten(self.pool(x), 1))


def mxnet_resnet_small_figures(n: int = 3, classes: int = 10, size: int = 28) -> dict:
    """Parameters and multiply-adds counted from the source's shapes, unit by unit: a
    conv_factory of k x k, cin -> cout on an h x h output has k k cin cout + cout learned
    weights and biases, cout BN shifts (and cout fixed gammas MXNet stores), and k k cin cout h h
    multiply-adds."""
    units = [(3, 3, 16, size)]  # (kernel, cin, cout, output size)
    cin, h = 16, size
    for num_filter in (16, 32, 64):
        for i in range(n):
            grows = i == 0 and num_filter != 16
            h = h // 2 if grows else h
            units += [(3, cin, num_filter, h), (3, num_filter, num_filter, h)]
            if grows:
                units.append((1, cin, num_filter, h))
            cin = num_filter
    params = sum(k * k * a * b + b + b for k, a, b, _ in units) + 64 * classes + classes
    macs = sum(k * k * a * b * s * s for k, a, b, s in units) + 64 * classes
    gammas = sum(b for _, _, b, _ in units)
    return {"params": params, "macs": macs, "mxnet_arguments": params + gammas,
            "convolutions": len(units)}


def mxnet_argument_names(n: int = 3) -> list[tuple[str, tuple[int, ...]]]:
    """MXNet's names for the arguments and auxiliary states of get_symbol(), in the order the
    source creates its symbols (the k-th Convolution is `convolution{k}`, the k-th BatchNorm
    `batchnorm{k}`; conv_factory makes one of each), with their shapes."""
    names, k = [], 0

    def unit(kernel, cin, cout):
        nonlocal k
        names.extend([(f"convolution{k}_weight", (cout, cin, kernel, kernel)),
                      (f"convolution{k}_bias", (cout,)), (f"batchnorm{k}_gamma", (cout,)),
                      (f"batchnorm{k}_beta", (cout,)), (f"batchnorm{k}_moving_mean", (cout,)),
                      (f"batchnorm{k}_moving_var", (cout,))])
        k += 1

    unit(3, 3, 16)
    cin = 16
    for num_filter in (16, 32, 64):
        for i in range(n):
            unit(3, cin, num_filter)  # conv1
            unit(3, num_filter, num_filter)  # conv2
            if i == 0 and num_filter != 16:
                unit(1, cin, num_filter)  # project_data
            cin = num_filter
    return names + [("fc1_weight", (10, 64)), ("fc1_bias", (10,))]
