"""How a model's inputs were prepared when it was trained: one small record that travels with the
weights (a run folder's `preprocess.json`, the `.py` export's constants, `.onnx`/`.pt2` metadata,
a `preprocess.json` beside exported `.safetensors`), as timm's `pretrained_cfg` and torchvision's
`weights.transforms()` do for their pretrained weights.

An image becomes a network input in four steps: resized so its shorter side is `resize` pixels
(`interpolation`), the centre `crop` x `crop` square cut out, the raw pixel values divided by
`pixel_max` (255 for image files, 16 for scikit-learn's digits), then each channel
normalised: `(x - mean[c]) / std[c]`. Data held in memory at the network's size (digits, CIFAR,
MNIST) has no resize or crop.

A record file is user input like any other (a run folder can come from anywhere): it is read
through the size-limited reader and every value is checked; a bad one is a diagnostic (E1100).
No torch here: the callable that applies a record is torch/carried.py's `Transform`.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from .errors import ResdslError, clip, did_you_mean
from .limits import _env_int

FILE_NAME = "preprocess.json"
VERSION = 1
MAX_BYTES = _env_int("RESDSL_MAX_PREPROCESS_BYTES", 64 * 1024)  # a record is a few hundred bytes
MAX_CHANNELS = 64
MAX_SIDE = 1 << 16
INTERPOLATIONS = ("bilinear",)  # what the training pipeline resizes with (images.py)


class PreprocessError(ResdslError):
    code = "E1100"


class PreprocessMismatch(ResdslError):
    code = "E1101"


@dataclass(frozen=True)
class Preprocess:
    """The input preparation the weights were trained with (see the module's docstring)."""

    mean: tuple[float, ...]
    std: tuple[float, ...]
    input_size: tuple[int, int, int]        # (channels, height, width) of one network input
    resize: int | None = None               # shorter side before the centre crop; None: none
    crop: int | None = None                 # the centre crop's side; None: none
    interpolation: str = "bilinear"
    channels: str = "RGB"                   # channel order: RGB, or L (one grey channel)
    pixel_max: float = 255.0                # raw value of white: pixels are divided by it

    def to_json(self) -> dict[str, Any]:
        return {"preprocess": VERSION, **{k: list(v) if isinstance(v, tuple) else v
                                          for k, v in asdict(self).items()}}

    def text(self) -> str:
        lines = (f" {json.dumps(key)}: {json.dumps(value)}" for key, value in self.to_json().items())
        return "{\n" + ",\n".join(lines) + "\n}\n"  # one key a line, lists on theirs

    @property
    def pretrained_cfg(self) -> dict[str, Any]:
        """The record in timm's `pretrained_cfg` terms (input_size, interpolation, crop_pct,
        crop_mode, mean, std), for code that reads timm's configuration."""
        crop_pct = self.crop / self.resize if self.crop and self.resize else 1.0
        return {"input_size": self.input_size, "interpolation": self.interpolation,
                "crop_pct": crop_pct, "crop_mode": "center", "mean": self.mean, "std": self.std,
                "pixel_max": self.pixel_max}


def from_data(data: Any, augment: dict[str, Any]) -> Preprocess:
    """The record of a training run's data (train/datatypes.Dataset): its normalisation (the
    recipe's augment.mean/std, or measured on the training images) and, for image files, the
    validation view's resize and crop."""
    resize = crop = None
    if data.train.files is not None:  # decoded from files: images.load_eval_image's view
        crop = int(augment.get("eval_crop", augment.get("crop", 224)))
        resize = int(augment.get("eval_resize", math.ceil(crop * 8 / 7)))
    shape = tuple(int(v) for v in data.shape)
    if crop is not None:  # the network's input at test time: the validation crop
        shape = (shape[0], crop, crop)
    return Preprocess(tuple(float(m) for m in data.mean), tuple(float(s) for s in data.std),
                      shape, resize, crop, "bilinear", "RGB" if shape[0] == 3 else "L",  # type: ignore[arg-type]
                      float(data.scale))


# -- reading a record: every value checked ---------------------------------------------------

_KEYS = ("preprocess", "mean", "std", "input_size", "resize", "crop", "interpolation", "channels",
         "pixel_max")


def read(path: str | Path) -> Preprocess:
    """A `preprocess.json`, checked (E1100 names what is wrong)."""
    from .files import FileProblem, read_limited

    try:
        raw = read_limited(path, MAX_BYTES, "RESDSL_MAX_PREPROCESS_BYTES")
    except FileProblem as err:
        raise PreprocessError(f"cannot read preprocessing record '{clip(str(path))}': {err.reason}") from None
    try:
        values = json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise PreprocessError(f"preprocessing record '{clip(str(path))}' is not JSON: {clip(str(err))}",
                              hint=_HINT) from None
    return parse(values, str(path))


_HINT = "it is written by 'resdsl train' (preprocess.json in the run folder); write it again or remove it"


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


def parse(values: Any, where: str = "the record") -> Preprocess:
    """A record from its JSON values (a dict), every field checked."""
    def bad(message: str) -> PreprocessError:
        return PreprocessError(f"preprocessing record '{clip(where)}': {message}", hint=_HINT)

    if not isinstance(values, dict):
        raise bad(f"expected a JSON object, found {type(values).__name__}")
    for key in values:
        if key not in _KEYS:
            near = did_you_mean(str(key)[:100], _KEYS)
            raise bad(f"unknown key '{clip(str(key))}'" + (f" ({near})" if near else ""))
    if not (_side(values.get("preprocess")) and values["preprocess"] == VERSION):  # 1, not true or 1.0
        raise bad(f"'preprocess' must be {VERSION} (the record's format version)")
    mean = _numbers(values.get("mean"), "mean", bad)
    std = _numbers(values.get("std"), "std", bad)
    if any(s <= 0 for s in std):
        raise bad("every std must be above 0")
    size = values.get("input_size")
    if not (isinstance(size, list) and len(size) == 3 and all(_side(v) for v in size)):
        raise bad(f"input_size must be [channels, height, width], integers from 1 to {MAX_SIDE}")
    if not len(mean) == len(std) == size[0]:
        raise bad(f"mean has {len(mean)} values and std {len(std)} for {size[0]} input channels")
    resize, crop = _resize_and_crop(values, bad)
    interpolation = values.get("interpolation", "bilinear")
    if interpolation not in INTERPOLATIONS:
        raise bad(f"interpolation must be one of {', '.join(INTERPOLATIONS)}")
    channels = values.get("channels", "RGB" if size[0] == 3 else "L")
    if channels not in ("RGB", "L") or (channels == "RGB") != (size[0] == 3):
        raise bad("channels must be RGB for 3 input channels, L for one")
    pixel_max = values.get("pixel_max", 255.0)
    if not _number(pixel_max) or not 0 < pixel_max <= MAX_SIDE:
        raise bad(f"pixel_max must be a number above 0 and at most {MAX_SIDE}")
    return Preprocess(mean, std, tuple(size), resize, crop, interpolation, channels,  # type: ignore[arg-type]
                      float(pixel_max))


def _resize_and_crop(values: dict[str, Any], bad) -> tuple[int | None, int | None]:
    resize, crop = values.get("resize"), values.get("crop")
    for name, side in (("resize", resize), ("crop", crop)):
        if side is not None and not _side(side):
            raise bad(f"{name} must be null or an integer from 1 to {MAX_SIDE}")
    if crop is not None and resize is not None and crop > resize:
        raise bad(f"crop {crop} is larger than resize {resize}")
    return resize, crop


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _side(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_SIDE


def _numbers(value: Any, name: str, bad) -> tuple[float, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_CHANNELS:
        raise bad(f"{name} must be a list of 1 to {MAX_CHANNELS} numbers, one per channel")
    if not all(_number(v) and abs(v) <= 1e6 for v in value):
        raise bad(f"{name} must hold finite numbers (at most 1e6 in size)")
    return tuple(float(v) for v in value)


# -- where a record lives ---------------------------------------------------------------------

def beside(weights: str | Path) -> Path | None:
    """The record of weights: a run folder's preprocess.json, or the one in the weights' folder
    (its run folder, for a file in RUN/checkpoints/); None when there is none."""
    path = Path(weights)
    folders = [path] if path.is_dir() else [path.parent]
    if not path.is_dir() and path.parent.name == "checkpoints":
        folders.append(path.parent.parent)
    for folder in folders:
        if (folder / FILE_NAME).exists():
            return folder / FILE_NAME
    return None


def of_weights(weights: str | Path) -> Preprocess | None:
    """The checked record found `beside` the weights, else the one a `.safetensors` file holds in
    its metadata (written by resdsl's exports: the file copied alone keeps it), or None."""
    found = beside(weights)
    if found is not None:
        return read(found)
    if Path(weights).suffix.lower() == ".safetensors":
        text = _safetensors_metadata(Path(weights)).get("preprocess")
        if isinstance(text, str):
            try:
                values = json.loads(text, parse_constant=_no_constant)
            except (ValueError, RecursionError) as err:
                raise PreprocessError(f"the preprocessing record in '{clip(str(weights))}' is not JSON: "
                                      f"{clip(str(err))}") from None
            return parse(values, f"{weights}'s metadata")
    return None


def _safetensors_metadata(path: Path) -> dict[str, Any]:
    """A safetensors file's `__metadata__` (strings by name), read by safetensors from the header
    alone. Anything but a readable regular file reads as no metadata (a FIFO is never opened:
    it would wait for a writer; the weights' own reader says what is wrong with the file)."""
    import os
    import stat

    from safetensors import SafetensorError, safe_open

    try:
        if not stat.S_ISREG(os.stat(path).st_mode):
            return {}
        with safe_open(str(path), framework="numpy") as f:
            return dict(f.metadata() or {})
    except (OSError, SafetensorError):
        return {}


def check_fits(record: Preprocess, input_shape, what: str) -> None:
    """A record normalises as many channels as the network takes (E1101)."""
    if record.input_size[0] != input_shape[0]:
        raise PreprocessMismatch(
            f"the preprocessing record normalises {record.input_size[0]} channels but {what} takes "
            f"{input_shape[0]}", hint="use the network (and --input) the weights were trained as")
