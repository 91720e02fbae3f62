"""Training recipes: declarative TOML, checked against a JSON Schema, with defaults and overrides.

A recipe is a file (or a bundled name: `cifar10`, `cifar10-warmup`, `imagenet`, `imagenet-rsb-a3`,
`digits`) of tables: optimizer, batch, schedule, stop, data, augment, eval, checkpoint, device. TOML rather
than a form of the language: a recipe is configuration, not architecture (it has no shapes,
blocks or expressions), Python reads TOML without a dependency (`tomllib`), it takes comments,
and the same JSON Schema machinery that checks the IR checks it. Errors point at the line of
the offending key.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import tomllib

from ..core.errors import ErrorGroup, ResdslError, Source, Span, clip, did_you_mean
from .fields import REPLACES_TABLE, STOP_POINTS, defaults, schema


class RecipeError(ResdslError):
    code = "E930"


class RecipeOptionError(RecipeError):
    code = "E1160"


# choices users ask for that torch does not have, and what to give instead
NOT_IN_TORCH: dict[tuple[str, str], str] = {}


# What a recipe says when it says nothing: filled in before validation, so the resolved recipe
# written into the run folder names every choice.
DEFAULTS: dict[str, Any] = defaults()

BUNDLED = ("cifar10", "cifar10-warmup", "digits", "digits-deep", "imagenet", "imagenet-rsb-a3")


@dataclass
class Recipe:
    """A resolved recipe: every field present, validated. `values` is the nested dict."""

    name: str
    values: dict[str, Any]

    def __getitem__(self, path: str) -> Any:
        node: Any = self.values
        for part in path.split("."):
            node = node[part]
        return node

    def get(self, path: str, default: Any = None) -> Any:
        try:
            return self[path]
        except KeyError:
            return default

    def to_toml(self) -> str:
        return dump_toml(self.values, header=f"resolved recipe (from {self.name})")


def bundled_text(name: str) -> str:
    return resources.files(__package__).joinpath(f"recipes/{name}.toml").read_text()


def load_recipe(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Recipe:
    """A bundled recipe by name, or a .toml/.json file; `overrides` maps dotted keys to values
    (`{"optimizer.lr": 0.05}`), as command-line flags give them."""
    text, shown = _read(str(name_or_path))
    # a file not named as a recipe (/etc/shadow) is never quoted in a diagnostic
    source = Source(shown, text, private=not shown.endswith((".toml", ".json", ">")))
    values = _parse(source)
    merged = _merge(copy.deepcopy(DEFAULTS), values)
    _validate(merged, source, "the recipe file")
    for key, value in (overrides or {}).items():
        if key in REPLACES_TABLE and isinstance(value, dict) and isinstance(merged.get(key), dict):
            value = {**{k: v for k, v in merged[key].items() if k not in STOP_POINTS}, **value}
        set_path(merged, key, value)
    if overrides:
        _validate(merged, None, "the command line")
    _check_meaning(merged, _FileOnly(source, overrides or {}))
    return Recipe(shown, merged)


class _FileOnly(Source):
    """The recipe's source for locating a key, except keys the command line set (they have no line)."""

    def __init__(self, source: Source, overrides: dict[str, Any]):
        super().__init__(source.name, source.text, source.private)
        self.overridden: set[str] = set(overrides)


def read_recipe_text(path: str | Path) -> str:
    """A recipe file's text: a regular file, within RESDSL_MAX_RECIPE_BYTES, UTF-8."""
    from ..core.files import FileProblem, read_limited
    from .limits import TRAIN_LIMITS

    try:
        raw = read_limited(path, TRAIN_LIMITS.recipe_bytes, "RESDSL_MAX_RECIPE_BYTES")
    except FileProblem as err:
        raise RecipeError(f"cannot read recipe '{path}': {err.reason}") from None
    try:
        return raw.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as err:
        raise RecipeError(f"recipe '{path}' is not UTF-8 text (byte {err.start})",
                          hint="a recipe is a TOML (or JSON) text file") from None


def _read(name: str) -> tuple[str, str]:
    path = Path(name)
    if path.suffix in (".toml", ".json") or _exists(path):
        return read_recipe_text(path), str(path)
    if name in BUNDLED:
        return bundled_text(name), f"<recipe {name}>"
    raise RecipeError(f"unknown recipe '{clip(name)}'",
                      hint=did_you_mean(name[:100], BUNDLED) or f"bundled recipes: {', '.join(BUNDLED)}; "
                      "or give a .toml file")


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except OSError:  # a name too long for a file: not a file, then
        return False


def _parse(source: Source) -> dict:
    try:
        if source.name.endswith(".json"):
            values = json.loads(source.text)
            if not isinstance(values, dict):
                raise RecipeError("a JSON recipe is an object", Span(source, 1, 1, 1, 2))
            return values
        return tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as err:
        line, col = _toml_error_position(str(err))
        raise RecipeError(f"not valid TOML: {str(err).split(' (at')[0]}",
                          Span(source, line, col, line, col + 1)) from None
    except json.JSONDecodeError as err:
        raise RecipeError(f"not valid JSON: {err.msg}",
                          Span(source, err.lineno, err.colno, err.lineno, err.colno + 1)) from None


