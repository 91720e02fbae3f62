"""Mutations for fuzzing the front end (used by tests/test_fuzz.py and scripts/fuzz.py)."""

from __future__ import annotations

from .core.errors import raise_all
from .language.library import build_graph
from .language.loader import load_text
from .language.resolve import check_names

# Characters and tokens that stress the lexer and parser most.
INSERTS = ["{", "}", "(", ")", ";", ",", "=", "#", ":", "[", "]", "\t", "\x00", "é", "\r\n",
           "999999999999", "x", " x 0", "-", "//", "/", "3x3", "\n", "block", "stage", "use"]


def _insert(text: str, position: int, choice: int) -> str:
    at = position % (len(text) + 1)
    return text[:at] + INSERTS[choice % len(INSERTS)] + text[at:]


def _cut(text: str, position: int, choice: int) -> str:
    if not text:
        return text
    at = position % len(text)
    return text[:at] + text[at + 1 + choice % 20:]


def _duplicate_line(text: str, position: int, choice: int) -> str:
    lines = text.split("\n")
    at = position % len(lines)
    return "\n".join(lines[: at + 1] + [lines[at]] + lines[at + 1:])


def _swap_number(text: str, position: int, choice: int) -> str:
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if not digits:
        return text
    at = digits[position % len(digits)]
    return text[:at] + str(choice % 10 ** (choice % 13)) + text[at + 1:]


MUTATIONS = {"insert": _insert, "cut": _cut, "duplicate_line": _duplicate_line,
             "swap_number": _swap_number}


def mutate(text: str, name: str, position: int, choice: int) -> str:
    return MUTATIONS[name](text, position, choice)


def build_all(text: str) -> int:
    """Parse, check names and build every network of `text`; the number of nodes built."""
    scope = load_text(text, "<fuzz>")
    raise_all(check_names(scope))
    nodes = 0
    for name in scope.networks():
        nodes += build_graph(scope, name).number_of_nodes()
    return nodes
