"""The functions of numbers an expression may call: `max(32, w // 2)`, `round(w * 0.75)`,
`make_divisible(w * 1.2, 8)` (the channel rounding of MobileNet and EfficientNet), `ceil(3 * 1.4)`.
They take numbers and give numbers; their names are not blocks."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from ..core.errors import ArgumentError, Span
from ..netgraph.opkit import make_divisible


@dataclass(frozen=True)
class Function:
    params: tuple[str, ...]  # in order; those after `required` may be left out
    required: int
    compute: Callable[..., Any]
    doc: str
    variadic: bool = False  # max and min: two or more numbers


FUNCTIONS: dict[str, Function] = {
    "max": Function(("a", "b"), 2, max, "the largest of two or more numbers", variadic=True),
    "min": Function(("a", "b"), 2, min, "the smallest of two or more numbers", variadic=True),
    # Python's and torch's rule: halves go to the even neighbour (round(2.5) is 2)
    "round": Function(("x",), 1, round, "the nearest whole number (halves to the even one)"),
    "floor": Function(("x",), 1, math.floor, "the whole number at or below"),
    "ceil": Function(("x",), 1, math.ceil, "the whole number at or above"),
    "make_divisible": Function(
        ("value", "divisor", "min_value"), 2,
        lambda value, divisor, min_value=None: make_divisible(value, divisor, min_value),
        "value rounded to the nearest multiple of divisor, at least min_value (default: the "
        "divisor), never more than 10% below value (torchvision's and timm's channel rounding)"),
}


def call_function(name: str, args: list[tuple[Any, Span]], kwargs: list[tuple[str, Any, Span]],
                  span: Span, describe: Callable[[Any], str]) -> Any:
    """`name(args)` of numbers, its arguments already evaluated (value, where written)."""
    function = FUNCTIONS[name]
    usage = f"{name}({', '.join(function.params)}{', ...' if function.variadic else ''})"
    bound: dict[str, Any] = {}
    if len(args) > len(function.params) and not function.variadic:
        raise ArgumentError(f"{name} takes at most {len(function.params)} numbers: {usage}",
                            args[len(function.params)][1], code="E308")
    for (value, where), param in zip(args, function.params + ("",) * len(args)):
        bound[param or f"#{len(bound)}"] = _number(name, value, where, describe)
    for key, value, where in kwargs:
        if key not in function.params or function.variadic:
            raise ArgumentError(f"{name} has no argument '{key}': {usage}", where, code="E320")
        if key in bound:
            raise ArgumentError(f"{name}'s '{key}' is given twice", where, code="E309")
        bound[key] = _number(name, value, where, describe)
    missing = [p for p in function.params[:function.required] if p not in bound]
    if missing:
        raise ArgumentError(f"{name} needs {function.required} number"
                            f"{'s' if function.required > 1 else ''}: {usage}", span, code="E304")
    return function.compute(*bound.values()) if function.variadic else \
        function.compute(*(bound[p] for p in function.params if p in bound))


def _number(name: str, value: Any, where: Span, describe: Callable[[Any], str]) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{name} takes numbers, not {describe(value)}", where, code="E301")
    return value
