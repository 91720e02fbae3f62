"""Batches: which images, in what order, augmented how. All of it a function of (seed, epoch,
iteration), never of a generator's running state, so a resumed run and a run on N processes
see exactly the images and crops an uninterrupted single-process run sees.

- order: epoch e visits the training images in `randperm(seed, e)`; global batch b is that
  order's slice [b*B, (b+1)*B) (an incomplete last batch is dropped), and process r of W takes
  every W-th image of it, so W processes together hold the same global batch.
- augmentation: the random numbers of iteration i are drawn for the whole global batch from a
  generator seeded with (seed, i), then sliced like the images.
- images in memory (digits, CIFAR-10) are cropped and flipped as one gather on their device
  (the GPU, when the data lives there); files are decoded with Pillow, in DataLoader workers
  when `data.workers` > 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import torch

from .data import DataError, Dataset, Split
from .images import BadImage, load_eval_image, load_train_image

_AUG_STREAM = 0x5EED  # keeps the augmentation generator's seeds apart from the order's


def mix(*parts: int) -> int:
    """A 63-bit seed from integers (splitmix64 steps): nearby inputs give unrelated seeds."""
    h = 0x9E3779B97F4A7C15
    for p in parts:
        h = (h ^ (p & 0xFFFFFFFFFFFFFFFF)) * 0xBF58476D1CE4E5B9 & 0xFFFFFFFFFFFFFFFF
        h = (h ^ (h >> 27)) * 0x94D049BB133111EB & 0xFFFFFFFFFFFFFFFF
        h ^= h >> 31
    return h & 0x7FFFFFFFFFFFFFFF


@dataclass
class Sharding:
    rank: int = 0
    world: int = 1


class TrainBatches:
    """The training batches of a recipe, for one process."""

    def __init__(self, data: Dataset, recipe, sharding: Sharding, device: torch.device):
        self.data, self.recipe, self.shard, self.device = data, recipe, sharding, device
        self.split: Split = data.train
        self.batch = recipe["batch.size"]
        if self.batch % sharding.world:
            raise DataError(f"batch.size {self.batch} is not a multiple of {sharding.world} processes",
                            hint="give a --batch-size that the processes share evenly")
        if len(self.split) < self.batch:
            raise DataError(f"{data.spec}: {len(self.split)} training images, fewer than one batch "
                            f"of {self.batch}", hint="lower the batch with --batch-size")
        self.per_epoch = len(self.split) // self.batch
        _check_padding(data, recipe["augment.pad"], self.batch // sharding.world)
        self.seed = recipe["seed"]
        self.images = self.split.images
        if self.images is not None:
            self.images = self.images.to(device)
            self.labels = self.split.labels.to(device)
        self.mean = torch.tensor(data.mean, device=device).view(1, -1, 1, 1)
        self.std = torch.tensor(data.std, device=device).view(1, -1, 1, 1)

    def order(self, epoch: int) -> torch.Tensor:
        return torch.randperm(len(self.split), generator=torch.Generator().manual_seed(mix(self.seed, epoch)))

    def epoch(self, epoch: int, start: int = 0) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        """Batches `start`, `start`+1, ... of an epoch, this process's share of each."""
        order = self.order(epoch)
        jobs = []
        for b in range(start, self.per_epoch):
            iteration = epoch * self.per_epoch + b
            index = order[b * self.batch:(b + 1) * self.batch]
            rand = torch.rand(self.batch, 8, generator=torch.Generator().manual_seed(
                mix(self.seed, _AUG_STREAM, iteration)))
            jobs.append((index[self.shard.rank::self.shard.world], rand[self.shard.rank::self.shard.world]))
        if self.images is not None:
            for index, rand in jobs:
                yield self._from_memory(index, rand)
        else:
            yield from self._from_files(jobs)

    def _from_memory(self, index, rand):
        index = index.to(self.device)
        x = self.images[index].float().div_(self.data.scale)  # pixels in [0, 1]
        aug = self.recipe["augment"]
        x = crop_and_flip(x, aug["pad"], rand.to(self.device), aug["flip"])
        return (x - self.mean) / self.std, self.labels[index]

    def _from_files(self, jobs):
        loader = torch.utils.data.DataLoader(
            _FileJobs(self.split, self.recipe, self.data.mean, self.data.std),
            batch_sampler=[[(int(i), tuple(r.tolist())) for i, r in zip(index, rand)] for index, rand in jobs],
            num_workers=self.recipe["data.workers"], collate_fn=_stack,
            persistent_workers=False, pin_memory=self.device.type == "cuda")
        for x, y, bad in loader:
            x, y = _usable(x, y, bad, self.recipe, self.data)
            yield x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)


