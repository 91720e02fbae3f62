"""The options of an `auxiliary` statement: `auxiliary aux1.fc2, aux2.fc2, weight: 0.3` names the
side classifiers a network returns in training only, and the weight each one's loss gets in the
training loss (GoogLeNet's paper weighs each of its two by 0.3)."""

from __future__ import annotations

from typing import Callable

from ..core.errors import ArgumentError, ResdslError
from . import ast
from .evaluate import describe, evaluate, option_errors

OPTIONS = ("weight",)


def check_option_names(stmt: ast.AuxiliaryDecl) -> list[ResdslError]:
    """Unknown or repeated options, as errors (the static pass reports them all at once)."""
    return option_errors(stmt.options, OPTIONS, "auxiliary")


def loss_weight(stmt: ast.AuxiliaryDecl, lookup: Callable) -> float | None:
    """The weight of the heads' losses the statement gives (None: it gives none)."""
    errors = check_option_names(stmt)
    if errors:
        raise errors[0]
    for kw in stmt.options:
        value = evaluate(kw.value, lookup)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
            raise ArgumentError(f"an auxiliary head's loss 'weight' is a number of at least 0, "
                                f"not {describe(value)}", kw.value.span, code="E320",
                                hint="for example 'weight: 0.3' (GoogLeNet's) or 'weight: 0.4' (Inception-v3's)")
        return float(value)
    return None
