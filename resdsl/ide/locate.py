"""What is written at a position: the syntax nodes around it (outermost first), the word under
it, and where each definition's name is written.

Positions are 1-based lines and columns counted in characters, as the spans of diagnostics are
(`--error-format json`); a position just after a word still touches it (an editor's cursor at the
end of a name)."""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

from ..core.errors import Span
from ..language import ast

Place = dict  # {"file", "line", "column", "end_line", "end_column"}: Span.to_json()'s form


def touches(span: Span | None, line: int, column: int) -> bool:
    """Whether (line, column) lies inside `span` or right after its end."""
    if span is None:
        return False
    return (span.line, span.column) <= (line, column) <= (span.end_line, span.end_column)


def chain_at(module: ast.Module, line: int, column: int) -> list:
    """The syntax nodes whose span holds the position, from the item down to the innermost."""
    for item in reversed(module.items):  # a span may end where the next item starts
        if touches(item.span, line, column):
            found = [item]
            _descend(item, line, column, found)
            return found
    return []


def _descend(node, line: int, column: int, found: list) -> None:
    for child in reversed(list(_children(node))):
        if touches(getattr(child, "span", None), line, column):
            found.append(child)
            _descend(child, line, column, found)
            return


def _children(node):
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        values = value if isinstance(value, tuple) else (value,)
        for v in values:
            if isinstance(v, tuple):  # (name, span) pairs and an instance's call
                yield from (w for w in v if dataclasses.is_dataclass(w))
            elif dataclasses.is_dataclass(v) and not isinstance(v, Span):
                yield v


@dataclass(frozen=True)
class Word:
    """A name (or dotted path) written at a position, and where."""

    text: str
    line: int
    column: int  # of its first character
    end_column: int  # exclusive


_WORD = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")


def word_at(text_line: str, line: int, column: int) -> Word | None:
    """The name touching column `column` (1-based) of `text_line`."""
    for match in _WORD.finditer(text_line):
        if match.start() + 1 <= column <= match.end() + 1:
            return Word(match.group().rstrip(".-"), line, match.start() + 1,
                        match.start() + 1 + len(match.group().rstrip(".-")))
    return None


def name_span(item: ast.BlockDef | ast.NetworkDef | ast.Instance) -> Span:
    """Where a definition's own name is written (`basic` in `block basic(...)`)."""
    span = item.span
    text = span.source.line(span.line)
    keyword = "" if isinstance(item, ast.Instance) else r"(?:block|network)\s+"
    match = re.compile(keyword + re.escape(item.name) + r"\b").search(text, span.column - 1)
    start = (match.end() - len(item.name)) if match else span.column - 1
    return Span(span.source, span.line, start + 1, span.line, start + 1 + len(item.name))


def place(span: Span, file: str | None = None) -> Place:
    """A span as plain data, under `file` when the span's own name is a display name."""
    found = span.to_json()
    if file is not None:
        found["file"] = file
    return found


def range_of(span: Span) -> dict:
    """A span's position without its file: {"line", "column", "end_line", "end_column"}."""
    return {"line": span.line, "column": span.column, "end_line": span.end_line,
            "end_column": span.end_column}


def bodies(module: ast.Module):
    """Every block and network definition of a module."""
    return [item for item in module.items if isinstance(item, (ast.BlockDef, ast.NetworkDef))]