def _toml_error_position(message: str) -> tuple[int, int]:
    found = re.search(r"line (\d+), column (\d+)", message)
    return (int(found[1]), int(found[2])) if found else (1, 1)


def _merge(base: dict, top: dict) -> dict:
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = value
    return base


def set_path(values: dict, dotted: str, value: Any) -> None:
    """Set `optimizer.lr` in a nested dict; unknown tables and keys are errors, with a hint."""
    node = values
    parts = dotted.split(".")
    for part in parts[:-1]:
        if not isinstance(node.get(part), dict):
            if part == "warmup" and node is values.get("schedule"):
                node[part] = {}
            else:
                raise RecipeError(f"the recipe has no table '{clip(part)}' (in '{clip(dotted)}')",
                                  hint=did_you_mean(part, [k for k, v in node.items() if isinstance(v, dict)]))
        node = node[part]
    node[parts[-1]] = value


def _validate(values: dict, source: Source | None, where: str) -> None:
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(values), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    found = []
    for err in errors:
        path = [str(p) for p in err.absolute_path]
        dotted = ".".join(path) or "(top level)"
        message, hint = _explain(err, dotted)
        span = _locate(source, path, err) if source else None
        found.append(RecipeError(clip(message, 300) + ("" if source else f" (from {where})"), span,
                                 clip(hint, 300) if hint else None))
    raise found[0] if len(found) == 1 else ErrorGroup(found)


def _explain(err, dotted: str) -> tuple[str, str | None]:
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        known = list(err.schema.get("properties", {}))
        where = f"table '{dotted}'" if dotted != "(top level)" else "a recipe"
        return (f"{where} has no key '{clip(extra[0])}'",
                did_you_mean(extra[0][:100], known) or f"known keys: {', '.join(known)}")
    if err.validator == "required":
        return f"'{dotted}' needs {err.message.split(' is a required')[0]}", None
    if err.validator == "enum":
        return (f"'{dotted}' is {err.instance!r}, not one of "
                f"{', '.join(repr(v) for v in err.validator_value)}",
                NOT_IN_TORCH.get((dotted, err.instance)) if isinstance(err.instance, str) else None)
    return f"'{dotted}': {err.message}", None


def _locate(source: Source, path: list[str], err) -> Span | None:
    """The line of a key in TOML text: `[table]` headers, then `key =` lines below them. One pass
    over the lines, each looked at a bounded number of times (a 6 KB line costs 6 KB)."""
    if err.validator == "additionalProperties":
        extra = sorted(set(err.instance) - set(err.schema.get("properties", {})))
        path = path + [extra[0]]
    # array items are reported on the line of the array
    keys = [p for p in path if not p.isdigit()]
    overridden: set[str] = getattr(source, "overridden", set())
    if any(".".join(keys[:n]) in overridden for n in range(1, len(keys) + 1)):
        return None  # set on the command line: no line of the file to show
    table: list[str] = []
    in_string: str | None = None  # the delimiter of a multi-line string the line is inside
    for number, line in enumerate(source.text.splitlines(), start=1):
        if in_string is not None:
            if in_string in line:
                in_string = None
            continue
        stripped = line.strip()
        if stripped.startswith("[") and not stripped.startswith("[["):
            name = stripped[1:].partition("]")[0]
            table = [p.strip() for p in name.split(".")]
            if table == keys:
                col = line.index("[") + 1
                return Span(source, number, col, number, col + len(stripped))
            continue
        name, equals, value = line.partition("=")
        if equals and _BARE_KEY.fullmatch(name.strip()):
            full = table + [p.strip().strip('"') for p in name.split(".")]
            if full == keys:
                col = len(name) - len(name.lstrip()) + 1
                return Span(source, number, col, number, col + len(name.strip()))
        for quote in ('"""', "'''"):
            if value.count(quote) % 2 == 1:
                in_string = quote
    return Span(source, 1, 1, 1, 2)


_BARE_KEY = re.compile(r"[\w\-\"\.\s]+")


