"""A layer's arguments matched to its op's and coerced to the kind each takes (a size, a whole
number, a rate, a word), with the error a user sees at the argument that is wrong."""

from __future__ import annotations

from typing import Any, Callable

from ..core.errors import ArgumentError, ResdslError, Span, given_twice
from ..core.limits import LIMITS, too_wide
from ..netgraph.ops import Arg, Op
from . import ast
from .evaluate import Dims, LinearDecay, OpRef, describe, evaluate, unknown


def argument_span(layer: ast.Layer, op: Op, name: str, value: bool = False) -> Span:
    """Where a layer's argument is written (`name: value`, or just the value), else the layer."""
    for kw in layer.kwargs:
        if kw.name == name:
            return kw.value.span if value else kw.span
    for spec, expr in zip(op.args, layer.args):
        if spec.name == name:
            return expr.span
    return layer.span



def op_arguments(op: Op, layer: ast.Layer, lookup: Callable) -> dict[str, Any]:
    """Match a layer's arguments to the op's, checking each value's kind."""
    writable = [a for a in op.args]
    if len(layer.args) > len(writable):
        raise ArgumentError(f"{op.name} takes at most {len(writable)} positional argument"
                            f"{'s' if len(writable) != 1 else ''} "
                            f"({', '.join(a.name for a in writable) or 'none'})",
                            layer.args[len(writable)].span, code="E308")
    given: dict[str, tuple[Arg, ast.Expr, Span]] = {}
    for spec, expr in zip(writable, layer.args):
        given[spec.name] = (spec, expr, expr.span)
    for kw in layer.kwargs:
        named = op.arg(kw.name)
        if named is None:
            raise unknown(kw.name, kw.span, [a.name for a in op.args], f"argument of {op.name}")
        if kw.name in given:
            raise given_twice(kw.name, kw.span)
        given[kw.name] = (named, kw.value, kw.value.span)
    return {name: _coerce(op, spec.kind, name, expr, span, lookup)
            for name, (spec, expr, span) in given.items()}


def _coerce(op: Op, kind: str, name: str, expr: ast.Expr, span: Span, lookup: Callable) -> Any:
    if kind == "symbol":
        word = _word(expr, lookup)
        if word is None:
            raise ArgumentError(f"{op.name}'s '{name}' is a word such as 'shortcut'", span,
                                code="E320")
        return word
    value = evaluate(expr, lookup)
    where = f"{op.name}'s '{name}'"
    if kind == "bool":
        if not isinstance(value, bool):
            raise ArgumentError(f"{where} is true or false, not {describe(value)}", span, code="E320")
        return value
    if kind == "rate" and isinstance(value, LinearDecay):
        return value  # a rate per layer, set once the network is built (`_scheduled_rates`)
    if kind in ("float", "rate"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentError(f"{where} is a number, not {describe(value)}", span, code="E320")
        return float(value)
    if kind == "size":
        if isinstance(value, Dims) and len(value) == 2:
            return tuple(_whole(v, where, span, name) for v in value)
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return _whole(value, where, span, name)
        raise ArgumentError(f"{where} is a size like 3x3 or a number, not {describe(value)}", span,
                            code="E320")
    if kind in ("int", "int0"):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ArgumentError(f"{where} is a whole number, not {describe(value)}", span, code="E320")
        return _whole(value, where, span, name, floor=0 if kind == "int0" else None)
    raise AssertionError(kind)


def _word(expr: ast.Expr, lookup: Callable) -> str | None:
    """A word argument as written (`act: silu`), or the op an expression gives (`act: act`, the
    block's parameter `act = silu`; `gate: hardsigmoid if hard else sigmoid`); None if neither."""
    if not isinstance(expr, ast.Var):
        value = evaluate(expr, lookup)
        return value.name if isinstance(value, OpRef) else None
    try:
        value = lookup(expr.name, expr.span)
    except ResdslError:  # a word of the op's own (`over: blocks`, a layer's name)
        return expr.name
    return value.name if isinstance(value, OpRef) else expr.name


def _whole(value, where: str, span: Span, name: str, floor: int | None = None) -> int:
    if isinstance(value, float):
        if not value.is_integer():
            raise ArgumentError(f"{where} must be a whole number, not {value:g}", span, code="E321",
                                hint="round it, or use '//' for whole-number division")
        value = int(value)
    if floor is None:
        floor = 0 if name == "padding" else 1
    if value < floor:
        raise ArgumentError(f"{where} must be at least {floor}, not {value}", span, code="E322")
    if value > LIMITS.width:
        raise too_wide(f"{where} is {value}, over the limit of {LIMITS.width}", span)
    return value
