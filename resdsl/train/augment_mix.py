"""Mixup (Zhang et al. 2018) and CutMix (Yun et al. 2019) on a batch, with the mixed targets.

Each image is mixed with its partner in the batch reversed (image i with image n-1-i), by one
lambda per batch drawn from Beta(alpha, alpha):
- mixup: x = lam * x + (1 - lam) * partner, target = lam * onehot(y) + (1 - lam) * onehot(partner's y);
- cutmix: a box of (1 - lam) of the image's area, centred at random and clipped to the image, is
  pasted from the partner; lam becomes the share of the image left uncovered.
With both on, each batch picks one at even odds (timm's switch). The targets are class
probabilities: the loss takes them as they are, with label smoothing applied on top
(torch's cross_entropy), which is timm's smoothed one-hot targets mixed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class Box:
    """Rows [top, bottom) and columns [left, right) pasted from the partner."""

    top: int
    bottom: int
    left: int
    right: int

    @property
    def area(self) -> int:
        return (self.bottom - self.top) * (self.right - self.left)


@dataclass(frozen=True)
class Draw:
    """One batch's mixing: lambda, and the box when it is a cutmix."""

    lam: float
    box: Box | None = None


def cutmix_box(lam: float, height: int, width: int, rand: random.Random) -> Box:
    """A box of side sqrt(1 - lam) times the image's, centred at a random pixel, clipped."""
    ratio = (1 - lam) ** 0.5
    cut_h, cut_w = int(height * ratio), int(width * ratio)
    cy, cx = rand.randrange(height), rand.randrange(width)
    return Box(max(cy - cut_h // 2, 0), min(cy + cut_h // 2, height),
               max(cx - cut_w // 2, 0), min(cx + cut_w // 2, width))


def draw(mixup: float, cutmix: float, height: int, width: int, rand: random.Random) -> Draw:
    """The batch's lambda (and box) from the recipe's alphas; both on: one of them at even odds."""
    use_cutmix = cutmix > 0 and (mixup <= 0 or rand.random() < 0.5)
    lam = rand.betavariate(cutmix, cutmix) if use_cutmix else rand.betavariate(mixup, mixup)
    if not use_cutmix:
        return Draw(lam)
    box = cutmix_box(lam, height, width, rand)
    return Draw(1 - box.area / (height * width), box)


def mix(x: torch.Tensor, y: torch.Tensor, classes: int, how: Draw) -> tuple[torch.Tensor, torch.Tensor]:
    """The mixed batch and its targets (class probabilities, float32, on the batch's device)."""
    partner = x.flip(0)
    if how.box is None:
        mixed = x * how.lam + partner * (1 - how.lam)
    else:
        b = how.box
        mixed = x.clone()
        mixed[:, :, b.top:b.bottom, b.left:b.right] = partner[:, :, b.top:b.bottom, b.left:b.right]
    one_hot = torch.nn.functional.one_hot(y, classes).float()
    return mixed, one_hot * how.lam + one_hot.flip(0) * (1 - how.lam)
