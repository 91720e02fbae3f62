"""Validation during training: top-1 and top-5 error and mean loss of the validation split,
summed over every process, under the run's autocast and memory format."""

from __future__ import annotations

from typing import Any

import torch
import torch.nn.functional as F

from . import distributed
from .pipeline import Sharding, eval_batches


@torch.no_grad()
def validate(model, data, recipe, world, device, batch, amp, memory_format) -> dict[str, Any]:
    """Top-1 and top-5 error and mean loss of the validation split, over every process."""
    if data.val is None or len(data.val) == 0:
        return {}
    model.eval()
    # float64 sums on the device, read once: [loss, top-1 wrong, top-5 wrong, images]
    sums = torch.zeros(4, dtype=torch.float64, device=device)
    for x, y in eval_batches(data, data.val, recipe, Sharding(world.rank, world.size), device, batch):
        if memory_format is torch.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with amp:
            scores = model(x)
        scores = scores.float()
        top = scores.topk(min(5, scores.shape[1]), dim=1).indices
        sums += torch.stack([F.cross_entropy(scores, y, reduction="sum").double(),
                             (top[:, 0] != y).sum().double(), (~(top == y[:, None]).any(1)).sum().double(),
                             torch.full((), float(len(y)), dtype=torch.float64, device=device)])
    model.train()
    loss_sum, wrong1, wrong5, count = distributed.all_sum(world, sums).tolist()
    return {"loss": loss_sum / count, "error": wrong1 / count, "top5_error": wrong5 / count, "images": int(count)}
