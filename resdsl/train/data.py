"""Data sources named by a spec: `digits`, `cifar10:PATH`, `folder:PATH` (and datasets.py's
`cifar100:PATH`, `mnist:PATH`, `labels:FILE`; svhn.py's `svhn:PATH`).

Each opens into a `Dataset`: its image shape, class names, and train / validation / test
splits. Digits and CIFAR-10 live in memory as tensors (CIFAR-10 as uint8, 150 MB); a folder of
images is read file by file with Pillow when a batch needs it. No torchvision.

CIFAR-10's python batches are pickles. They are read with an unpickler that builds only what
those files hold (dicts, lists, bytes, numpy arrays) and refuses any other class, so a crafted
file cannot run code.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import torch

from ..core.errors import did_you_mean
from .datatypes import IMAGE_SUFFIXES, DataError, Dataset, Split, _inside, bad_image
from .images import BadImage, check_header, load_eval_image
from .pickled import _batch_arrays, _from_archive, _read_data_file, read_batch

__all__ = ["IMAGE_SUFFIXES", "KINDS", "DataError", "Dataset", "Split", "bad_image", "describe",
           "hold_out", "load_checked", "open_data", "read_batch"]

KINDS = ("digits", "cifar10", "folder", "cifar100", "mnist", "labels", "svhn")


def open_data(spec: str, recipe) -> Dataset:
    """The data a spec names, split as the recipe says (`data.validation`, `data.split_seed`)."""
    kind, _, where = spec.partition(":")
    if kind not in KINDS:
        from .recipe import clip

        raise DataError(f"unknown data '{clip(spec)}'",
                        hint=(did_you_mean(kind[:100], KINDS) or "") +
                        " data is digits, cifar10:PATH, cifar100:PATH, mnist:PATH, svhn:PATH, folder:PATH "
                        "or labels:FILE")
    if kind != "digits" and not where:
        raise DataError(f"'{kind}' data needs a path: {kind}:PATH")
    if kind == "digits":
        data = _digits(spec)
    elif kind == "cifar10":
        data = _cifar10(spec, Path(where))
    elif kind == "svhn":
        from .svhn import svhn

        data = svhn(spec, Path(where))
    elif kind in ("cifar100", "mnist", "labels"):
        from . import datasets

        data = datasets.labels(spec, Path(where), recipe) if kind == "labels" else \
            getattr(datasets, kind)(spec, Path(where))
    else:
        data = _folder(spec, Path(where), recipe)
    if data.val is None:
        data.train, data.val = hold_out(data.train, recipe["data.validation"], recipe["data.split_seed"])
    _fill_normalization(data, recipe)
    return data


def hold_out(train: Split, validation: float, seed: int) -> tuple[Split, Split]:
    """A validation split taken at random (fixed by `seed`) out of the training images."""
    n = len(train)
    count = int(round(validation * n)) if validation < 1 else int(validation)
    if count >= n:
        raise DataError(f"data.validation holds out {count} of only {n} training images",
                        hint="--validation N (or a fraction, 0.1), or a recipe made for this data")
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    return train.subset(order[count:].sort().values), train.subset(order[:count].sort().values)


def _fill_normalization(data: Dataset, recipe) -> None:
    """Per-channel mean and std: the recipe's, else measured on the training images in memory,
    else (files) on up to 256 of them."""
    aug = recipe["augment"]
    if "mean" in aug:
        if len(aug["mean"]) != data.shape[0]:
            raise DataError(f"augment.mean has {len(aug['mean'])} values but {data.spec} images "
                            f"have {data.shape[0]} channels")
        data.mean, data.std = list(aug["mean"]), list(aug["std"])
        return
    if data.train.images is not None:
        x = data.train.images.float() / data.scale
    else:
        files = data.train.files
        assert files is not None, "a split holds its images in memory or as files"
        take = files[:: max(1, len(files) // 256)][:256]
        x = torch.stack([load_checked(p, recipe, data) for p in take])
    data.mean = x.mean(dim=(0, 2, 3)).tolist()
    data.std = x.std(dim=(0, 2, 3)).clamp_min(1e-6).tolist()


def load_checked(path: Path, recipe, data: Dataset) -> torch.Tensor:
    """The validation view of an image for the normalization's statistics; a bad file refused, or
    (skip) stood in for by a black image, counted."""
    try:
        return load_eval_image(path, recipe)
    except BadImage as err:
        bad_image(path, str(err), recipe.get("data.bad_images", "refuse"), data.skipped)
        return torch.zeros(data.shape)


def _digits(spec: str) -> Dataset:
    from ..core.extras import require

    require("digits data", "data:digits")
    from sklearn.datasets import load_digits

    bunch = load_digits()
    images = torch.tensor(bunch.images, dtype=torch.float32).unsqueeze(1)  # (1797, 1, 8, 8), 0..16
    labels = torch.tensor(bunch.target, dtype=torch.int64)
    return Dataset(spec, "digits", (1, 8, 8), [str(i) for i in range(10)], Split(labels, images),
                   None, None, 16.0)


# ---- CIFAR-10, python version ----

def _cifar_files(path: Path) -> dict[str, bytes]:
    """The batch files by name, from a folder (or its cifar-10-batches-py/) or the .tar.gz."""
    if not path.exists():
        raise DataError(f"cifar10 data: '{path}' does not exist",
                        hint="give the folder of data_batch_1 ... test_batch, or cifar-10-python.tar.gz")
    wanted = {f"data_batch_{i}" for i in range(1, 6)} | {"test_batch", "batches.meta"}
    files: dict[str, bytes] = {}
    if path.is_file():
        files = _from_archive(path, wanted)
    else:
        folder = path / "cifar-10-batches-py" if (path / "cifar-10-batches-py").is_dir() else path
        files = {name: _read_data_file(folder / name) for name in wanted if (folder / name).is_file()}
    missing = sorted(wanted - {"test_batch", "batches.meta"} - set(files))
    if missing and not any(n.startswith("data_batch") for n in files):
        raise DataError(f"cifar10 data: no data_batch_* files in '{path}'")
    return files


def _cifar10(spec: str, path: Path) -> Dataset:
    files = _cifar_files(path)

    def arrays(names: list[str]) -> tuple[torch.Tensor, torch.Tensor]:
        xs, ys = [], []
        for name in names:
            batch = read_batch(files[name], f"{path}:{name}")
            if "data" not in batch or "labels" not in batch:
                raise DataError(f"{path}:{name} has no 'data' and 'labels'")
            data, labels = _batch_arrays(batch, f"{path}:{name}")
            xs.append(torch.from_numpy(data.reshape(-1, 3, 32, 32).copy()))
            ys.append(torch.from_numpy(labels))
        return torch.cat(xs), torch.cat(ys)

    train_names = sorted(n for n in files if n.startswith("data_batch"))
    x, y = arrays(train_names)
    test = None
    if "test_batch" in files:
        test_x, test_y = arrays(["test_batch"])
        test = Split(test_y, test_x)
    classes = [str(i) for i in range(10)]
    if "batches.meta" in files:
        meta = read_batch(files["batches.meta"], f"{path}:batches.meta")
        names = meta.get("label_names")
        if isinstance(names, list) and 0 < len(names) <= 1000:
            classes = [n.decode(errors="replace")[:100] if isinstance(n, bytes) else str(n)[:100] for n in names]
    if any(len(t) and int(t.max()) >= len(classes) for t in (y, test.labels if test else y)):
        raise DataError(f"cifar10 data: labels outside 0..{len(classes) - 1}")
    return Dataset(spec, "cifar10", (3, 32, 32), classes, Split(y, x), None, test, 255.0)


# ---- image folders ----

def _class_folders(root: Path, policy: str, skipped: list[str]) -> tuple[list[str], list[Path], list[int]]:
    """Class names and their image files, walked without following a link out of the data root;
    a file that is no image (empty, another format) is refused or skipped as `policy` says."""
    base = root.resolve()
    classes = []
    for entry in sorted(root.iterdir()):
        if entry.name.startswith(".") or not entry.is_dir():
            continue
        if not _inside(entry.resolve(), base):
            raise DataError(f"folder data: class folder '{entry}' links to '{entry.resolve()}', "
                            f"outside the data root '{root}'",
                            hint="links out of the data root are not followed: give the folder they "
                                 "point to as the data, or copy the images in")
        classes.append(entry.name)
    files, labels = [], []
    for index, name in enumerate(classes):
        for folder, subfolders, names in os.walk(root / name):  # never into a linked folder
            subfolders.sort()
            for leaf in sorted(names):
                f = Path(folder) / leaf
                if f.suffix.lower() not in IMAGE_SUFFIXES:
                    continue
                try:
                    if not _inside(f.resolve(), base) or not f.is_file():
                        raise BadImage("it links outside the data root, or is not a regular file")
                    check_header(f)
                except BadImage as err:
                    bad_image(f, str(err), policy, skipped)
                    continue
                files.append(f)
                labels.append(index)
    return classes, files, labels


def _folder(spec: str, root: Path, recipe) -> Dataset:
    if not root.is_dir():
        raise DataError(f"folder data: '{root}' is not a folder",
                        hint="give a folder with one subfolder of images per class (or train/ and val/)")
    from ..core.extras import require

    require("folder data", "data:folder")
    has_train = (root / "train").is_dir()
    policy = recipe.get("data.bad_images", "refuse")
    skipped: list[str] = []
    classes, files, labels = _class_folders(root / "train" if has_train else root, policy, skipped)
    if not files:
        raise DataError(f"folder data: no images in class folders under '{root}'",
                        hint=f"images end in {', '.join(sorted(IMAGE_SUFFIXES))}")
    train = Split(torch.tensor(labels), files=files)
    val = None
    if has_train and (root / "val").is_dir():
        val_classes, val_files, val_labels = _class_folders(root / "val", policy, skipped)
        if val_classes != classes:
            raise DataError(f"folder data: val/ has classes {val_classes[:5]}... but train/ has {classes[:5]}...")
        val = Split(torch.tensor(val_labels), files=val_files)
    crop = recipe.get("augment.crop", 224)
    data = Dataset(spec, "folder", (3, crop, crop), classes, train, val, None, 255.0)
    data.skipped = skipped
    return data


def describe(data: Dataset) -> dict[str, Any]:
    return {"spec": data.spec, "shape": list(data.shape), "classes": len(data.classes),
            "train": len(data.train), "val": len(data.val) if data.val is not None else 0,
            "test": len(data.test) if data.test is not None else 0}
