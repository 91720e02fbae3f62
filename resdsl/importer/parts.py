"""The pieces folding works with: a layer as a body writes it (Entry), one block's region
(Instance), and the blocks of one form with their parameters (Template)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Entry:
    """One layer of a body, its numbers taken out as slots."""

    label: str | None  # the name written, or None where the compiler gives the same one
    op: str
    refs: tuple[str, ...]  # what it reads, as the body writes it ("" for the previous value)
    args: dict  # argument -> value (slots hold the value of this instance)
    slots: tuple[str, ...]  # the arguments whose values are numbers

    def key(self) -> tuple:
        # where a projection reads (project_from) matters only where there is one
        fixed = tuple((k, repr(v)) for k, v in self.args.items()
                      if k not in self.slots and k != "project_from")
        return self.label, self.op, self.refs, self.slots, fixed


@dataclass
class Instance:
    path: str  # `layer2.0`
    source: str  # the id of the value it reads
    entries: list[Entry]
    layers: list[str] = field(default_factory=list)  # the ids of its layers, in order
    end: str = ""  # the id of the layer whose value it gives

    def key(self) -> tuple:
        return tuple(e.key() for e in self.entries)

    def values(self) -> list[Any]:
        return [e.args[s] for e in self.entries for s in e.slots]


@dataclass
class Template:
    name: str
    instances: list[Instance]
    params: list[tuple[str, str | None]] = field(default_factory=list)  # (name, default text)
    exprs: list[Any] = field(default_factory=list)  # per slot: a literal or a Param
    bindings: dict[str, list[Any]] = field(default_factory=dict)  # param -> value per instance
