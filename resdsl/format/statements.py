"""The parse tree as output lines: one statement per line (statements written on one line with
`;` stay together), bodies indented, and each line cut into the cells that line up with the
lines around it (an instance's `=` and `expect`, a stage's `x`, the statements of a `;` row).

A rule the formatter does not know is laid out like any other statement: its own tokens, spaced
by their kinds, its line breaks where they were written."""

from __future__ import annotations

from dataclasses import dataclass, field

from lark import Tree

from .spacing import Roles, space_before
from .tokens import SourceTokens

INDENT = "    "
OPENERS = {"LPAR": "RPAR", "LSQB": "RSQB"}


@dataclass
class Line:
    """One output line of code, before alignment and comments."""

    indent: str
    cells: list[str]
    anchor: int                     # the source line of its first token
    kind: str | None = None         # lines of one kind, one after another, align their cells
    gaps: list[int] = field(default_factory=list)  # least spaces after each cell but the last
    role: str = "code"              # "open" ends with '{', "close" starts with '}', "cont" continues
    comment: str | None = None


class Layout:
    """Builds the lines of a module from its parse tree."""

    def __init__(self, src: SourceTokens, found: Roles):
        self.src = src
        self.roles = found
        self.lines: list[Line] = []

    # statements
    def statements(self, nodes: list[Tree], indent: str) -> None:
        group: list[Tree] = []
        for node in nodes:
            if group and self._single(group[-1]) and self._single(node) \
                    and self._first_line(node) == self._last_line(group[-1]):
                group.append(node)
                continue
            self._emit(group, indent)
            group = [node]
        self._emit(group, indent)

    def _emit(self, group: list[Tree], indent: str) -> None:
        if not group:
            return
        if len(group) == 1:
            self.statement(group[0], indent)
            return
        texts = [self._text(self._tokens(node)) for node in group]
        cells = [t + ";" for t in texts[:-1]] + texts[-1:]
        self.lines.append(Line(indent, cells, self._first_line(group[0]), _row_kind(group[0]),
                               [2] * (len(cells) - 1)))

    def statement(self, node: Tree, indent: str) -> None:
        body = next((c for c in node.children if isinstance(c, Tree) and c.data == "body"), None)
        if body is None:
            self._plain(node, indent)
            return
        opening = self.src.index(body.meta.start_pos)  # the '{'
        closing = self._tokens(body)[-1]                 # the '}'
        head = range(self.src.index(node.meta.start_pos), opening + 1)
        tail = range(closing, self._tokens(node)[-1] + 1)
        inner = [c for c in body.children if isinstance(c, Tree)]
        first, last = self.src.line(opening), self.src.line(closing)
        if not inner and not self.src.comment_between(first, last):
            self._broken(list(head), indent, "code")  # an empty body: `{}`
            after = self._text(tail[1:])
            self.lines[-1].cells[-1] += "}" + (" " + after if after else "")
            return
        self._broken(list(head), indent, "open")
        self.statements(inner, indent + INDENT)
        self._broken(list(tail), indent, "close")

    def _plain(self, node: Tree, indent: str) -> None:
        tokens = self._tokens(node)
        if not tokens:
            return
        if self.src.line(tokens[-1]) != self.src.line(tokens[0]):
            self._broken(tokens, indent, "code")
            return
        cuts = self._cuts(node, tokens)
        bounds = [tokens[0], *cuts, tokens[-1] + 1]
        cells = [self._text(range(a, b)) for a, b in zip(bounds, bounds[1:])]
        gaps = {"instance": [1, 2], "stage": [1]}.get(node.data, [])
        self.lines.append(Line(indent, cells, self.src.line(tokens[0]),
                               node.data if len(cells) > 1 else None, gaps[:len(cells) - 1]))

    def _cuts(self, node: Tree, tokens: list[int]) -> list[int]:
        """Where a statement's cells begin after the first: an instance's `=` and its first
        `expect` or `budget`; a stage's `x`."""
        kinds = [self.src.tokens[i].type for i in tokens]
        if node.data == "instance" and kinds[1:2] == ["EQUAL"]:
            notes = [c for c in node.children if isinstance(c, Tree) and c.data in ("budget", "expect")]
            cuts = [tokens[1]]
            if notes:
                cuts.append(self.src.index(notes[0].meta.start_pos))
            return cuts
        if node.data == "stage":
            depth = 0
            for i, kind in zip(tokens, kinds):
                depth += (kind in OPENERS) - (kind in OPENERS.values())
                if kind == "X" and depth == 0:
                    return [i]
        return []

    # tokens to text
    def _tokens(self, node: Tree) -> list[int]:
        return list(self.src.between(node.meta.start_pos, node.meta.end_pos))

    def _first_line(self, node: Tree) -> int:
        return self.src.line(self._tokens(node)[0])

    def _last_line(self, node: Tree) -> int:
        return self.src.line(self._tokens(node)[-1])

    def _single(self, node: Tree) -> bool:
        return self._first_line(node) == self._last_line(node) and \
            not any(isinstance(c, Tree) and c.data == "body" for c in node.children)

    def _text(self, indices) -> str:
        out = []
        for n, i in enumerate(indices):
            out.append((space_before(self.src, self.roles, i) if n else "") + self.src.tokens[i].value)
        return "".join(out)

    def _broken(self, indices: list[int], indent: str, role: str) -> None:
        """Tokens that may span several lines: they break where the source broke; a continued
        line lines up after the bracket still open, or is indented once more."""
        text, line_role = "", role
        open_at: list[int] = []  # the columns after the brackets still open
        anchor = self.src.line(indices[0]) if indices else 0
        for n, i in enumerate(indices):
            tok = self.src.tokens[i]
            if n and "\n" in self.src.gap(i):
                self.lines.append(Line(indent, [text], anchor, role=line_role))
                width = open_at[-1] if open_at else len(indent + INDENT)
                indent, text, line_role, anchor = " " * width, "", "cont", self.src.line(i)
            elif n:
                text += space_before(self.src, self.roles, i)
            text += tok.value
            if tok.type in OPENERS:
                open_at.append(len(indent) + len(text))
            elif tok.type in OPENERS.values() and open_at:
                open_at.pop()
        self.lines.append(Line(indent, [text], anchor, role=line_role))


def _row_kind(first: Tree) -> str:
    """Rows of statements line up when they start alike: with a layer of the same op (the
    `conv ...; bn; relu` rows of a block), or with the same kind of statement."""
    op = next((c for c in first.children if isinstance(c, Tree) and c.data == "ident"), None)
    word = op.children[0] if op is not None and first.data == "layer" else ""
    return f"row:{first.data}:{word}"
