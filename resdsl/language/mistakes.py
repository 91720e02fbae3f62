"""Syntax errors whose plain report would mislead: the mistake a user most likely made, said in
the language's terms (an unclosed '{', `b(16) 3`, `conv(3x3, 16)`, `input 3, 32, 32`,
`b(16 x 2`, a misspelt keyword). Each returns a hint, and notes pointing elsewhere."""

from __future__ import annotations

import difflib
import re

from lark import Token

from ..core.errors import Source, Span
from ..netgraph.ops import source_ops

TOP_LEVEL = ("network", "block", "use")


def unclosed_braces(text: str, upto: int) -> list[tuple[int, int]]:
    """(line, column) of each '{' still open at offset `upto` (comments and strings skipped)."""
    stack: list[tuple[int, int]] = []
    line, start, i = 1, 0, 0
    while i < min(upto, len(text)):
        ch = text[i]
        if ch == "\n":
            line, start = line + 1, i + 1
        elif ch == "#":
            end = text.find("\n", i)
            i = len(text) if end < 0 else end
            continue
        elif ch == '"':
            end = text.find('"', i + 1)
            newline = text.find("\n", i + 1)
            if end < 0 or 0 <= newline < end:
                i = len(text) if newline < 0 else newline
                continue
            i = end
        elif ch == "{":
            stack.append((line, i - start + 1))
        elif ch == "}" and stack:
            stack.pop()
        i += 1
    return stack


def explain(tok: Token, expected: set[str], source: Source) -> tuple[str, list] | None:
    """(hint, notes) for a mistake this module knows, else None."""
    if tok.type == "$END":
        return None
    text = source.text
    line_text = text.split("\n")[tok.line - 1]
    before = line_text[: tok.column - 1]
    word = str(tok)

    # an unclosed '{' surfaces at the next definition: `net = ...` or `network m {` inside a body
    opened = unclosed_braces(text, tok.start_pos or 0)
    if opened and (word == "=" or (word in TOP_LEVEL and not before.strip())
                   or (tok.type == "NAME" and not before.strip() and "=" in line_text)):
        line, column = opened[-1]
        note = ("the '{' opened here is never closed", Span(source, line, column, line, column + 1))
        return (f"the '{{' at line {line} is never closed; add '}}' before line {tok.line}", [note])

    # `stage s: b(16) 3`: the repeat count needs its 'x'
    if tok.type == "NUMBER" and re.search(r"\bstage\b.*\)\s*$", before):
        return f"repeat a block with 'x': write '{before.strip().split(':', 1)[-1].strip()} x {word}'", []

    # `conv(3x3, 16)`: ops take their arguments without parentheses
    call = re.match(r"^\s*(?:\w+\s*:\s*)?(\w+)\((.*)$", line_text)
    if call and call.group(1) in source_ops() and "(" in before:
        inside = call.group(2).rsplit(")", 1)[0]
        return f"ops take no parentheses: write '{call.group(1)} {inside.strip()}'", []

    # `input 3, 32, 32`: the size is one word
    if re.search(r"\binput\s*[\d\s,]*$", before) and tok.type in ("NUMBER", "COMMA"):
        dims = re.findall(r"\d+", line_text.split("input", 1)[1])
        shown = "x".join(dims) if len(dims) > 1 else "3x224x224"
        return f"the input size is one word, channels x height x width: write 'input {shown}'", []

    # `b(16 x 2`: the parenthesis is still open where the repeat starts
    if word == "x" and before.count("(") > before.count(")"):
        return "close the parenthesis before 'x': the repeat count comes after the arguments", []

    # `netwrok t {`: a misspelt keyword reads as a name followed by another name
    first = re.match(r"^\s*([A-Za-z_]\w*)\s+$", before)
    if first and tok.type in ("NAME", "BLOCK"):
        close = difflib.get_close_matches(first.group(1), TOP_LEVEL, n=1, cutoff=0.6)
        if close:
            return f"did you mean '{close[0]}'?", []
    return None
