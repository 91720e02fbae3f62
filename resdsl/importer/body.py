"""A block's or the network's layers as entries (name, op, what each reads, arguments), and the
entries as lines of text."""

from __future__ import annotations

from typing import Any

from ..netgraph.ops import OPS
from .layers import Imported, Layer
from .parts import Entry, Instance
from .shortcuts import Policy
from .text import call_text, ref_text, value_text

_NUMERIC = (int, float)


def entries_of(imported: Imported, inst: Instance, policy: Policy) -> list[Entry]:
    """The layers of a block as they are written there."""
    path, source = inst.path, inst.source
    cut = len(path) + 1
    layers = [imported.layers[lid] for lid in inst.layers
              if imported.layers[lid].op != "input" and lid not in policy.absorbed]
    names = Names()
    entries, previous = [], source
    for layer in layers:
        relative = layer.id[cut:]
        refs = written_refs(layer, previous, source, cut, policy)
        label = names.label(layer.op, relative)
        slots = tuple(k for k, v in layer.args.items() if _numeric(v) and k != "shape")
        entries.append(Entry(label, layer.op, refs, dict(layer.args), slots))
        previous = layer.id
    return entries


def written_refs(layer: Layer, previous: str, source: str, cut: int, policy: Policy) -> tuple[str, ...]:
    def ref(value: str) -> str:
        return "input" if value == source else ref_text(value[cut:])

    if layer.id in policy.sums:
        branch = policy.residual[layer.id]
        return ("shortcut",) if branch == previous else (ref(branch), "shortcut")
    if OPS[layer.op].arity == -1:  # a merge names what it merges
        if layer.op == "concat" and layer.inputs == [source, previous] and source != previous:
            return ("shortcut",)
        values = [ref(v) for v in layer.inputs]
        if layer.inputs[0] == previous and len(values) == 2 and layer.op != "concat":
            return (values[1],)
        return tuple(values)
    if layer.inputs == [previous]:
        return ()
    return tuple(f"from: {ref(v)}" for v in layer.inputs)


class Names:
    """The compiler's naming of unnamed layers (language/expansion.py), to write a name only
    where the compiler would give another."""

    def __init__(self):
        self.taken: set[str] = set()
        self.suffix: dict[str, int] = {}

    def label(self, op: str, name: str) -> str | None:
        """None where an unnamed `op` gets `name` here; else `name`, written."""
        n = self.suffix.get(op, 0)
        given = op if n == 0 else f"{op}_{n}"
        while given in self.taken:
            n += 1
            given = f"{op}_{n}"
        self.taken.add(name)
        if given == name:
            self.suffix[op] = n + 1
            return None
        return name


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, tuple):
        return bool(value) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return isinstance(value, _NUMERIC)


def body_lines(entries: list[Entry], exprs: list[Any] | None) -> list[str]:
    """Layers as lines: a conv, fc, pool or merge starts a line; norms and activations follow
    on it, as the bundled files write `conv1: conv 3x3, 64;  bn1: bn;  relu`."""
    lines: list[list[str]] = []
    slot = 0
    for entry in entries:
        args = dict(entry.args)
        for arg in entry.slots:
            if exprs is not None and exprs[slot] is not None:
                args[arg] = exprs[slot]
            slot += 1
        text = _layer_text(entry, args)
        minor = OPS[entry.op].minor and not entry.refs
        if lines and minor:
            lines[-1].append(text)
        else:
            lines.append([text])
    return [";  ".join(parts) for parts in lines]


def _layer_text(entry: Entry, args: dict) -> str:
    prefix = f"{entry.label}: " if entry.label else ""
    if OPS[entry.op].arity == -1:
        options = [f"{k}: {value_text(v)}" for k, v in args.items()
                   if k in {a.name for a in OPS[entry.op].args} and v not in (None, 0.0, False)]
        # a highway gate is written as the sum the network's `shortcuts gate` makes one
        return prefix + ("add" if entry.op == "gate" else entry.op) + " " + ", ".join([*entry.refs, *options])
    text = call_text(entry.op, {k: v for k, v in args.items()})
    if not entry.refs:
        return prefix + text
    # `avgpool from: relu` where the op writes no argument, else `conv 3x3, 64, from: relu`
    return prefix + text + (" " if text == entry.op else ", ") + ", ".join(entry.refs)

