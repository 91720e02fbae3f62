"""The token pass: the parser ignores comments and whitespace, the formatter needs them.

The source is lexed once more with Lark's own lexer (the parser's terminals, so a token here is
the token the parser saw), keeping what the grammar ignores: the significant tokens are laid out
again by the formatter, the comments are put back on the lines they were written on."""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from lark import Token

from ..language.parse import parser

LAYOUT = frozenset({"WS", "COMMENT", "_NL"})  # what the formatter writes itself


@dataclass(frozen=True)
class Comment:
    line: int
    text: str
    trailing: bool  # written after code on its line


class SourceTokens:
    """The significant tokens of a source (positions kept), its comments and its blank lines."""

    def __init__(self, text: str):
        self.text = text
        everything = list(parser().lex(text + "\n", dont_ignore=True))
        self.tokens = [t for t in everything if t.type not in LAYOUT]
        self.starts = [t.start_pos or 0 for t in self.tokens]
        self.comments: dict[int, Comment] = {}
        for tok in everything:
            if tok.type == "COMMENT":
                before = text[text.rfind("\n", 0, tok.start_pos) + 1:tok.start_pos]
                line = tok.line or 0
                self.comments[line] = Comment(line, tok.value.rstrip(), bool(before.strip()))
        self.comment_lines = sorted(self.comments)
        self.blank_lines = {n for n, line in enumerate(text.split("\n"), 1) if not line.strip()}

    def index(self, position: int) -> int:
        """The index of the first token that starts at or after `position`."""
        return bisect.bisect_left(self.starts, position)

    def between(self, start: int, end: int) -> range:
        """The indices of the tokens that start in [start, end)."""
        return range(self.index(start), self.index(end))

    def gap(self, i: int) -> str:
        """The source text between token i - 1 and token i."""
        return self.text[self.tokens[i - 1].end_pos:self.tokens[i].start_pos] if i else ""

    def line(self, i: int) -> int:
        """The line token i starts on."""
        return self.tokens[i].line or 0

    def token(self, i: int) -> Token | None:
        return self.tokens[i] if 0 <= i < len(self.tokens) else None

    def comment_between(self, first: int, last: int) -> bool:
        """Whether a comment is written on a line strictly between lines `first` and `last`."""
        k = bisect.bisect_right(self.comment_lines, first)
        return k < len(self.comment_lines) and self.comment_lines[k] < last