def _check_meaning(values: dict, source: Source) -> None:
    """What a schema cannot say: one stopping point, increasing milestones, a usable split."""
    stop = values["stop"]
    if len([k for k in stop if k in STOP_POINTS]) != 1:
        raise RecipeError("the recipe's [stop] names exactly one of 'iterations' or 'epochs'",
                          _locate(source, ["stop"], _NoErr()),
                          hint="--iterations N or --epochs N on the command line replaces it")
    milestones = values["schedule"]["milestones"]
    if milestones != sorted(set(milestones)):
        raise RecipeError("schedule.milestones must increase",
                          _locate(source, ["schedule", "milestones"], _NoErr()))
    _check_options(values, source)
    warmup = values["schedule"].get("warmup")
    if warmup is not None and not ({"until_train_error", "iterations"} & set(warmup)):
        raise RecipeError("schedule.warmup ends somewhere: give until_train_error or iterations",
                          _locate(source, ["schedule", "warmup"], _NoErr()))
    validation = values["data"]["validation"]
    if validation >= 1 and not float(validation).is_integer():
        raise RecipeError("data.validation is a count of images or a fraction below 1",
                          _locate(source, ["data", "validation"], _NoErr()))
    _check_integers(values, source)
    aug = values["augment"]
    if ("mean" in aug) != ("std" in aug):
        given = "mean" if "mean" in aug else "std"
        raise RecipeError(f"augment.{given} is given without augment.{'std' if given == 'mean' else 'mean'}: "
                          "normalization takes both", _locate(source, ["augment", given], _NoErr()))
    for key in ("mean", "std"):
        if key in aug and len(aug[key]) != len(aug.get("std" if key == "mean" else "mean", aug[key])):
            raise RecipeError("augment.mean and augment.std have one value per channel each",
                              _locate(source, ["augment", key], _NoErr()))
    if not all(math.isfinite(v) for v in _numbers(values)):
        raise RecipeError("the recipe has a number that is not finite (inf or nan)")


def _check_options(values: dict, source: Source) -> None:
    """The options beyond the paper's recipe, where one needs another (E1160)."""
    warmup = values["schedule"].get("warmup") or {}
    if warmup.get("kind") == "linear" and "iterations" not in warmup:
        raise RecipeOptionError("a linear warm-up rises over schedule.warmup.iterations: give them",
                                _locate(source, ["schedule", "warmup"], _NoErr()),
                                hint="--set schedule.warmup.iterations=500")
    if "bce_threshold" in values["loss"] and values["loss"]["kind"] != "bce":
        raise RecipeOptionError("loss.bce_threshold is binary cross-entropy's: give loss.kind = \"bce\"",
                                _locate(source, ["loss", "bce_threshold"], _NoErr()))
    aug = values["augment"]
    for key in ("rrc_scale", "rrc_ratio"):
        low, high = aug.get(key, (0, 0))
        if low > high:
            raise RecipeOptionError(f"augment.{key} is [low, high]: {low} is above {high}",
                                    _locate(source, ["augment", key], _NoErr()))
    if aug.get("eval_resize", math.inf) < aug.get("eval_crop", aug.get("crop", 0)):
        raise RecipeOptionError(f"augment.eval_resize {aug['eval_resize']} is below the validation crop "
                                f"{aug.get('eval_crop', aug.get('crop'))}: the image is resized, then cropped",
                                _locate(source, ["augment", "eval_resize"], _NoErr()))
    batch = values["batch"]
    if batch["size"] % batch["accumulate"]:
        raise RecipeOptionError(f"batch.accumulate ({batch['accumulate']}) splits each batch of batch.size "
                                f"({batch['size']}) into equal micro-batches: it must divide it",
                                _locate(source, ["batch", "accumulate"], _NoErr()))


def _check_integers(values: dict, source: Source) -> None:
    """A JSON Schema takes 1e3 (1000.0) as an integer; a recipe's counts are written as integers."""
    from .fields import FIELDS

    for f in FIELDS:
        if f.value.get("type") != "integer":
            continue
        node: Any = values
        for part in f.key.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if isinstance(node, float):
            raise RecipeError(f"'{f.key}' is {node!r}: write it as an integer ({int(node)})",
                              _locate(source, f.key.split("."), _NoErr()))


class _NoErr:
    validator = None


def _numbers(node):
    if isinstance(node, dict):
        for v in node.values():
            yield from _numbers(v)
    elif isinstance(node, list):
        for v in node:
            yield from _numbers(v)
    elif isinstance(node, (int, float)) and not isinstance(node, bool):
        yield float(node)


def parse_override_value(text: str) -> Any:
    """A command-line value as TOML reads it (`0.05`, `true`, `[2, 4]`), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def dump_toml(values: dict, header: str = "") -> str:
    """TOML for a recipe's shape: top-level scalars, then tables of scalars and arrays."""
    lines = [f"# {header}"] if header else []
    scalars = {k: v for k, v in values.items() if not isinstance(v, dict)}
    lines += [f"{k} = {_toml_value(v)}" for k, v in scalars.items()]

    def table(prefix: str, body: dict) -> None:
        lines.append("")
        lines.append(f"[{prefix}]")
        lines.extend(f"{k} = {_toml_value(v)}" for k, v in body.items() if not isinstance(v, dict))
        for k, v in body.items():
            if isinstance(v, dict):
                table(f"{prefix}.{k}", v)

    for key, value in values.items():
        if isinstance(value, dict):
            table(key, value)
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")
