"""Recovering structure: a model's layers (layers.Imported) as short text. The numbered items of
a container (`layer1.0`, `layer1.1`, ...) that read one value and give one are blocks; blocks of
one form (ops, names and wiring alike) become one `block` whose parameters are what varies
between them; a container whose items all share one form becomes a `stage`."""

from __future__ import annotations

from .body import entries_of
from .layers import Imported
from .network import network_text
from .params import block_text, templates_of
from .regions import find_instances
from .shortcuts import shortcut_policy


def fold(imported: Imported, *, header: str = "", flat: bool = False) -> str:
    """The text of a model: blocks, then the network; `flat`: every layer in the network, no
    block, stage or shortcut option (what the folded text is checked against)."""
    instances = [] if flat else find_instances(imported)
    policy = shortcut_policy(imported, instances)
    for inst in instances:
        inst.entries = entries_of(imported, inst, policy)
    templates = templates_of(imported, instances)
    lines = [f"# {header}"] if header else []
    for template in templates:
        lines += block_text(template) + [""]
    lines += network_text(imported, instances, templates, policy)
    return "\n".join(lines) + "\n"
