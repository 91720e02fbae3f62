"""The one place user text is escaped before it lands in generated code: Python source (the
.py export, the generated forward) and Graphviz DOT. File, network, layer and stage names, titles
and paths can hold quotes, backslashes, newlines and `\"\"\"`; none of them may end a string,
a docstring or a comment early."""

from __future__ import annotations


def python_literal(text: str) -> str:
    """A Python string literal that evaluates to `text` (always double-quoted)."""
    body = text.encode("unicode_escape").decode("ascii").replace('"', '\\"')
    return f'"{body}"'


def python_docstring_text(text: str) -> str:
    """`text` to show inside a triple-quoted docstring or after `#`: backslashes, quotes and
    every character that is not printable written as escapes, so the text stays one line of
    the docstring and cannot close it."""
    return text.encode("unicode_escape").decode("ascii").replace('"', '\\"')


def dot_label(text: str) -> str:
    """A DOT label showing `text` as written: backslashes and entities literal, each line a
    centred line of DOT, control characters shown as escapes (the graphviz package quotes the
    double quotes; wrap the result in `graphviz.nohtml`)."""
    text = "".join(ch if ch == "\n" or ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in text)
    text = text.replace("\\", "\\\\").replace("&", "&amp;").replace("\n", "\\n")
    return text
