"""The keyword arguments the language reads itself, not the op or block they are written on.

Any layer may say what it reads (`conv 1x1, 64, from: input`). A stage's arguments after `x N`
go to its first block, except three that describe the stage: `first: other_block` (the block it
starts with), `names: "denselayer{1}"` (how its blocks are named) and `shortcuts: B`. The
elaborator and the name check (resolve.py) both split keyword arguments here.
"""

from __future__ import annotations

import re
from dataclasses import replace

from ..core.errors import ArgumentError
from . import ast

READS = "from"  # any layer: the value it reads
FIRST, NAMES, SHORTCUTS = "first", "names", "shortcuts"
STAGE_WORDS = (FIRST, NAMES, SHORTCUTS)

# a stage's block names: letters, digits, '_' or '-', and `{N}` where the block's number goes
_BLOCK_NAME = re.compile(r"([A-Za-z0-9_-]*)\{(\d+)\}([A-Za-z0-9_-]*)")
DEFAULT_NAMES = "{0}"  # `layer1.0`, `layer1.1`, ...


def reads(layer: ast.Layer) -> tuple[ast.Kwarg | None, ast.Layer]:
    """The `from:` a layer gives (None if it gives none) and the layer without it."""
    given = [k for k in layer.kwargs if k.name == READS]
    if not given:
        return None, layer
    rest = tuple(k for k in layer.kwargs if k.name != READS)
    return given[0], replace(layer, kwargs=rest)


def first_block_args(stage: ast.Stage) -> tuple[ast.Kwarg, ...]:
    """The keyword arguments after `x N` that go to the stage's first block."""
    return tuple(k for k in stage.first_kwargs if k.name not in STAGE_WORDS)


def checked_names(value, kw: ast.Kwarg) -> str:
    """`names:`'s value, if it is a pattern such as "denselayer{1}" (torchvision's DenseNet) or
    "block1-{0}" (RegNet)."""
    if not isinstance(value, str) or not _BLOCK_NAME.fullmatch(value):
        raise ArgumentError("'names' is a pattern such as \"denselayer{1}\": letters, digits, "
                            "'_' or '-', and {N} where the block's number goes, counted from N",
                            kw.value.span, code="E320")
    return value


def block_name(pattern: str, index: int) -> str:
    """The name of a stage's block number `index` (from 0) under a `names:` pattern."""
    match = _BLOCK_NAME.fullmatch(pattern)
    assert match is not None, "a names pattern is checked where the stage's options are read"
    before, start, after = match.groups()
    return f"{before}{index + int(start)}{after}"
