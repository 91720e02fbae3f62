"""Output lines to text: comments and blank lines put back where they were written, cells lined
up in columns, trailing comments lined up.

A comment written after code stays after the code of its source line; a comment on a line of its
own stays between the same statements, indented like the code after it. A run of blank lines
becomes one; none is kept at the start or end of the file, after a `{` or before a `}`.

Alignment works like elastic tabstops: in consecutive lines of one kind (no blank or comment line
between them), cell j of every line that has a cell after it is padded to the widest such cell
of the run; a last cell is never padded. Trailing comments of consecutive lines start in one
column, two spaces after the longest code."""

from __future__ import annotations

from .statements import INDENT, Line
from .tokens import SourceTokens

BLANK = "blank"


def merge(lines: list[Line], src: SourceTokens) -> list[Line | str]:
    """The code lines with the comments and blank lines of the source between them."""
    anchored: dict[int, Line] = {}
    for line in lines:
        anchored[line.anchor] = line  # the last line of a source line takes its comment
    extras: list[tuple[int, str]] = [(n, BLANK) for n in src.blank_lines]
    for number, comment in src.comments.items():
        if comment.trailing and number in anchored:
            anchored[number].comment = comment.text
        else:
            extras.append((number, comment.text))
    extras.sort()
    out: list[Line | str] = []
    k = 0
    for line in lines:
        while k < len(extras) and extras[k][0] < line.anchor:
            out.append(extras[k][1])
            k += 1
        out.append(line)
    out.extend(text for _, text in extras[k:])
    return _tidy(out)


def _tidy(items: list[Line | str]) -> list[Line | str]:
    """Blank lines: one for a run, none at the edges of the file or of a body."""
    following: list[Line | str | None] = [None] * len(items)  # the next item that is not blank
    ahead: Line | str | None = None
    for n in range(len(items) - 1, -1, -1):
        following[n] = ahead
        if items[n] != BLANK:
            ahead = items[n]
    out: list[Line | str] = []
    for n, item in enumerate(items):
        if item == BLANK:
            after = following[n]
            if not out or out[-1] == BLANK or after is None:
                continue
            if isinstance(out[-1], Line) and out[-1].cells[-1].endswith("{"):
                continue
            if isinstance(after, Line) and after.role in ("close", "cont"):
                continue
        out.append(item)
    return out


def render(items: list[Line | str]) -> str:
    """The final text: aligned cells, comment lines indented like the code after them."""
    codes = _align([x for x in items if isinstance(x, Line)], items)
    texts: list[str] = [""] * len(items)
    following: Line | None = None  # the next line of code: a comment is indented like it
    for n in range(len(items) - 1, -1, -1):
        item = items[n]
        if isinstance(item, Line):
            texts[n], following = codes[id(item)], item
        elif item != BLANK:
            texts[n] = _comment_indent(following) + item
    _align_comments(items, texts)
    return "\n".join(texts) + "\n" if texts else ""


def _comment_indent(following: Line | None) -> str:
    if following is None:
        return ""
    return following.indent + (INDENT if following.role == "close" else "")


def _align(lines: list[Line], items: list[Line | str]) -> dict[int, str]:
    """Each line's code with its cells padded to the widest cell of its column run."""
    position = {id(x): n for n, x in enumerate(items)}
    widths: dict[tuple[int, int], int] = {}
    column = 0
    while True:
        runs = _runs(lines, position, column)
        if not runs:
            break
        for run in runs:
            widest = max(len(line.cells[column]) for line in run)
            for line in run:
                widths[id(line), column] = widest
        column += 1
    out = {}
    for line in lines:
        parts = []
        for j, cell in enumerate(line.cells):
            last = j == len(line.cells) - 1
            gap = line.gaps[j] if j < len(line.gaps) else 1
            parts.append(cell if last else cell.ljust(widths.get((id(line), j), len(cell))) + " " * gap)
        out[id(line)] = line.indent + "".join(parts)
    return out


def _runs(lines: list[Line], position: dict[int, int], column: int) -> list[list[Line]]:
    """Runs of adjacent lines of one kind that all have a cell after `column`."""
    runs: list[list[Line]] = []
    previous: Line | None = None
    for line in lines:
        if line.kind is None or len(line.cells) <= column + 1:
            previous = None
            continue
        joined = previous is not None and position[id(line)] == position[id(previous)] + 1 \
            and previous.kind == line.kind and previous.indent == line.indent
        if joined:
            runs[-1].append(line)
        else:
            runs.append([line])
        previous = line
    return runs


def _align_comments(items: list[Line | str], texts: list[str]) -> None:
    """Trailing comments of adjacent lines start in one column."""
    notes = [item.comment if isinstance(item, Line) else None for item in items]
    n = 0
    while n < len(items):
        if not notes[n]:
            n += 1
            continue
        end = n
        while end < len(items) and notes[end]:
            end += 1
        column = max(len(texts[k]) for k in range(n, end)) + 2
        for k in range(n, end):
            texts[k] = texts[k].ljust(column) + (notes[k] or "")
        n = end
