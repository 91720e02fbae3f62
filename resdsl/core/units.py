"""Counts as people write them: 4.09G multiply-adds, 25.6M params, 30M budgets."""

from __future__ import annotations

import re

from .errors import LimitError, Span
from .limits import LIMITS

_SUFFIX = {"K": 10**3, "M": 10**6, "G": 10**9, "T": 10**12}
_SCALES = (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3))
# the language's number literal (grammar NUMBER): digits, optional decimals, exponent, suffix
_QUANTITY = re.compile(r"\d[\d_]*(\.\d+)?([eE][+-]?\d+)?[KMGT]?")


def human(value: float) -> str:
    """1.82G, 25.6M, 270K: the way the paper writes sizes."""
    for unit, scale in _SCALES:
        if abs(value) >= scale:
            return f"{value / scale:#.3g}".rstrip(".") + unit
    return f"{value:g}"


def counted(count: int, noun: str) -> str:
    """'1 weighted layer', '50 weighted layers': a count with its noun in the right number."""
    return f"{count:,} {noun}" if count == 1 else f"{count:,} {noun}s"


def parse_quantity(text: str) -> int:
    """'4G' -> 4_000_000_000, '30M', '2.5e9', '1_000': a count written as in a `budget` line."""
    if not _QUANTITY.fullmatch(text.strip().upper()):
        raise ValueError(f"'{text}' is not a count like 4G, 30M or 2.5e9")
    try:
        return int(parse_number(text.strip().upper(), None))
    except (LimitError, OverflowError):
        raise ValueError(f"'{text}' is too large") from None


def parse_number(text: str, span: Span | None) -> int | float:
    """A number literal of the language (grammar NUMBER): `4G`, `1_000`, `0.5`, `2.5e9`."""
    digits = text.replace("_", "")
    if len(digits) > LIMITS.literal_digits:
        raise LimitError(f"number literal has {len(digits)} characters; the limit is {LIMITS.literal_digits}",
                         span, hint="write large sizes with a suffix: 4G, 30M, 1.5K")
    scale = 1
    if digits[-1] in _SUFFIX:
        scale, digits = _SUFFIX[digits[-1]], digits[:-1]
    if any(c in digits for c in ".eE"):
        value = float(digits) * scale
        return int(value) if value.is_integer() and scale > 1 else value
    return int(digits) * scale
