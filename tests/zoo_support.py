"""Comparing a compiled network with a hand-written reference (tests/reference_zoo.py): the
reference's weights load strictly, and both give the same outputs, in eval and in train mode."""

from __future__ import annotations

import torch
from torch import nn


def randomize(model: nn.Module, seed: int = 0) -> None:
    """Random weights and random BN statistics, so that a wrong wiring cannot hide behind the
    initial ones (BN scale 1, shift 0, mean 0, variance 1 make many mistakes invisible)."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.randn(p.shape, generator=gen) * 0.2)
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def assert_same_network(compiled: nn.Module, reference: nn.Module, size: int = 64,
                        batch: int = 2) -> None:
    randomize(reference)
    compiled.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(1))
    for train in (False, True):
        compiled.train(train)
        reference.train(train)
        with torch.no_grad():
            want, got = reference(x), compiled(x)
        scale = want.abs().max().item() or 1.0
        assert torch.allclose(got, want, rtol=1e-4, atol=1e-4 * scale), \
            f"{'train' if train else 'eval'}: max difference {(got - want).abs().max().item():g}"
