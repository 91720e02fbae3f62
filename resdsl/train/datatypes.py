"""What every data source opens into: a `Dataset` of `Split`s, the error a source that cannot be
used raises (E931), and the rules an image file named by a source follows."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import torch

from ..core.errors import ResdslError

IMAGE_SUFFIXES = {".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".ppm", ".tif", ".tiff"}


class DataError(ResdslError):
    code = "E931"


@dataclass
class Split:
    """One split's labels, with its images in memory (N, C, H, W) or as files."""

    labels: torch.Tensor
    images: torch.Tensor | None = None
    files: list[Path] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def subset(self, index: torch.Tensor) -> "Split":
        files = [self.files[i] for i in index.tolist()] if self.files is not None else None
        images = self.images[index] if self.images is not None else None
        return Split(self.labels[index], images, files)


@dataclass
class Dataset:
    spec: str
    kind: str
    shape: tuple[int, int, int]     # what one batch image is: (C, H, W)
    classes: list[str]
    train: Split
    val: Split | None
    test: Split | None
    scale: float                    # raw pixel value of white: 16 for digits, 255 for images
    mean: list[float] = field(default_factory=list)   # per channel, after dividing by scale
    std: list[float] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # image files left out (data.bad_images = "skip"), why

    def split(self, name: str) -> Split:
        found = {"train": self.train, "val": self.val, "test": self.test}.get(name)
        if found is None or len(found) == 0:
            have = [k for k in ("train", "val", "test") if getattr(self, k) is not None and len(getattr(self, k))]
            raise DataError(f"{self.spec} has no '{name}' split", hint=f"it has: {', '.join(have)}")
        return found


def _inside(path: Path, base: Path) -> bool:
    return path == base or base in path.parents


def bad_image(path: Path, reason: str, policy: str, skipped: list[str]) -> None:
    """A file that cannot be used: an error naming it, or (data.bad_images = "skip") counted."""
    if policy != "skip":
        raise DataError(f"folder data: cannot use image '{path}': {reason}",
                        hint='remove or replace the file, or skip such files with --set data.bad_images="skip"')
    skipped.append(f"{path}: {reason}")
