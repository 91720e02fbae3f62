"""A block's box with its parallel branches side by side (branches.py finds them): a Graphviz
HTML-like label, a table whose rows are the block's lines and whose branch cells stand apart on
white, as Inception's towers are drawn."""

from __future__ import annotations

from html import escape

BRANCH = 'BGCOLOR="white" CELLPADDING="3" VALIGN="TOP"'


def _cell(lines: list[str], span: int = 1, attrs: str = "") -> str:
    text = '<BR/>'.join(escape(line) for line in lines)
    return f'<TD COLSPAN="{span}" {attrs}>{text}</TD>'


def branch_table(head: str, rows: list, extra: list[str]) -> str:
    """The label of a block whose first line is `head`, then `rows` (a line, or branches as
    lists of lines side by side), then `extra` lines (its multiply-adds)."""
    width = max((len(row) for row in rows if isinstance(row, list)), default=1)
    out = [f"<TR>{_cell([head], width)}</TR>"]
    for row in rows:
        if isinstance(row, list):
            out.append("<TR>" + "".join(_cell(branch, 1, BRANCH) for branch in row) + "</TR>")
        else:
            out.append(f"<TR>{_cell([row], width)}</TR>")
    out += [f"<TR>{_cell([line], width)}</TR>" for line in extra]
    return '<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="2" CELLPADDING="0">' + "".join(out) + "</TABLE>>"
