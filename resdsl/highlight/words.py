"""The vocabulary highlighters colour, read from where the language defines it: keywords and
the number and size literals from the Lark grammar, op names from the op table. The Pygments
lexer is built from it at import; the TextMate grammar is generated from it
(`python -m resdsl.highlight.textmate`) and a test checks the file is up to date."""

from __future__ import annotations

import functools

from lark import Lark


@functools.cache
def _grammar() -> Lark:
    from ..language.parse import parser

    return parser()


@functools.cache
def keywords() -> tuple[str, ...]:
    """The grammar's words (`network`, `stage`, `expect`, `x`, ...)."""
    from ..language.syntax_hints import keywords as grammar_words

    return tuple(sorted(grammar_words(_grammar())))


@functools.cache
def declarations() -> tuple[str, ...]:
    """The keywords that start a definition and are followed by its name."""
    from ..language.syntax_hints import top_level_keywords

    return tuple(w for w in top_level_keywords(_grammar()) if w != "use")


@functools.cache
def ops() -> tuple[str, ...]:
    """Every op and every alias of one (`conv`, `conv2d`, `bn`, ...)."""
    from ..netgraph.ops import ALIASES, OPS

    return tuple(sorted({*OPS, *ALIASES}))


PUNCTUATION = frozenset("{}()[],;:")


@functools.cache
def operators() -> tuple[str, ...]:
    """The grammar's operator symbols (`+`, `//`, `<=`, `=`, `%`, ...), longest first."""
    symbols = {t.pattern.value for t in _grammar().terminals if t.pattern.type == "str"}
    found = {s for s in symbols if s not in PUNCTUATION and not s[0].isalnum() and s[0] != "_"}
    return tuple(sorted(found, key=lambda s: (-len(s), s)))


def terminal(name: str) -> str:
    """A terminal's regular expression, as the grammar writes it (`NUMBER`, `DIMS`, `STRING`)."""
    return next(t.pattern.value for t in _grammar().terminals if t.name == name)
