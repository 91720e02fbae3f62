"""Initial weights as in the paper (He et al. 2015, sec. 3.4), the way torchvision sets them.

Only torch here: the `.py` export copies `init_weights` into the files it writes, so a network
rebuilt from exported source starts from the same distribution as one from `resdsl.load`.
"""

from __future__ import annotations

from typing import Iterable

import torch
from torch import nn


def init_weights(model: nn.Module, norms: tuple[type, ...] = (), zero_bns: Iterable[str] = ()) -> None:
    """He ("MSRA") normal convolution weights, fan-out as torchvision; every norm (modules of the
    classes `norms`: BN, GN) scale 1, shift 0.

    Biases of convolutions (the paper's have none) and the fc keep torch's default, or what a
    module made for a composite op chose for itself.

    `zero_bns` names norms whose scale starts at zero: the last BN of each residual branch
    ("zero-init-residual", Goyal et al. 2017), so every block starts as the identity.
    """
    for module in model.modules():
        if isinstance(module, nn.Conv2d):
            nn.init.kaiming_normal_(module.weight, mode="fan_out", nonlinearity="relu")
        elif isinstance(module, norms):
            # a BN without a scale (`scale: false`) has None for a weight and a bias
            if isinstance(module.weight, torch.Tensor):
                nn.init.ones_(module.weight)
            if isinstance(module.bias, torch.Tensor):
                nn.init.zeros_(module.bias)
    for name in zero_bns:
        weight = model.get_submodule(name).weight
        if isinstance(weight, torch.Tensor):
            nn.init.zeros_(weight)
