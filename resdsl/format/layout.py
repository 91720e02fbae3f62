"""Text to canonical text: parse, lay the tree out as lines, put the comments back, and check
that nothing but layout changed before answering."""

from __future__ import annotations

import contextlib
import gc
from typing import Iterator

from lark import Tree

from ..language.parse import parse
from .lines import merge, render
from .spacing import roles
from .statements import Layout
from .tokens import SourceTokens

SEPARATORS = frozenset({"SEMICOLON"})  # the layout writes these itself, where two statements share a line


class FormatError(RuntimeError):
    """The formatter would have changed more than layout: a bug in it, never the user's (the
    command line reports it as an internal error, exit 3, and writes nothing)."""


def format_text(text: str, path: str | None = None) -> str:
    """`text` in the canonical layout; raises ResdslError (a ParseError with its diagnostic)
    when it does not parse. `path` only names the source in diagnostics."""
    with _no_collection():
        trees: list[Tree] = []
        parse(text, path or "<string>", tree_into=trees)  # the front end's diagnostics and hints
        text, tree = _plain_lines(text), trees[0]
        src = SourceTokens(text)
        layout = Layout(src, roles(tree, src))
        layout.statements([c for c in tree.children if isinstance(c, Tree)], "")
        result = render(merge(layout.lines, src))
        _check_same(src, result, path)
        return result


@contextlib.contextmanager
def _no_collection() -> Iterator[None]:
    """No cycle collection while the trees and tokens are built: they hold no cycles, and the
    collector's passes over them made a 13,000-line file take twice the time per line of a
    small one. Reference counting still frees them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _plain_lines(text: str) -> str:
    """What the parser reads: no byte-order mark, `\\n` line ends, no trailing spaces."""
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _check_same(src: SourceTokens, result: str, path: str | None) -> None:
    """The output has the input's tokens and comments, in order: only layout may differ."""
    out = SourceTokens(result)
    if _meaning(src) != _meaning(out) or _notes(src) != _notes(out):
        raise FormatError(f"the formatter would change {path or 'this text'} beyond its layout "
                          "(a bug in resdsl fmt: the file is left as it is)")


def _meaning(src: SourceTokens) -> list[tuple[str, str]]:
    return [(t.type, t.value) for t in src.tokens if t.type not in SEPARATORS]


def _notes(src: SourceTokens) -> list[str]:
    return [c.text for _, c in sorted(src.comments.items())]
