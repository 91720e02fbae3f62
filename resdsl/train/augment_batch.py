"""The augmentations applied to a whole training batch on its device, after the images are
loaded: RandAugment (on pixels in [0, 1]), random erasing (on the normalized batch), then mixup
or CutMix (which turn the labels into class probabilities).

Like the crops and flips (pipeline.py), every random number is a function of (seed, iteration):
a resumed run draws exactly what the uninterrupted one drew. The per-image numbers are drawn for
the whole global batch and sliced as its images are, so N processes see what one would; the
batch's lambda is the same on every process; only the pairs mixed (each process's batch
reversed) and erasing's pixel noise depend on the process.
"""

from __future__ import annotations

import random

import torch

from .augment_erase import DRAWS, erase, erase_boxes
from .augment_mix import draw, mix
from .pipeline import mix as seed_of

_RANDAUGMENT, _ERASE, _NOISE, _MIX = 0xA11, 0xA12, 0xA13, 0xA14  # generator streams


class BatchAugment:
    """recipe's augment.randaugment / erasing / mixup / cutmix for one process's batches."""

    def __init__(self, recipe, classes: int, mean: torch.Tensor, std: torch.Tensor, rank: int = 0,
                 world: int = 1):
        aug = recipe["augment"]
        self.seed, self.batch = recipe["seed"], recipe["batch.size"]
        self.rank, self.world, self.classes = rank, world, classes
        self.mean, self.std = mean, std
        self.mixup, self.cutmix, self.erasing = aug["mixup"], aug["cutmix"], aug["erasing"]
        self.randaugment = aug["randaugment"]

    @property
    def active(self) -> bool:
        return bool(self.mixup or self.cutmix or self.erasing or self.randaugment["num_ops"])

    def _per_image(self, stream: int, iteration: int, draws: int, n: int) -> torch.Tensor:
        """This process's rows of the global batch's uniform numbers for `stream`."""
        g = torch.Generator().manual_seed(seed_of(self.seed, stream, iteration))
        return torch.rand(self.batch, draws, generator=g)[self.rank::self.world][:n]

    def __call__(self, x: torch.Tensor, y: torch.Tensor, iteration: int) -> tuple[torch.Tensor, torch.Tensor]:
        n, _, height, width = x.shape
        mean, std = self.mean.to(x.device), self.std.to(x.device)  # folder data may load on the host
        if self.randaugment["num_ops"]:
            from .augment_ops import DRAWS_PER_OP, rand_augment

            ops = self.randaugment["num_ops"]
            rand = self._per_image(_RANDAUGMENT, iteration, ops * DRAWS_PER_OP, n).to(x.device)
            pixels = (x * std + mean).clamp_(0, 1)
            pixels = rand_augment(pixels, rand, ops, self.randaugment["magnitude"],
                                  self.randaugment["magnitude_std"])
            x = (pixels - mean) / std
        if self.erasing:
            boxes = erase_boxes(self._per_image(_ERASE, iteration, DRAWS, n), height, width, self.erasing)
            if bool(boxes[:, 2].any()):
                g = torch.Generator(device=x.device).manual_seed(seed_of(self.seed, _NOISE, iteration, self.rank))
                noise = torch.rand(x.shape, generator=g, device=x.device, dtype=x.dtype)
                x = erase(x, boxes.to(x.device), (noise - mean) / std)
        if self.mixup or self.cutmix:
            how = draw(self.mixup, self.cutmix, height, width, random.Random(seed_of(self.seed, _MIX, iteration)))
            return mix(x, y, self.classes, how)
        return x, y


def batch_augment(recipe, batches, world) -> BatchAugment | None:
    """The batch augmentations the recipe asks for on a run's TrainBatches and processes
    (distributed.World), or None: the loop then does nothing more."""
    augment = BatchAugment(recipe, len(batches.data.classes), batches.mean, batches.std, world.rank, world.size)
    return augment if augment.active else None
