"""The short names a command line or a notebook uses for recipe fields (`--lr`, `epochs=3`)."""

from __future__ import annotations

from typing import Any

from .recipe import RecipeError

SHORT = {
    "lr": "optimizer.lr",
    "momentum": "optimizer.momentum",
    "weight_decay": "optimizer.weight_decay",
    "batch_size": "batch.size",
    "seed": "seed",
    "milestones": "schedule.milestones",
    "eval_every": "eval.every",
    "checkpoint_every": "checkpoint.every",
    "validation": "data.validation",
    "workers": "data.workers",
    "amp": "device.amp",
    "channels_last": "device.channels_last",
    "compile": "device.compile",
    "sync_bn": "device.sync_bn",
    "deterministic": "device.deterministic",
}


def recipe_overrides(fields: dict[str, Any]) -> dict[str, Any]:
    """Dotted recipe keys from short names, `table__key` or `table.key`; None means not given."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if name == "epochs":
            out["stop"] = {"epochs": value}
        elif name == "iterations":
            out["stop"] = {"iterations": value}
        elif name in SHORT:
            out[SHORT[name]] = value
        elif "__" in name or "." in name:
            out[name.replace("__", ".")] = value
        else:
            from ..core.errors import did_you_mean

            raise RecipeError(f"unknown training option '{name}'",
                              hint=did_you_mean(name, [*SHORT, "epochs", "iterations"]) or
                              "give a recipe field as table__key, e.g. optimizer__lr=0.05")
    return out
