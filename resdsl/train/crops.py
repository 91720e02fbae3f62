"""The random-resized crop (Szegedy et al. 2015, "Going deeper with convolutions", section 6;
torchvision's RandomResizedCrop), for image files: a box of a random share of the image's area
(`augment.rrc_scale`) and a random aspect ratio (`augment.rrc_ratio`, drawn log-uniformly),
resized to `augment.crop` pixels a side. Up to ten draws; when none fits the image, the centre
box of the image's own ratio clamped to the range.

Its random numbers come from a generator seeded with the image's own uniform numbers (the
pipeline's, drawn from the seed and the iteration), so a resumed run crops exactly as an
uninterrupted one."""

from __future__ import annotations

import math
import random
import struct
from typing import Callable, Sequence

ATTEMPTS = 10


def box(width: int, height: int, scale: Sequence[float], ratio: Sequence[float],
        uniform: Callable[[], float]) -> tuple[int, int, int, int]:
    """(left, top, box width, box height) in the image, torchvision's `get_params` with its draws
    given: per attempt, the area's share, the log-ratio, then the top and the left."""
    area = width * height
    low, high = math.log(ratio[0]), math.log(ratio[1])
    for _ in range(ATTEMPTS):
        target = area * (scale[0] + (scale[1] - scale[0]) * uniform())
        aspect = math.exp(low + (high - low) * uniform())
        w = int(round(math.sqrt(target * aspect)))
        h = int(round(math.sqrt(target / aspect)))
        if 0 < w <= width and 0 < h <= height:
            top = min(int(uniform() * (height - h + 1)), height - h)
            left = min(int(uniform() * (width - w + 1)), width - w)
            return left, top, w, h
    own = width / height
    if own < min(ratio):
        w, h = width, int(round(width / min(ratio)))
    elif own > max(ratio):
        w, h = int(round(height * max(ratio))), height
    else:
        w, h = width, height
    return (width - w) // 2, (height - h) // 2, w, h


def draws(rand: Sequence[float]) -> Callable[[], float]:
    """Uniform numbers in [0, 1) from a generator seeded with an image's own numbers."""
    return random.Random(struct.pack(f"<{len(rand)}d", *rand)).random


def random_resized(img, aug: dict, rand: Sequence[float]):
    """The image's random-resized crop, `aug["crop"]` pixels a side (Pillow, bilinear)."""
    from PIL import Image

    crop = aug.get("crop", 224)
    left, top, w, h = box(img.width, img.height, aug.get("rrc_scale", (0.08, 1.0)),
                          aug.get("rrc_ratio", (3 / 4, 4 / 3)), draws(rand))
    return img.resize((crop, crop), Image.Resampling.BILINEAR, box=(left, top, left + w, top + h))
