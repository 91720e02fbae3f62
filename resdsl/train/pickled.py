"""Data files read within their limits: a file as bytes within RESDSL_MAX_DATA_BYTES, the
members of a tar archive within it in all, and Python pickles (CIFAR's batches) with an unpickler
that builds only dicts, lists, bytes and numpy arrays and refuses any other class, so a crafted
file cannot run code."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

from .datatypes import DataError
from .limits import TRAIN_LIMITS


class _BatchUnpickler(pickle.Unpickler):
    """Builds the few classes CIFAR-10's batches hold; anything else is refused, and an array's
    size is checked against RESDSL_MAX_DATA_BYTES before numpy allocates it."""

    ALLOWED = {("numpy.core.multiarray", "_reconstruct"), ("numpy._core.multiarray", "_reconstruct"),
               ("numpy", "ndarray"), ("numpy", "dtype"), ("_codecs", "encode"),
               ("numpy.core.multiarray", "scalar"), ("numpy._core.multiarray", "scalar")}

    def find_class(self, module: str, name: str):
        if (module, name) in self.ALLOWED:
            found = super().find_class(module, name)
            return _checked_reconstruct(found) if name == "_reconstruct" else found
        raise pickle.UnpicklingError(f"refusing to build {module}.{name}")


def _checked_reconstruct(reconstruct):
    """numpy's `_reconstruct(cls, shape, dtype)` allocates shape x dtype at once: bounded first."""
    def build(cls, shape, dtype):
        import numpy as np

        count = 1
        for n in shape if isinstance(shape, tuple) else (shape,):
            count *= int(n)
        if count * np.dtype(dtype).itemsize > TRAIN_LIMITS.data_bytes:
            raise pickle.UnpicklingError(f"an array of {count:,} items is over RESDSL_MAX_DATA_BYTES")
        return reconstruct(cls, shape, dtype)
    return build


def read_batch(raw: bytes, shown: str) -> dict:
    try:
        found = _BatchUnpickler(io.BytesIO(raw), encoding="bytes").load()
    except Exception as err:  # a corrupt or hostile file: either way not a CIFAR batch
        raise DataError(f"{shown} is not a CIFAR-10 python batch ({str(err)[:200]})") from None
    if not isinstance(found, dict):
        raise DataError(f"{shown} is not a CIFAR-10 python batch (no dict inside)")
    return {k.decode() if isinstance(k, bytes) else k: v for k, v in found.items()}


def _batch_arrays(batch: dict, shown: str):
    """'data' as N x 3072 bytes and 'labels' as N integers in 0..9, or a diagnostic naming the file."""
    import numpy as np

    data, labels = batch["data"], batch["labels"]
    if not isinstance(data, np.ndarray) or data.ndim != 2 or data.shape[1] != 3072 \
            or data.dtype.kind not in "ui" or not isinstance(labels, (list, np.ndarray)) \
            or len(labels) != len(data):
        raise DataError(f"{shown}: 'data' is not N rows of 3072 bytes with N labels")
    if data.size and (int(data.min()) < 0 or int(data.max()) > 255):
        raise DataError(f"{shown}: 'data' holds values outside 0..255, not 8-bit pixels")
    found = np.asarray(labels) if len(labels) else np.zeros(0, dtype=np.int64)
    if found.dtype.kind not in "iu" or found.ndim != 1 or \
            (found.size and not 0 <= int(found.min()) <= int(found.max()) < 1 << 31):
        raise DataError(f"{shown}: 'labels' are not small non-negative integers")
    return data.astype(np.uint8), found.astype(np.int64)


def _read_data_file(path: Path, kind: str = "cifar10") -> bytes:
    from ..core.files import FileProblem, read_limited

    try:
        return read_limited(path, TRAIN_LIMITS.data_bytes, "RESDSL_MAX_DATA_BYTES")
    except FileProblem as err:
        raise DataError(f"{kind} data: cannot read '{path}': {err.reason}") from None


def _from_archive(path: Path, wanted: set[str], kind: str = "cifar10") -> dict[str, bytes]:
    """The wanted members of a (compressed) tar, their unpacked sizes held to RESDSL_MAX_DATA_BYTES
    in all before any is read; a truncated or corrupt archive is a diagnostic."""
    import zlib

    files: dict[str, bytes] = {}
    budget = TRAIN_LIMITS.data_bytes
    try:
        with tarfile.open(fileobj=io.BytesIO(_read_data_file(path, kind)), mode="r:*") as tar:
            for member in tar:
                base = Path(member.name).name
                if not (member.isfile() and base in wanted):
                    continue
                budget -= member.size
                if budget < 0:
                    raise DataError(f"{kind} data: '{path}' unpacks to more than {TRAIN_LIMITS.data_bytes:,} "
                                    "bytes of batches", hint="raise the limit with RESDSL_MAX_DATA_BYTES")
                extracted = tar.extractfile(member)  # a file's member always extracts
                if extracted is not None:
                    files[base] = extracted.read(member.size)
    except (tarfile.TarError, EOFError, zlib.error, OSError) as err:
        raise DataError(f"{kind} data: '{path}' is not a readable tar archive "
                        f"({str(err)[:200] or type(err).__name__})") from None
    return files
