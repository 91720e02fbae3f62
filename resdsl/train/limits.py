"""What training reads may cost, checked before it is read or allocated; each message names the
environment variable that raises its limit (as the language's limits do, core/limits.py)."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.limits import _env_int


@dataclass(frozen=True)
class TrainLimits:
    recipe_bytes: int = _env_int("RESDSL_MAX_RECIPE_BYTES", 1_000_000)
    # a CIFAR-10 batch file is 31 MB, the whole archive 163 MB (178 MB unpacked)
    data_bytes: int = _env_int("RESDSL_MAX_DATA_BYTES", 1 << 30)
    # Pillow's own decompression-bomb threshold; also the size an image may be resized to
    image_pixels: int = _env_int("RESDSL_MAX_IMAGE_PIXELS", 89_478_485)
    metrics_bytes: int = _env_int("RESDSL_MAX_METRICS_BYTES", 1 << 30)


TRAIN_LIMITS = TrainLimits()
