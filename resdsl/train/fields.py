"""A recipe's fields, each declared once: its dotted key, the JSON Schema of its value, its
default, its help and, where it has one, its short name (`--lr` on the command line, `lr=` in
`resdsl.train(...)`). The recipe's JSON Schema, its defaults and the command-line options are
all derived from this table; `recipes/recipe-v1.json` is the schema as published, and a test
holds it equal to `schema()`.

No torch and no click here: `resdsl train --help` and recipe checks stay light.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

NO_DEFAULT = object()


@dataclass(frozen=True)
class Field:
    key: str                                      # dotted: optimizer.lr
    value: dict[str, Any]                         # the JSON Schema of the value
    default: Any = NO_DEFAULT                     # filled in when the recipe says nothing
    help: str = ""
    short: str | None = None                      # --batch-size and batch_size=
    required: bool = False                        # within its table
    extra: dict[str, Any] = field(default_factory=dict)   # schema keywords kept off the help

    @property
    def table(self) -> str:
        return self.key.rpartition(".")[0]

    @property
    def name(self) -> str:
        return self.key.rpartition(".")[2]


def _int(minimum: int) -> dict[str, Any]:
    return {"type": "integer", "minimum": minimum, "maximum": 2 ** 63 - 1}  # a seed fits torch's int64


def _enum(*choices: str) -> dict[str, Any]:
    return {"enum": list(choices)}


BOOL = {"type": "boolean"}

# Tables a recipe must have (after the defaults are filled in) and what each holds.
TABLES = {
    "optimizer": "SGD and its hyper-parameters",
    "batch": "images per step",
    "schedule": "the learning rate over the run",
    "schedule.warmup": "a lower learning rate at the start",
    "stop": "when training ends: exactly one of iterations or epochs, and early stopping",
    "data": "how the data is split and fed",
    "augment": "training-time augmentation and normalization",
    "augment.randaugment": "RandAugment (Cubuk et al. 2019): num_ops random image operations per image",
    "eval": "validation during training",
    "checkpoint": "resumable state",
    "loss": "the training loss",
    "init": "how the weights start",
    "ema": "an exponential moving average of the weights",
    "device": "where and how the arithmetic runs",
}
REQUIRED_TABLES = ("optimizer", "batch", "schedule", "stop")

FIELDS: tuple[Field, ...] = (
    Field("recipe", {"const": 1}, help="format version", required=True),
    Field("description", {"type": "string"}, help="what the recipe is for"),
    Field("seed", _int(0), 0, "the initial weights, the data order and augmentation", short="seed"),

    Field("optimizer.kind", _enum("sgd", "nesterov", "adamw", "lamb"), "sgd",
          "sgd (the paper's), nesterov (SGD with Nesterov momentum), adamw (torch's AdamW) or lamb "
          "(You et al. 2019: Adam steps scaled per tensor by the weight's norm)"),
    Field("optimizer.lr", {"type": "number", "exclusiveMinimum": 0}, help="learning rate", short="lr",
          required=True),
    Field("optimizer.momentum", {"type": "number", "minimum": 0, "exclusiveMaximum": 1}, 0.9,
          "SGD momentum", short="momentum"),
    Field("optimizer.nesterov", BOOL, False, "Nesterov momentum"),
    Field("optimizer.weight_decay", {"type": "number", "minimum": 0}, 1e-4, "L2 weight decay",
          short="weight_decay"),
    Field("optimizer.decay_norm_and_bias", BOOL, True, "whether BN scales/shifts and biases get weight decay"),
    Field("optimizer.betas", {"type": "array", "items": {"type": "number", "minimum": 0, "exclusiveMaximum": 1}},
          [0.9, 0.999], "adamw and lamb: the running averages' coefficients", extra={"minItems": 2, "maxItems": 2}),
    Field("optimizer.clip_grad_norm", {"type": "number", "minimum": 0}, 0,
          "clip the gradients' global L2 norm to this before each update (0: no clipping)"),
    Field("optimizer.layer_decay", {"type": "number", "exclusiveMinimum": 0, "maximum": 1}, 1.0,
          "each stage's learning rate times this per stage above it up to the head (the stem's the "
          "lowest; 1: the same rate everywhere)"),

    Field("batch.size", _int(1), help="global batch, over all processes", short="batch_size", required=True),
    Field("batch.accumulate", _int(1), 1,
          "split each batch into this many micro-batches, their gradients summed (the same update, less memory)"),
    Field("batch.eval_size", _int(1), help="validation batch (default: the larger of batch.size and 256)"),

    Field("schedule.kind", _enum("steps", "plateau", "constant", "cosine", "onecycle"), "steps",
          "how the learning rate falls: steps, plateau, constant, cosine (to 0 at the stop) or onecycle "
          "(torch's OneCycleLR: up from lr/25 over 30% of the run, then down to lr/25e4)"),
    Field("schedule.min_lr", {"type": "number", "minimum": 0}, 0.0,
          "cosine: the rate it ends at (torch's eta_min)"),
    Field("schedule.milestones", {"type": "array", "items": _int(1)}, [],
          "steps: where the learning rate is multiplied by factor, e.g. [100, 150]", short="milestones"),
    Field("schedule.unit", _enum("iterations", "epochs"), "iterations", "the unit of milestones"),
    Field("schedule.factor", {"type": "number", "exclusiveMinimum": 0, "maximum": 1}, 0.1,
          "what the learning rate is multiplied by at each drop"),
    Field("schedule.patience", _int(1), 5, "plateau: validations without improvement before the lr drops"),
    Field("schedule.warmup.kind", _enum("constant", "linear"),
          help="constant (when left out): warmup.lr until the warm-up ends (the paper's); "
          "linear: from warmup.lr up to optimizer.lr over warmup.iterations"),
    Field("schedule.warmup.lr", {"type": "number", "exclusiveMinimum": 0}, help="the warm-up's learning rate",
          required=True),
    Field("schedule.warmup.until_train_error", {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
          help="the warm-up ends when the training error (a moving average) is below this"),
    Field("schedule.warmup.iterations", _int(1), help="the warm-up ends after this many iterations"),

    Field("stop.iterations", _int(1), help="stop after N iterations, in place of the recipe's [stop]",
          short="iterations"),
    Field("stop.epochs", _int(1), help="stop after N epochs, in place of the recipe's [stop]", short="epochs"),
    Field("stop.patience", _int(1), help="stop early after this many validations in a row without a lower error"),

    Field("data.validation", {"type": "number", "minimum": 0}, 0,
          "held out of the training images: a count, or a fraction below 1", short="validation"),
    Field("data.split_seed", _int(0), 0, "which images the validation split holds"),
    Field("data.input", _enum("network", "data"), "network",
          "network: the data must fit the network's input; data: build the network for the data"),
    Field("data.workers", _int(0), 0, "DataLoader workers for folder data", short="workers"),
    Field("data.bad_images", _enum("refuse", "skip"), "refuse",
          "an image file that cannot be decoded: refuse (an error naming it) or skip (counted in the summary)"),
    Field("data.on_device", _enum("auto", "yes", "no"), "auto", "keep in-memory images on the device"),

    Field("augment.pad", _int(0), 0, "pixels of padding before the random crop"),
    Field("augment.flip", BOOL, False, "random horizontal flips"),
    Field("augment.scale", {"type": "array", "items": _int(1)}, help="shorter side at random in [low, high]",
          extra={"minItems": 2, "maxItems": 2}),
    Field("augment.crop", _int(1), help="the square crop's side (folder data)"),
    Field("augment.crop_kind", _enum("scale", "random_resized"), "scale",
          "folder data's training crop: scale (the paper's: shorter side in augment.scale, a random crop) "
          "or random_resized (Szegedy et al.'s: a random area share and ratio, resized to augment.crop)"),
    Field("augment.rrc_scale", {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0, "maximum": 1}},
          help="random_resized: the box's share of the image's area, at random in [low, high] "
               "(torchvision's default [0.08, 1])", extra={"minItems": 2, "maxItems": 2}),
    Field("augment.rrc_ratio", {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}},
          help="random_resized: the box's width/height, log-uniform in [low, high] (default [3/4, 4/3])",
          extra={"minItems": 2, "maxItems": 2}),
    Field("augment.eval_resize", _int(1), help="shorter side before validation's centre crop"),
    Field("augment.eval_crop", _int(1),
          help="validation's centre crop's side (folder data; default augment.crop): timm's crop_pct is "
               "eval_crop / eval_resize"),
    Field("augment.lighting", {"type": "number", "minimum": 0}, 0.0, "AlexNet's PCA lighting noise"),
    Field("augment.mean", {"type": "array", "items": {"type": "number"}}, help="per-channel mean",
          extra={"minItems": 1}),
    Field("augment.std", {"type": "array", "items": {"type": "number", "exclusiveMinimum": 0}},
          help="per-channel standard deviation", extra={"minItems": 1}),

    Field("augment.mixup", {"type": "number", "minimum": 0}, 0.0,
          "mixup's alpha: each batch blended with itself reversed, by a Beta(alpha, alpha) share (0: off)"),
    Field("augment.cutmix", {"type": "number", "minimum": 0}, 0.0,
          "CutMix's alpha: a box of the reversed batch pasted in (0: off; with mixup, one of the two per batch)"),
    Field("augment.erasing", {"type": "number", "minimum": 0, "maximum": 1}, 0.0,
          "random erasing's probability: a rectangle of an image replaced by random pixels (0: off)"),
    Field("augment.randaugment.num_ops", _int(0), 0, "operations applied to each image (0: no RandAugment)"),
    Field("augment.randaugment.magnitude", {"type": "number", "minimum": 0, "maximum": 10}, 9,
          "their strength, 0 to 10 (10: AutoAugment's largest)"),
    Field("augment.randaugment.magnitude_std", {"type": "number", "minimum": 0}, 0.0,
          "the magnitude drawn per operation from a normal of this deviation (timm's mstd; 0: fixed)"),

    Field("init.zero_init_residual", BOOL, False,
          "start the last norm of each residual branch at zero (each block starts as its shortcut)"),
    Field("loss.kind", _enum("ce", "bce"), "ce",
          "ce: cross-entropy (the paper's); bce: binary cross-entropy, one-vs-all per class"),
    Field("loss.label_smoothing", {"type": "number", "minimum": 0, "exclusiveMaximum": 1}, 0.0,
          "the targets' label smoothing (torch's CrossEntropyLoss argument)"),
    Field("loss.auxiliary_weight", {"type": "number", "minimum": 0},
          help="each auxiliary head's loss weight in training, over the network's `auxiliary ..., weight:`"),
    Field("loss.bce_threshold", {"type": "number", "minimum": 0, "exclusiveMaximum": 1},
          help="bce: a class's (mixed, smoothed) target above this counts as 1, else 0 (timm's target threshold)"),
    Field("ema.decay", {"type": "number", "minimum": 0, "exclusiveMaximum": 1}, 0.0,
          "a model EMA with this decay, updated every iteration, validated and saved as ema.safetensors "
          "(0: none)"),

    Field("eval.every", _int(1), 1000, "iterations between validations", short="eval_every"),
    Field("checkpoint.every", _int(1), 1000, "iterations between checkpoints", short="checkpoint_every"),
    Field("checkpoint.keep", _int(1), 1, "how many of the latest checkpoint files stay in checkpoints/"),

    Field("device.amp", _enum("none", "bf16", "fp16"), "none", "autocast precision", short="amp"),
    Field("device.channels_last", BOOL, False, "NHWC memory format", short="channels_last"),
    Field("device.compile", BOOL, False, "compile the model with torch.compile", short="compile"),
    Field("device.sync_bn", BOOL, False, "synchronized BN over processes", short="sync_bn"),
    Field("device.deterministic", BOOL, True, "deterministic algorithms (bitwise resume on a CPU)",
          short="deterministic"),
)

BY_SHORT = {f.short: f for f in FIELDS if f.short}
REPLACES_TABLE = ("stop",)  # a short name of these tables' fields replaces the whole table ...
STOP_POINTS = ("iterations", "epochs")  # ... of its stopping point (stop.patience stays)


def defaults() -> dict[str, Any]:
    """The nested values a recipe has when it says nothing."""
    out: dict[str, Any] = {}
    for f in FIELDS:
        if f.default is not NO_DEFAULT:
            node = out
            for part in f.key.split(".")[:-1]:
                node = node.setdefault(part, {})
            node[f.name] = json.loads(json.dumps(f.default))  # a fresh copy of lists
    return out


def schema() -> dict[str, Any]:
    """The recipe's JSON Schema (draft 2020-12): every field's value, default and help."""
    root = {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": "https://resdsl.invalid/schema/recipe-v1.json",
            "title": "resdsl training recipe, version 1", **_object(), "required": ["recipe", *REQUIRED_TABLES]}
    for table, description in TABLES.items():
        _node(root, table)["description"] = description
    for f in FIELDS:
        node = _node(root, f.table)
        default = {} if f.default is NO_DEFAULT else {"default": f.default}
        node["properties"][f.name] = {**f.value, **f.extra, **default, "description": f.help}
        if f.required and f.table:
            node.setdefault("required", []).append(f.name)
    return root


def _object() -> dict[str, Any]:
    return {"type": "object", "additionalProperties": False, "properties": {}}


def _node(root: dict, table: str) -> dict[str, Any]:
    """The schema of a (nested) table, made on first use."""
    node = root
    for part in filter(None, table.split(".")):
        node = node["properties"].setdefault(part, _object())
    return node


if __name__ == "__main__":  # python -m resdsl.train.fields > resdsl/train/recipes/recipe-v1.json
    print(json.dumps(schema(), indent=2))
