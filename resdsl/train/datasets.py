"""More data sources: `cifar100:PATH` (python batches), `mnist:PATH` (IDX files of MNIST or
Fashion-MNIST, gzipped or not) and `labels:FILE` (a CSV or TSV of image path and class).

They follow CIFAR-10's and the image folders' rules (data.py): every file is read as a regular
file within RESDSL_MAX_DATA_BYTES, a gzip stream is unpacked only up to that limit, an array's
size is known and checked before it is allocated, pickles build only plain data, and a label
file's images stay inside the label file's folder (no link followed out of it)."""

from __future__ import annotations

import csv
import io
import zlib
from pathlib import Path

import torch

from .datatypes import IMAGE_SUFFIXES, DataError, Dataset, Split, _inside, bad_image
from .images import BadImage, check_header
from .limits import TRAIN_LIMITS
from .pickled import _batch_arrays, _from_archive, _read_data_file, read_batch

# ---- CIFAR-100, python version ----

CIFAR100 = {"train", "test", "meta"}


def _cifar100_files(path: Path) -> dict[str, bytes]:
    if not path.exists():
        raise DataError(f"cifar100 data: '{path}' does not exist",
                        hint="give the folder of train, test and meta, or cifar-100-python.tar.gz")
    if path.is_file():
        files = _from_archive(path, CIFAR100, "cifar100")
    else:
        folder = path / "cifar-100-python" if (path / "cifar-100-python").is_dir() else path
        files = {n: _read_data_file(folder / n, "cifar100") for n in CIFAR100 if (folder / n).is_file()}
    if "train" not in files:
        raise DataError(f"cifar100 data: no 'train' batch in '{path}'",
                        hint="give the folder of train, test and meta, or cifar-100-python.tar.gz")
    return files


def cifar100(spec: str, path: Path) -> Dataset:
    files = _cifar100_files(path)

    def split(name: str) -> Split:
        shown = f"{path}:{name}"
        batch = read_batch(files[name], shown)
        if "data" not in batch or "fine_labels" not in batch:
            raise DataError(f"{shown} has no 'data' and 'fine_labels': not a CIFAR-100 batch")
        data, labels = _batch_arrays({"data": batch["data"], "labels": batch["fine_labels"]}, shown)
        return Split(torch.from_numpy(labels), torch.from_numpy(data.reshape(-1, 3, 32, 32).copy()))

    train = split("train")
    test = split("test") if "test" in files else None
    classes = [str(i) for i in range(100)]
    if "meta" in files:
        names = read_batch(files["meta"], f"{path}:meta").get("fine_label_names")
        if isinstance(names, list) and len(names) == 100:
            classes = [n.decode(errors="replace")[:100] if isinstance(n, bytes) else str(n)[:100] for n in names]
    if any(len(s) and int(s.labels.max()) >= 100 for s in (train, test) if s is not None):
        raise DataError("cifar100 data: fine labels outside 0..99")
    return Dataset(spec, "cifar100", (3, 32, 32), classes, train, None, test, 255.0)


# ---- MNIST and Fashion-MNIST, IDX files ----

IDX_NAMES = {"train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
             "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")}


def _idx_path(folder: Path, name: str) -> Path | None:
    """NAME, NAME.gz, or the dotted spelling some copies use (train-images.idx3-ubyte)."""
    dotted = name.replace("-idx", ".idx")
    for candidate in (name, name + ".gz", dotted, dotted + ".gz"):
        if (folder / candidate).is_file():
            return folder / candidate
    return None


def _gunzip(raw: bytes, shown: str) -> bytes:
    """A gzip stream unpacked up to RESDSL_MAX_DATA_BYTES; more is refused before it is kept."""
    limit = TRAIN_LIMITS.data_bytes
    unpack = zlib.decompressobj(wbits=31)
    try:
        out = unpack.decompress(raw, limit + 1)
    except zlib.error as err:
        raise DataError(f"mnist data: {shown} is not a readable gzip file ({err})") from None
    if len(out) > limit or unpack.unconsumed_tail:
        raise DataError(f"mnist data: {shown} unpacks to more than {limit:,} bytes",
                        hint="raise the limit with RESDSL_MAX_DATA_BYTES")
    return out


def read_idx(raw: bytes, shown: str, ndim: int) -> torch.Tensor:
    """An IDX array of unsigned bytes with `ndim` dimensions; its size is checked against the
    header before anything is allocated."""
    if raw[:2] == b"\x1f\x8b":
        raw = _gunzip(raw, shown)
    if len(raw) < 4 + 4 * ndim or raw[:2] != b"\0\0" or raw[2] != 0x08 or raw[3] != ndim:
        raise DataError(f"mnist data: {shown} is not an IDX file of {ndim}-dimensional unsigned bytes")
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim)]
    count = 1
    for n in dims:
        count *= n
    body = raw[4 + 4 * ndim:]
    if count != len(body):
        raise DataError(f"mnist data: {shown} says {' x '.join(map(str, dims))} bytes but holds {len(body):,}")
    if not count:
        return torch.zeros(dims, dtype=torch.uint8)
    return torch.frombuffer(bytearray(body), dtype=torch.uint8).reshape(dims)


