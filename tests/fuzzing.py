"""Mutations for fuzzing the front end and the IR reader (used by tests/test_fuzz.py and
scripts/fuzz.py).

Source mutations edit a bundled .rdsl text; IR mutations edit the JSON that
`resdsl compile -o x.json` writes. The oracle for both: the input builds, or raises resdsl's own
error (for the IR: every error an E8xx); anything else is a bug."""

from __future__ import annotations

import copy
import json

from resdsl.core.errors import ResdslError, raise_all
from resdsl.language.library import build_graph
from resdsl.language.loader import load_text
from resdsl.language.resolve import check_names

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


def _big_integer(text: str, position: int, choice: int) -> str:
    """A number grown into arithmetic on 30-digit integers, floats and division."""
    digits = [i for i, ch in enumerate(text) if ch.isdigit()]
    if not digits:
        return text
    at = digits[position % len(digits)]
    big = "9" * (20 + choice % 11)
    tail = [f" * {big}", f" * {big} * {big} / 3.0", f" / 0.{big}", f" - {big} * {big}",
            f" // {big}", f" * {big}.5e3"][choice % 6]
    return text[:at + 1] + tail + text[at + 1:]


def _long_use(text: str, position: int, choice: int) -> str:
    """A `use` of a long, odd name: over 255 bytes, '..', absolute, a device."""
    names = ["a" * (200 + choice % 5000) + ".rdsl", "../" * (1 + choice % 40) + "x.rdsl",
             "/dev/zero", "/proc/self/environ", ".", "/" + "b/" * (choice % 300),
             "blocks.rdsl/" + "c" * (choice % 300)]
    return f'use "{names[position % len(names)]}"\n' + text


def _line_ends(text: str, position: int, choice: int) -> str:
    """CR-only line ends, a UTF-8 byte-order mark, or both."""
    kind = choice % 3
    if kind in (0, 2):
        text = text.replace("\r\n", "\n").replace("\n", "\r")
    if kind in (1, 2):
        text = "\ufeff" + text
    return text


def _brackets_in_comment(text: str, position: int, choice: int) -> str:
    """Brackets (and quotes) inside a comment or a string, more than the nesting limit."""
    lines = text.split("\n")
    at = position % len(lines)
    noise = "([{"[choice % 3] * (60 + choice % 100) + ('"' if choice % 2 else "")
    lines[at] = lines[at] + "  # " + noise
    return "\n".join(lines)


def _unnamed_layers(text: str, position: int, choice: int) -> str:
    """Thousands of unnamed layers in the first body (the unique-id search's worst case)."""
    at = text.find("{")
    if at < 0:
        return text
    count = 1000 + choice % 4000
    layers = ("relu; " * count) if choice % 2 else ("\n    relu" * count)
    return text[:at + 1] + "\n    " + layers + "\n" + text[at + 1:]


MUTATIONS = {"insert": _insert, "cut": _cut, "duplicate_line": _duplicate_line,
             "swap_number": _swap_number, "big_integer": _big_integer, "long_use": _long_use,
             "line_ends": _line_ends, "brackets_in_comment": _brackets_in_comment,
             "unnamed_layers": _unnamed_layers}
# the costly ones are drawn less often, so a campaign tries many inputs
WEIGHTS = {name: 1 for name in MUTATIONS} | {"unnamed_layers": 0.1, "long_use": 0.3}


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


# -- the IR ------------------------------------------------------------------------------------

# values a field is replaced with: wrong types, out of range, huge, deep
ODD_VALUES = [None, True, -1, 0, 1, 2**31, 2**63, 10**40, 1.5, float("nan"), "", "x", "input",
              "../etc/passwd", [], [0, 0], [3, 3, 3], [[[[[]]]]], {}, {"a": 1}, "é" * 3]


def _paths(value, prefix=()):
    """Every path into a JSON value (dict keys and list indices)."""
    yield prefix
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _paths(item, prefix + (key,))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths(item, prefix + (index,))


def mutate_ir(data: dict, position: int, choice: int) -> dict:
    """One edit of an IR dict: a field replaced, deleted or duplicated, a node or edge removed."""
    data = copy.deepcopy(data)
    kind = choice % 5
    if kind == 3 and data.get("edges"):
        del data["edges"][position % len(data["edges"])]
        return data
    if kind == 4 and data.get("nodes"):
        nodes = data["nodes"]
        nodes.insert(position % len(nodes), copy.deepcopy(nodes[choice % len(nodes)]))
        return data
    paths = [p for p in _paths(data) if p]
    path = paths[position % len(paths)]
    parent = data
    for step in path[:-1]:
        parent = parent[step]
    if kind == 0 or not isinstance(parent, dict):
        parent[path[-1]] = copy.deepcopy(ODD_VALUES[choice % len(ODD_VALUES)])
    elif kind == 1:
        del parent[path[-1]]
    else:
        parent[f"{path[-1]}_"] = parent[path[-1]]  # an unknown field
    return data


def ir_bytes(data: dict, choice: int) -> bytes:
    """The IR as a file's bytes, sometimes damaged: cut, non-UTF-8, deeply nested."""
    raw = json.dumps(data).encode()
    kind = choice % 8
    if kind == 5:
        return raw[: (choice * 7919) % max(1, len(raw))]
    if kind == 6:
        return raw.replace(b'"', b"\xff", 1)
    if kind == 7:
        return b"[" * (1000 + choice % 100_000) + raw
    return raw


def read_ir(raw: bytes) -> int:
    """Read IR bytes as `resdsl.ir.read` would; the number of nodes, or resdsl's error."""
    from resdsl.ir.codec import load, parse_json

    return load(parse_json(raw, "<fuzz.json>"), "<fuzz.json>").number_of_nodes()


def ir_errors_are_e8xx(err: ResdslError) -> bool:
    return all(e.code.startswith("E8") for e in err.errors)
