"""A run's preprocessing record (core/preprocess.py): made from its data and recipe, written as
RUN/preprocess.json beside recipe.toml, and kept through a resume (a resumed run normalises as
it began, whatever its data would measure now)."""

from __future__ import annotations

from pathlib import Path

from ..core.preprocess import FILE_NAME, Preprocess, check_fits, from_data, read
from .datatypes import Dataset


def settle(out: Path, data: Dataset, recipe, resume: bool) -> Preprocess:
    """The run's record, its normalisation set on `data`: on resume the folder's record (when it
    has one), else the data's own (the recipe's augment.mean/std, or measured)."""
    if resume and (out / FILE_NAME).exists():
        record = read(out / FILE_NAME)
        check_fits(record, data.shape, f"{data.spec} data")
        data.mean, data.std = list(record.mean), list(record.std)
        return record
    return from_data(data, recipe["augment"])
