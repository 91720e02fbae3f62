"""A Pygments lexer for .rdsl, registered as `rdsl` (pyproject's `pygments.lexers` entry point):
`pygmentize -l rdsl FILE`, Sphinx and MkDocs code blocks, Jupyter."""

from __future__ import annotations

import re

from pygments.lexer import RegexLexer, bygroups, words
from pygments.token import Comment, Keyword, Name, Number, Operator, Punctuation, String, Whitespace

from . import words as vocabulary

NAME = r"[A-Za-z_][A-Za-z0-9_]*"
# a label or a keyword argument: a dotted path of names and numbers just before a ':'
PATH = r"[A-Za-z0-9_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*(?=[ \t]*:)"


def _rules() -> dict:
    definition = "|".join(vocabulary.declarations())
    return {"root": [
        (r"[ \t\f\r\n]+", Whitespace),
        (vocabulary.terminal("COMMENT"), Comment.Single),
        (vocabulary.terminal("STRING"), String.Double),
        (rf"\b({definition})([ \t]+)({NAME})", bygroups(Keyword.Declaration, Whitespace, Name.Function)),
        (vocabulary.terminal("DIMS"), Number),
        (vocabulary.terminal("NUMBER"), Number),
        (PATH, Name.Label),
        (words(vocabulary.keywords(), prefix=r"\b", suffix=r"\b(?![.\w])"), Keyword),
        (words(vocabulary.ops(), prefix=r"\b", suffix=r"\b(?![.\w])"), Name.Builtin),
        (rf"{NAME}(?:\.[A-Za-z0-9_][A-Za-z0-9_-]*)*", Name),
        (vocabulary.terminal("QUOTED"), Name),  # a quoted path: `0`
        (words(vocabulary.operators()), Operator),
        (r"[{}()\[\],;:]", Punctuation),
    ]}


class RdslLexer(RegexLexer):
    """resdsl: residual networks, declared."""

    name = "resdsl"
    aliases = ["rdsl", "resdsl"]
    filenames = ["*.rdsl"]
    mimetypes = ["text/x-rdsl"]
    flags = re.MULTILINE
    tokens = _rules()
