"""Layers as the language writes them: `conv 3x3, 64, stride: 2`, with only the arguments that
differ from the op's defaults, in the table's order."""

from __future__ import annotations

import re
from typing import Any

from ..netgraph.opkit import REQUIRED
from ..netgraph.ops import OPS


class Param:
    """An argument's value given by an expression of a block's parameters (`4 * width`)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text


# a value's name as the grammar reads it unquoted: a NAME or a DOTTED path (grammar/resdsl.lark)
_BARE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|([A-Za-z_][A-Za-z0-9_]*|\d+(\.\d+)*(?=\.[A-Za-z_]))"
                   r"(\.[A-Za-z0-9_][A-Za-z0-9_-]*)+")


def ref_text(name: str) -> str:
    """A layer's name where a value is read (`from: conv1`, `add 0.block.2, shortcut`), between
    backquotes where it would read as something else: `0` (a Sequential's first item), `1.2`."""
    return name if _BARE.fullmatch(name) else f"`{name}`"


def value_text(value: Any) -> str:
    if isinstance(value, Param):
        return value.text
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return str(value[0]) if len(set(value)) == 1 and len(value) == 2 else "x".join(map(str, value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def kernel_text(value: Any) -> str:
    """Kernels read as sizes (`3x3`), as the bundled files write them."""
    if isinstance(value, tuple):
        return "x".join(map(str, value))
    return value_text(value)


def written_args(op_name: str, args: dict) -> list[tuple[str | None, Any]]:
    """The arguments to write, in order: (None, value) positional, (name, value) by name. An
    argument is left out where the op's defaults give it anyway; a parameter is always written."""
    op = OPS[op_name]
    current = {a.name: a.default for a in op.args if a.default is not REQUIRED}
    current.update({a.name: args[a.name] for a in op.args if a.default is REQUIRED})
    out: list[tuple[str | None, Any]] = [(None, args[a.name]) for a in op.args if a.default is REQUIRED]
    for arg in op.args:
        if arg.default is REQUIRED or arg.name not in args:
            continue
        value = args[arg.name]
        if not isinstance(value, Param):
            try:
                given = op.defaults(dict(current, **_plain_values(current)))[arg.name]
            except Exception:
                given = None
            if _same(given, value):
                continue
        current[arg.name] = value
        out.append((arg.name, value))
    return out


def _plain_values(args: dict) -> dict:
    return {k: (1 if isinstance(v, Param) else v) for k, v in args.items()}


def _same(a: Any, b: Any) -> bool:
    def norm(v):
        return (v, v) if isinstance(v, int) and not isinstance(v, bool) else v
    return norm(a) == norm(b)


def call_text(op_name: str, args: dict, parens: bool = False) -> str:
    """`conv 3x3, 64, stride: 2` (or `bn(eps: 0.001)` for an option's value)."""
    parts = [(f"{name}: " if name else "") + (kernel_text(v) if _is_size(name, v) else value_text(v))
             for name, v in written_args(op_name, args)]
    if parens:
        return op_name + (f"({', '.join(parts)})" if parts else "")
    return op_name + (" " + ", ".join(parts) if parts else "")


def _is_size(name: str | None, value: Any) -> bool:
    return name in (None, "kernel") and isinstance(value, tuple)
