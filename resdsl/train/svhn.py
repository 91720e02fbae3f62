"""`svhn:PATH`: the Street View House Numbers in their cropped-digit MATLAB files, a folder with
`train_32x32.mat` (and `test_32x32.mat`, the test split): `X` is 32x32x3xN bytes, `y` N labels
1..10, where 10 is the digit 0. Read with scipy.io (scipy comes with the `train` extra).

The data readers' rules hold (datasets.py): the file is read as a regular file within
RESDSL_MAX_DATA_BYTES; a compressed variable is unpacked only up to that limit (into an
uncompressed copy, so scipy unpacks nothing itself); each array's size is read from its header
and checked before anything is allocated; a file scipy cannot read is a diagnostic naming it."""

from __future__ import annotations

import io
import struct
import zlib
from pathlib import Path
from typing import Any

import torch

from .datatypes import DataError, Dataset, Split
from .limits import TRAIN_LIMITS
from .pickled import _read_data_file

FILES = {"train": "train_32x32.mat", "test": "test_32x32.mat"}
COMPRESSED = 15    # MATLAB 5's miCOMPRESSED element: one zlib stream holding one whole element
NUMBERS = {"double", "single", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"}
HEADER = 128       # MATLAB 5's text header, subsystem offset, version and endian mark


def _uncompressed(raw: bytes, shown: str) -> bytes:
    """The MATLAB 5 file with every compressed element unpacked in place, at most
    RESDSL_MAX_DATA_BYTES in all (a small file may unpack to a huge one)."""
    if len(raw) < HEADER or raw[126:128] not in (b"IM", b"MI"):
        raise DataError(f"svhn data: {shown} is not a MATLAB 5 .mat file",
                        hint="SVHN's train_32x32.mat and test_32x32.mat (not a MATLAB 7.3/HDF5 file)")
    order = "<" if raw[126:128] == b"IM" else ">"
    limit = TRAIN_LIMITS.data_bytes
    parts, size, at = [raw[:HEADER]], HEADER, HEADER
    while at + 8 <= len(raw):
        kind, count = struct.unpack(order + "II", raw[at:at + 8])
        body = raw[at + 8:at + 8 + count]
        if len(body) < count:
            raise DataError(f"svhn data: {shown} is cut short (an element of {count:,} bytes at byte {at:,})")
        if kind == COMPRESSED:
            unpack = zlib.decompressobj()
            try:
                element = unpack.decompress(body, limit - size + 1)
            except zlib.error as err:
                raise DataError(f"svhn data: {shown} has a compressed variable that cannot be read "
                                f"({err})") from None
        else:
            element = raw[at:at + 8 + count + (-count % 8)]  # elements are padded to 8 bytes
        size += len(element)
        if size > limit or (kind == COMPRESSED and unpack.unconsumed_tail):
            raise DataError(f"svhn data: {shown} unpacks to more than {limit:,} bytes",
                            hint="raise the limit with RESDSL_MAX_DATA_BYTES")
        parts.append(element)
        at += 8 + count + (0 if kind == COMPRESSED else -count % 8)
    return b"".join(parts)


def _arrays(path: Path) -> tuple[Any, Any]:
    """`X` and `y` of one file, their sizes checked from the headers before they are read."""
    import scipy.io

    shown = str(path)
    raw = _uncompressed(_read_data_file(path, "svhn"), shown)
    try:
        found = {name: (shape, kind) for name, shape, kind in scipy.io.whosmat(io.BytesIO(raw))}
    except Exception as err:  # noqa: BLE001 (a hostile file: whatever scipy's reader raises)
        raise DataError(f"svhn data: {shown} is not a readable .mat file ({type(err).__name__}: {err})") from None
    if "X" not in found or "y" not in found:
        raise DataError(f"svhn data: {shown} has no 'X' and 'y'", hint=f"it has: {', '.join(found) or 'nothing'}")
    (x_shape, x_kind), (y_shape, y_kind) = found["X"], found["y"]
    if x_kind != "uint8" or len(x_shape) != 4 or tuple(x_shape[:3]) != (32, 32, 3):
        raise DataError(f"svhn data: {shown}: X is {x_kind} {'x'.join(map(str, x_shape))}, "
                        "not 32x32x3xN bytes")
    n = x_shape[3]
    if y_kind not in NUMBERS:
        raise DataError(f"svhn data: {shown}: y is a {y_kind}, not numbers")
    if sorted(y_shape) != sorted((n, 1)) and tuple(y_shape) != (n,):
        raise DataError(f"svhn data: {shown} has {n:,} images but y is {'x'.join(map(str, y_shape))}")
    if 32 * 32 * 3 * n + 8 * n > TRAIN_LIMITS.data_bytes:
        raise DataError(f"svhn data: {shown} holds more than {TRAIN_LIMITS.data_bytes:,} bytes of images",
                        hint="raise the limit with RESDSL_MAX_DATA_BYTES")
    try:
        mat = scipy.io.loadmat(io.BytesIO(raw), variable_names=["X", "y"])
    except Exception as err:  # noqa: BLE001 (a header that lied about its data)
        raise DataError(f"svhn data: {shown} is not a readable .mat file ({type(err).__name__}: {err})") from None
    return mat["X"], mat["y"]


def _split(path: Path) -> Split:
    import numpy as np

    x, y = _arrays(path)
    values = np.asarray(y, dtype=np.float64).reshape(-1)
    wrong = (values != np.round(values)) | (values < 1) | (values > 10)
    if wrong.any():
        raise DataError(f"svhn data: {path} has the label {values[wrong][0]:g}; SVHN's labels are 1..10 "
                        "(10 is the digit 0)")
    images = torch.from_numpy(np.ascontiguousarray(x.transpose(3, 2, 0, 1)))  # N, C, H, W
    return Split(torch.from_numpy(values.astype(np.int64) % 10), images)


def svhn(spec: str, path: Path) -> Dataset:
    if not path.is_dir():
        raise DataError(f"svhn data: '{path}' is not a folder",
                        hint="give the folder of train_32x32.mat (and test_32x32.mat)")
    if not (path / FILES["train"]).is_file():
        raise DataError(f"svhn data: no {FILES['train']} in '{path}'",
                        hint="SVHN's cropped digits (format 2): train_32x32.mat, test_32x32.mat")
    train = _split(path / FILES["train"])
    test = _split(path / FILES["test"]) if (path / FILES["test"]).is_file() else None
    return Dataset(spec, "svhn", (3, 32, 32), [str(i) for i in range(10)], train, None, test, 255.0)