def _idx_split(folder: Path, which: str) -> Split | None:
    images_name, labels_name = IDX_NAMES[which]
    images_path, labels_path = _idx_path(folder, images_name), _idx_path(folder, labels_name)
    if images_path is None or labels_path is None:
        return None
    images = read_idx(_read_data_file(images_path, "mnist"), str(images_path), 3)
    labels = read_idx(_read_data_file(labels_path, "mnist"), str(labels_path), 1).long()
    if len(images) != len(labels):
        raise DataError(f"mnist data: {images_path} holds {len(images):,} images but {labels_path} "
                        f"{len(labels):,} labels")
    return Split(labels, images.unsqueeze(1))


def mnist(spec: str, path: Path) -> Dataset:
    if not path.is_dir():
        raise DataError(f"mnist data: '{path}' is not a folder",
                        hint="give the folder of train-images-idx3-ubyte(.gz), train-labels-idx1-ubyte(.gz), "
                             "t10k-...")
    folder = path / "raw" if not _idx_path(path, IDX_NAMES["train"][0]) and (path / "raw").is_dir() else path
    train = _idx_split(folder, "train")
    if train is None:
        raise DataError(f"mnist data: no train-images-idx3-ubyte and train-labels-idx1-ubyte in '{path}'",
                        hint="MNIST's and Fashion-MNIST's files, gzipped (.gz) or not")
    test = _idx_split(folder, "test")
    assert train.images is not None, "IDX images are read into memory"
    if test is not None and test.images is not None and test.images.shape[1:] != train.images.shape[1:]:
        raise DataError(f"mnist data: the test images in '{path}' are not the training images' size")
    top = max(int(s.labels.max()) for s in (train, test) if s is not None and len(s))
    _, _, h, w = train.images.shape
    return Dataset(spec, "mnist", (1, h, w), [str(i) for i in range(max(10, top + 1))], train, None, test, 255.0)


# ---- a label file: image path and class per line ----

HEADERS = {"path", "file", "filename", "image", "name"}


def _rows(path: Path) -> list[list[str]]:
    raw = _read_data_file(path, "labels")
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise DataError(f"labels data: '{path}' is not UTF-8 text (byte {err.start})") from None
    first = text.split("\n", 1)[0]
    rows = [r for r in csv.reader(io.StringIO(text), delimiter="\t" if "\t" in first else ",") if r]
    if rows and rows[0][0].strip().lower() in HEADERS:
        rows = rows[1:]
    return rows


def labels(spec: str, path: Path, recipe) -> Dataset:
    if not path.is_file():
        raise DataError(f"labels data: '{path}' is not a file",
                        hint="give a CSV or TSV file of image path and class per line")
    from ..core.extras import require

    require("labels data", "data:labels")
    base = path.parent.resolve()
    policy = recipe.get("data.bad_images", "refuse")
    skipped: list[str] = []
    files, names = [], []
    for number, row in enumerate(_rows(path), 1):
        if len(row) < 2 or not row[0].strip() or not row[1].strip():
            raise DataError(f"labels data: {path}, row {number}: not an image path and a class")
        image = path.parent / row[0].strip()
        if not _inside(image.resolve(), base):
            raise DataError(f"labels data: {path}, row {number}: '{row[0].strip()}' is outside the "
                            f"label file's folder '{path.parent}'",
                            hint="images are named relative to the label file's folder, inside it")
        if image.suffix.lower() not in IMAGE_SUFFIXES:
            raise DataError(f"labels data: {path}, row {number}: '{row[0].strip()}' is not an image file name",
                            hint=f"images end in {', '.join(sorted(IMAGE_SUFFIXES))}")
        try:
            if not image.is_file():
                raise BadImage("it does not exist or is not a regular file")
            check_header(image)
        except BadImage as err:
            bad_image(image, str(err), policy, skipped)
            continue
        files.append(image)
        names.append(row[1].strip())
    if not files:
        raise DataError(f"labels data: no images listed in '{path}'")
    classes = sorted(set(names))
    index = {name: i for i, name in enumerate(classes)}
    crop = recipe.get("augment.crop", 224)
    data = Dataset(spec, "labels", (3, crop, crop), classes,
                   Split(torch.tensor([index[n] for n in names]), files=files), None, None, 255.0)
    data.skipped = skipped
    return data
