"""The preprocessing record (core/preprocess.py) as each artifact carries it: constants and a
`preprocess()` function in the `.py` source, metadata in `.onnx` and `.pt2`, a `preprocess.json`
beside `.safetensors`. A module carries its record as `module.preprocess` (set by `attach`: by
`resdsl.load(..., weights=RUN)` and `resdsl compile --load-weights RUN`)."""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ..core.preprocess import FILE_NAME, Preprocess

PT2_FILE = FILE_NAME                         # the extra file of a .pt2 (torch.export.save)


def attach(module: Any, record: Preprocess | None) -> None:
    """Give a module its record, timm's way (`pretrained_cfg`) and torchvision's (`transforms()`)."""
    module.preprocess = record
    module.pretrained_cfg = record.pretrained_cfg if record is not None else {}
    if record is not None:
        module.transforms = functools.partial(Transform, record)  # a partial pickles with the module


@dataclass(frozen=True)
class Transform:
    """Raw images to network inputs, as the evaluation path prepares them (no torchvision):

        x = model.transforms()(image)   # a PIL image, or a tensor of raw pixels (C,H,W or N,C,H,W)

    A PIL image is resized (shorter side `resize`), centre-cropped (`crop`) and converted to
    the record's channels; a tensor is taken as already at size. Pixels are divided by
    `pixel_max` and normalised with `mean` and `std`."""

    record: Preprocess

    def __call__(self, image: Any) -> torch.Tensor:
        record = self.record
        x = image if isinstance(image, torch.Tensor) else self._pixels(image)
        x = x.float() / record.pixel_max
        shape = (-1, 1, 1) if x.dim() == 3 else (1, -1, 1, 1)
        mean = torch.tensor(record.mean, device=x.device).view(shape)
        std = torch.tensor(record.std, device=x.device).view(shape)
        return (x - mean) / std

    def _pixels(self, image: Any) -> torch.Tensor:
        from PIL import Image

        record = self.record
        img = image.convert(record.channels)
        if record.resize:
            w, h = img.size
            scale = record.resize / min(w, h)
            img = img.resize((max(record.resize, round(w * scale)), max(record.resize, round(h * scale))),
                             Image.Resampling.BILINEAR)
        if record.crop:
            left, top = (img.width - record.crop) // 2, (img.height - record.crop) // 2
            img = img.crop((left, top, left + record.crop, top + record.crop))
        depth = len(img.getbands())
        data = torch.frombuffer(bytearray(img.tobytes()), dtype=torch.uint8)
        return data.view(img.height, img.width, depth).permute(2, 0, 1)


def record_of(module: Any) -> Preprocess | None:
    found = getattr(module, "preprocess", None)
    return found if isinstance(found, Preprocess) else None


def _number(value: float) -> str:
    """A float as Python source: repr of a checked finite number (never user text)."""
    if not math.isfinite(value):
        raise ValueError(f"{value!r} is not a finite number")
    return repr(float(value))


def _numbers(values) -> str:
    return "(" + ", ".join(_number(v) for v in values) + ("," if len(values) == 1 else "") + ")"


def _side(value: int | None) -> str:
    return "None" if value is None else repr(int(value))


def python_constants(record: Preprocess | None) -> list[str]:
    """The lines of the `.py` export that say how inputs were prepared in training (nothing when
    the weights came without a record). Every value is a number resdsl checked, written with repr."""
    if record is None:
        return []
    channels = '"RGB"' if record.channels == "RGB" else '"L"'
    return [
        "# How inputs were prepared when the weights were trained (resdsl's preprocess.json):",
        "# resize the shorter side to RESIZE (bilinear), cut the centre CROP x CROP square, divide",
        "# the raw pixels by PIXEL_MAX, then normalise each channel with MEAN and STD.",
        f"MEAN = {_numbers(record.mean)}",
        f"STD = {_numbers(record.std)}",
        f"PIXEL_MAX = {_number(record.pixel_max)}",
        f"INPUT_SIZE = {tuple(int(v) for v in record.input_size)!r}",
        f"RESIZE = {_side(record.resize)}",
        f"CROP = {_side(record.crop)}",
        f"CHANNELS = {channels}",
        "",
        "",
        "def preprocess(x: torch.Tensor) -> torch.Tensor:",
        '    """Raw pixels (C, H, W or N, C, H, W; values 0..PIXEL_MAX, already resized and cropped as',
        '    RESIZE and CROP say) as the network\'s input: (x / PIXEL_MAX - MEAN) / STD per channel."""',
        "    shape = (-1, 1, 1) if x.dim() == 3 else (1, -1, 1, 1)",
        "    mean = torch.tensor(MEAN, device=x.device).view(shape)",
        "    std = torch.tensor(STD, device=x.device).view(shape)",
        "    return (x.float() / PIXEL_MAX - mean) / std",
        "",
    ]


def add_onnx_metadata(path: str | Path, record: Preprocess | None) -> None:
    """The record as the model's metadata_props: `preprocess` (the JSON record), `mean` and `std`
    (JSON lists), read with `onnx.load(path).metadata_props`."""
    if record is None:
        return
    import onnx

    model = onnx.load(str(path))
    values = {"preprocess": json.dumps(record.to_json()), "mean": json.dumps(list(record.mean)),
              "std": json.dumps(list(record.std))}
    kept = [p for p in model.metadata_props if p.key not in values]
    del model.metadata_props[:]
    model.metadata_props.extend(kept)
    for key, value in values.items():
        model.metadata_props.add(key=key, value=value)
    onnx.save(model, str(path))


def pt2_extra_files(record: Preprocess | None) -> dict[str, str]:
    """The `extra_files` of torch.export.save: preprocess.json, read back with
    `torch.export.load(path, extra_files={"preprocess.json": ""})`."""
    return {PT2_FILE: record.text()} if record is not None else {}
