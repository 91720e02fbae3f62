"""What `resdsl fmt` must keep, as checks shared by the suite (tests/test_fmt_properties.py) and
the longer campaign (scripts/fuzz_fmt.py): the program (its syntax tree without positions, and
for a file that builds, every network's graph), every comment, and a fixed point."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from resdsl.core.errors import ResdslError, Span
from resdsl.format import format_text
from resdsl.language.library import build_graph
from resdsl.language.loader import load_text
from resdsl.language.parse import parse

# a comment as a reader sees it: `#` to the end of its line, outside a string
COMMENT = re.compile(r'"[^"\n]*"|(#[^\n]*)')


def program(text: str):
    """The syntax tree of `text` without positions: what the text means, not where it is."""
    return _plain(parse(text).items)


def _plain(value):
    if isinstance(value, Span):
        return None
    if dataclasses.is_dataclass(value):
        return (type(value).__name__,) + tuple(
            _plain(getattr(value, f.name)) for f in dataclasses.fields(value)
            if not isinstance(getattr(value, f.name), Span))
    if isinstance(value, (tuple, list)):
        return tuple(_plain(v) for v in value)
    if isinstance(value, str):
        return str(value)
    return value


def comments(text: str) -> list[str]:
    """Every comment of `text`, in order, found without the formatter's lexer."""
    return [m.group(1).rstrip() for m in COMMENT.finditer(text) if m.group(1)]


def graphs(text: str, folder: Path) -> dict:
    """Every network of `text` built: node ids, ops, arguments, shapes, costs and edges."""
    scope = load_text(text, "<fmt>", folder)
    out = {}
    for name in scope.networks():
        graph = build_graph(scope, name)
        nodes = {n: (d["op"], repr(d["args"]), d["out_shape"], d["macs"], d["params"])
                 for n, d in graph.nodes(data=True)}
        out[name] = (nodes, sorted((a, b, repr(d)) for a, b, d in graph.edges(data=True)))
    return out


def check_formatting(text: str) -> str | None:
    """Format `text` and check what the formatter promises; the formatted text, or None when
    `text` does not parse (then the formatter must say so with resdsl's own error)."""
    try:
        once = format_text(text)
    except ResdslError:
        try:
            parse(text)
        except ResdslError:
            return None
        raise AssertionError("the formatter refused a text the parser accepts") from None
    assert format_text(once) == once, "not idempotent"
    assert program(once) == program(text), "the program changed"
    assert comments(once) == comments(text.replace("\r\n", "\n").replace("\r", "\n")), \
        "a comment was lost or changed"
    assert not re.search(r"[ \t]+$", once, re.M), "trailing whitespace"
    return once


# -- mutations of layout, on top of tests/fuzzing.py's mutations of content ----------------------

def _respace(text: str, position: int, choice: int) -> str:
    """A run of spaces or tabs becomes another (none, one, several, a tab)."""
    runs = [m.span() for m in re.finditer(r"[ \t]+", text)]
    if not runs:
        return text
    start, end = runs[position % len(runs)]
    return text[:start] + ["", " ", "   ", "\t", " \t "][choice % 5] + text[end:]


def _line_comment(text: str, position: int, choice: int) -> str:
    """A comment after the code of a line, or on a line of its own."""
    lines = text.split("\n")
    at = position % len(lines)
    note = ["# note", "#", "#  two  spaces {", '# "quoted" ; x'][choice % 4]
    if choice % 2:
        lines[at] = lines[at] + "  " + note
    else:
        lines.insert(at, " " * (choice % 9) + note)
    return "\n".join(lines)


def _blank_lines(text: str, position: int, choice: int) -> str:
    lines = text.split("\n")
    at = position % (len(lines) + 1)
    return "\n".join(lines[:at] + [" " * (choice % 3)] * (1 + choice % 3) + lines[at:])


def _join_lines(text: str, position: int, choice: int) -> str:
    """Two lines become one, joined with `;` (or a line break becomes `;` and a break)."""
    breaks = [m.start() for m in re.finditer("\n", text)]
    if not breaks:
        return text
    at = breaks[position % len(breaks)]
    return text[:at] + [";", " ; ", ";\n", ";;"][choice % 4] + text[at + 1:]


def _indent(text: str, position: int, choice: int) -> str:
    lines = text.split("\n")
    at = position % len(lines)
    lines[at] = " " * (choice % 13) + lines[at].lstrip()
    return "\n".join(lines)


LAYOUT_MUTATIONS = {"respace": _respace, "line_comment": _line_comment,
                    "blank_lines": _blank_lines, "join_lines": _join_lines, "indent": _indent}
