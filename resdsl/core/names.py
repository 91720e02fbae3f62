"""Layer names. A node id is a dotted path (`layer1.0.conv1`) of parts made of letters, digits,
`_` and `-`; the parts before the last name the groups (stages, blocks) the layer sits in, which
become the PyTorch containers that hold it."""

from __future__ import annotations

import re

# The grammar's PATH terminal and the IR schema's node-id pattern spell the same rule in their own
# files; tests/test_names.py holds them equal to this one.
NODE_ID = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*(\.[A-Za-z0-9_][A-Za-z0-9_-]*)*")


def prefixes(path: str) -> list[str]:
    """`layer1.0.conv1` -> ["layer1", "layer1.0"]: the groups it sits in, outermost first."""
    parts = path.split(".")
    return [".".join(parts[:depth]) for depth in range(1, len(parts))]
