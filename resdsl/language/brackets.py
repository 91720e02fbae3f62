"""The brackets of a source, as the parser sees them: those in comments and strings do not count.
One scanner serves the nesting limit and the hints about brackets left open."""

from __future__ import annotations

import re
from collections.abc import Iterator

# a comment runs to the end of its line; a string ends at its closing quote or, unclosed, at the line
_SKIP_OR_BRACKET = re.compile(r'#[^\n]*|"[^"\n]*"?|[()\[\]{}]')


def brackets(text: str, start: int = 0, end: int | None = None) -> Iterator[tuple[int, str]]:
    """(offset, bracket) for each bracket between `start` and `end`, outside comments and strings."""
    for found in _SKIP_OR_BRACKET.finditer(text, start, len(text) if end is None else end):
        bracket = found.group()
        if len(bracket) == 1 and bracket not in '#"':
            yield found.start(), bracket


def too_deep(text: str, limit: int) -> tuple[int, int] | None:
    """The offset of the first bracket nested deeper than `limit`, and how deep it is."""
    depth = 0
    for offset, bracket in brackets(text):
        if bracket in "([{":
            depth += 1
            if depth > limit:
                return offset, depth
        else:
            depth = max(0, depth - 1)
    return None


def still_open(text: str, which: str, start: int = 0, end: int | None = None) -> list[int]:
    """Offsets of the `which` brackets ('{' or '(' or '[') still open at `end`; other kinds of
    bracket are not counted, so a stray ')' does not close a '{'."""
    closer = {"{": "}", "(": ")", "[": "]"}[which]
    stack: list[int] = []
    for offset, bracket in brackets(text, start, end):
        if bracket == which:
            stack.append(offset)
        elif bracket == closer and stack:
            stack.pop()
    return stack


def position(text: str, offset: int) -> tuple[int, int]:
    """The 1-based line and column of `offset`."""
    line_start = text.rfind("\n", 0, offset) + 1
    return text.count("\n", 0, offset) + 1, offset - line_start + 1
