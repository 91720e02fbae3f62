"""Random erasing (Zhong et al. 2017, Algorithm 1) on a batch, on its device.

With probability p an image gets one rectangle of random pixels: its area a share of the
image's in [0.02, 0.4], its aspect (height / width) in [0.3, 1/0.3], both uniform, its top-left
corner uniform over the image; a rectangle that does not fit is drawn again (up to ATTEMPTS
times, then the image is left as it is). The pixels are uniform in [0, 1] before normalization,
as the paper's random values in [0, 255].
"""

from __future__ import annotations

import torch

AREA = (0.02, 0.4)
ASPECT = 0.3            # the aspect lies in [ASPECT, 1 / ASPECT]
ATTEMPTS = 10
DRAWS = 1 + 4 * ATTEMPTS  # per image: whether to erase, then (area, aspect, top, left) per attempt


def erase_boxes(rand: torch.Tensor, height: int, width: int, probability: float) -> torch.Tensor:
    """Each image's rectangle as (top, left, height, width) from its DRAWS uniform numbers
    (`rand` is N x DRAWS); a height of 0 where the image is not erased."""
    n = rand.shape[0]
    tries = rand[:, 1:].reshape(n, ATTEMPTS, 4).double()
    area = (AREA[0] + (AREA[1] - AREA[0]) * tries[..., 0]) * height * width
    aspect = ASPECT + (1 / ASPECT - ASPECT) * tries[..., 1]
    h = torch.sqrt(area * aspect).round().long()
    w = torch.sqrt(area / aspect).round().long()
    top = (tries[..., 2] * height).long()
    left = (tries[..., 3] * width).long()
    fits = (h > 0) & (w > 0) & (top + h <= height) & (left + w <= width)
    first = fits.long().argmax(1)  # the first attempt that fits (0 when none does: masked below)
    pick = torch.arange(n)
    erased = (rand[:, 0] < probability) & fits.any(1)
    boxes = torch.stack([top[pick, first], left[pick, first], h[pick, first], w[pick, first]], 1)
    return torch.where(erased[:, None], boxes, torch.zeros_like(boxes))


def erase(x: torch.Tensor, boxes: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
    """`x` with each image's box (from erase_boxes, on x's device) replaced by `noise`'s pixels."""
    _, _, height, width = x.shape
    top, left, h, w = (boxes[:, i, None] for i in range(4))
    rows = torch.arange(height, device=x.device)[None, :]
    cols = torch.arange(width, device=x.device)[None, :]
    inside_rows = (rows >= top) & (rows < top + h)           # N x H
    inside_cols = (cols >= left) & (cols < left + w)         # N x W
    mask = (inside_rows[:, :, None] & inside_cols[:, None, :])[:, None]  # N x 1 x H x W
    return torch.where(mask, noise, x)
