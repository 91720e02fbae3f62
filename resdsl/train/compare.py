"""Several finished (or stopped) run folders side by side: `resdsl runs compare` and `runs plot`.

A run folder is read through the same readers training uses (metrics.jsonl within its limit,
recipe.toml as a recipe's text), and summary.json within the recipe's byte limit; a folder without
a summary (a killed run) is described from its metric rows alone. Nothing here imports torch."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomllib

from ..core.errors import ResdslError


class RunReadError(ResdslError):
    code = "E1140"


@dataclass
class RunRecord:
    """What one run folder says about its run."""

    name: str
    path: Path
    rows: list[dict[str, Any]]
    summary: dict[str, Any] = field(default_factory=dict)
    recipe: dict[str, Any] = field(default_factory=dict)

    def of(self, split: str) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["split"] == split]


def read_run(path: str | Path) -> RunRecord:
    """A run folder's rows, summary and resolved recipe (E1140 when it is not a run folder)."""
    from .metrics import read_log

    folder = Path(path)
    if not folder.is_dir():
        why = "is not a folder" if folder.exists() else "does not exist"
        raise RunReadError(f"'{path}' is not a run folder: it {why}",
                           hint="give folders that 'resdsl train' wrote (runs/NETWORK-DATA ...)")
    rows = read_log(folder / "metrics.jsonl")
    summary = _json_file(folder / "summary.json")
    recipe = _recipe(folder / "recipe.toml")
    if not rows and not summary:
        raise RunReadError(f"'{path}' holds no run: neither metrics.jsonl rows nor summary.json",
                           hint="give folders that 'resdsl train' wrote (runs/NETWORK-DATA ...)")
    return RunRecord(str(folder), folder, rows, summary, recipe)


def _json_file(path: Path) -> dict[str, Any]:
    from ..core.files import FileProblem, read_limited
    from .limits import TRAIN_LIMITS

    try:
        raw = read_limited(path, TRAIN_LIMITS.recipe_bytes, "RESDSL_MAX_RECIPE_BYTES")
    except FileProblem as err:
        if err.kind == "missing":
            return {}
        raise RunReadError(f"cannot read {path}: {err.reason}") from None
    try:
        found = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise RunReadError(f"{path} is not the JSON summary a run writes") from None
    if not isinstance(found, dict):
        raise RunReadError(f"{path} is not the JSON summary a run writes (not an object)")
    return found


def _recipe(path: Path) -> dict[str, Any]:
    if not path.exists():
        return {}
    from .recipe import read_recipe_text

    try:
        return tomllib.loads(read_recipe_text(path))
    except ResdslError as err:
        raise RunReadError(err.message, hint=err.hint) from None
    except (tomllib.TOMLDecodeError, RecursionError) as err:
        raise RunReadError(f"{path} is not a recipe: {err}") from None


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def _final(rows: list[dict[str, Any]], key: str) -> float | None:
    return _number(rows[-1].get(key)) if rows else None


def _best(rows: list[dict[str, Any]]) -> float | None:
    found = [v for v in (_number(r.get("error")) for r in rows) if v is not None]
    return min(found) if found else None


def _speed(run: RunRecord) -> float | None:
    """The summary's images/s, else the median of the training rows' (a run without a summary)."""
    if (speed := _number(run.summary.get("images_per_s"))) is not None:
        return speed
    found = sorted(v for v in (_number(r.get("images_per_s")) for r in run.of("train")) if v is not None)
    return found[len(found) // 2] if found else None


def figures(run: RunRecord) -> dict[str, Any]:
    """One row of the comparison: final and best errors (fractions), iterations, images/s."""
    train, val = run.of("train"), run.of("val")
    final = run.summary.get("final") if isinstance(run.summary.get("final"), dict) else {}
    iterations = run.summary.get("iterations")
    if type(iterations) is not int:
        iterations = max((r["iteration"] for r in run.rows), default=None)
    best = _number(run.summary.get("best_val_error"))
    return {
        "run": run.name,
        "path": str(run.path),
        "network": run.summary.get("network"),
        "iterations": iterations,
        "finished": run.summary.get("finished") if run.summary else False,
        "final_train_error": _number(final.get("train_error")) if final else _final(train, "error"),
        "final_val_error": _number(final.get("val_error")) if final else _final(val, "error"),
        "best_val_error": best if best is not None else _best(val),
        "best_val_iteration": min(val, key=lambda r: r.get("error", math.inf))["iteration"] if val else None,
        "images_per_s": _speed(run),
    }


def flat(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """A recipe's keys as dotted paths (`optimizer.lr`), the form --set takes."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flat(value, name + "."))
        else:
            out[name] = value
    return out


def recipe_differences(runs: list[RunRecord]) -> dict[str, list[Any]]:
    """Every recipe key whose value is not the same in all runs: key -> one value per run
    (None where a run's recipe lacks the key)."""
    flats = [flat(r.recipe) for r in runs]
    keys = sorted({k for f in flats for k in f})
    return {k: [f.get(k) for f in flats] for k in keys
            if len({json.dumps(f.get(k), sort_keys=True) for f in flats}) > 1}


def compare(runs: list[RunRecord]) -> dict[str, Any]:
    """The comparison as data: a row of figures per run and the recipe keys that differ."""
    return {"runs": [figures(r) for r in runs], "recipe_differences": recipe_differences(runs)}
