"""The short names a command line or a notebook uses for recipe fields (`--lr`, `epochs=3`),
as fields.py declares them."""

from __future__ import annotations

from typing import Any

from .fields import BY_SHORT, REPLACES_TABLE
from .recipe import RecipeError


def recipe_overrides(fields: dict[str, Any]) -> dict[str, Any]:
    """Dotted recipe keys from short names, `table__key` or `table.key`; None means not given."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if name in BY_SHORT:
            field = BY_SHORT[name]
            if field.table in REPLACES_TABLE:  # --epochs 3 is the whole of [stop]
                out[field.table] = {field.name: value}
            else:
                out[field.key] = value
        elif "__" in name or "." in name:
            out[name.replace("__", ".")] = value
        else:
            from ..core.errors import did_you_mean
            from .recipe import clip

            raise RecipeError(f"unknown training option '{clip(name)}'",
                              hint=did_you_mean(name[:100], list(BY_SHORT)) or
                              "give a recipe field as table__key, e.g. optimizer__lr=0.05")
    return out