def _check_padding(data: Dataset, pad: int, batch: int) -> None:
    """augment.pad makes a padded copy of each batch: held to the activation limit before it is made."""
    from ..core.errors import LimitError
    from ..core.limits import LIMITS

    c, h, w = data.shape
    needed = batch * c * (h + 2 * pad) * (w + 2 * pad) * 4
    if data.train.images is not None and (pad > LIMITS.spatial or needed > LIMITS.activation_bytes):
        raise LimitError(f"augment.pad = {pad} pads a batch of {batch} {c}x{h}x{w} images to {needed:,} bytes, "
                         f"over the limit of {LIMITS.activation_bytes:,}", code="E609",
                         hint="a few pixels are what padding before a random crop needs (the paper: 4); "
                              "or raise the limit with RESDSL_MAX_ACTIVATION_BYTES")


def crop_and_flip(x: torch.Tensor, pad: int, rand: torch.Tensor, flip: bool) -> torch.Tensor:
    """Pad each image with `pad` black pixels a side, take a random crop of the original size,
    mirror it when rand[:, 2] < 0.5: one gather for the whole batch, on its device."""
    if pad == 0 and not flip:
        return x
    n, c, h, w = x.shape
    padded = torch.nn.functional.pad(x, (pad, pad, pad, pad)) if pad else x
    dy = (rand[:, 0] * (2 * pad + 1)).long().clamp_max(2 * pad)
    dx = (rand[:, 1] * (2 * pad + 1)).long().clamp_max(2 * pad)
    rows = dy[:, None] + torch.arange(h, device=x.device)
    cols = dx[:, None] + torch.arange(w, device=x.device)
    if flip:
        mirrored = rand[:, 2] < 0.5
        cols = torch.where(mirrored[:, None], cols.flip(1), cols)
    batch = torch.arange(n, device=x.device)[:, None, None, None]
    channel = torch.arange(c, device=x.device)[None, :, None, None]
    return padded[batch, channel, rows[:, None, :, None], cols[:, None, None, :]]


class _FileJobs(torch.utils.data.Dataset):
    def __init__(self, split: Split, recipe, mean, std):
        self.split, self.recipe = split, recipe
        self.mean = torch.tensor(mean).view(-1, 1, 1)
        self.std = torch.tensor(std).view(-1, 1, 1)

    def __len__(self):
        return len(self.split)

    def __getitem__(self, job):
        index, rand = job
        return self._item(index, lambda path: load_train_image(path, self.recipe, rand))

    def _item(self, index, load):
        """(image, label, None), or (None, label, why) for a file that cannot be used: a worker
        never raises for a bad file, the main process decides (data.bad_images)."""
        path = self.split.files[index]
        try:
            x = load(path)
        except BadImage as err:
            return None, int(self.split.labels[index]), (str(path), str(err))
        return (x - self.mean) / self.std, int(self.split.labels[index]), None


class _EvalFiles(_FileJobs):
    def __getitem__(self, index):
        return self._item(index, lambda path: load_eval_image(path, self.recipe))


def _stack(items):
    good = [(x, y) for x, y, bad in items if bad is None]
    bad = [bad for _, _, bad in items if bad is not None]
    x = torch.stack([x for x, _ in good]) if good else torch.zeros(0)
    return x, torch.tensor([y for _, y in good], dtype=torch.int64), bad


def _usable(x, y, bad, recipe, data: Dataset):
    """A batch's good images; a bad one refused with its path, or (skip) counted and left out."""
    from .data import bad_image

    for path, reason in bad:
        bad_image(Path(path), reason, recipe.get("data.bad_images", "refuse"), data.skipped)
    if len(y) == 0:
        raise DataError(f"{data.spec}: every image of a batch was skipped as unusable",
                        hint="see the files named in the run summary's skipped images")
    return x, y


def eval_batches(data: Dataset, split: Split, recipe, sharding: Sharding, device: torch.device,
                 batch: int) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """A split in order, unaugmented, this process's every W-th image."""
    index = torch.arange(sharding.rank, len(split), sharding.world)
    if split.images is not None:
        mean = torch.tensor(data.mean, device=device).view(1, -1, 1, 1)
        std = torch.tensor(data.std, device=device).view(1, -1, 1, 1)
        for start in range(0, len(index), batch):
            part = index[start:start + batch]
            x = split.images[part].to(device).float().div_(data.scale)
            yield (x - mean) / std, split.labels[part].to(device)
        return
    loader = torch.utils.data.DataLoader(
        _EvalFiles(split, recipe, data.mean, data.std), sampler=index.tolist(), batch_size=batch,
        num_workers=recipe["data.workers"], collate_fn=_stack)
    for x, y, bad in loader:
        x, y = _usable(x, y, bad, recipe, data)
        yield x.to(device), y.to(device)
