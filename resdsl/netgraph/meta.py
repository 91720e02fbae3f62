"""What a graph says about its network as a whole: named types for `graph.graph`, and one writer.

The graph users get stays a `networkx.DiGraph`; its `graph.graph` dict holds one key per field of
`NetworkMeta` (`graph.graph["stages"]` is a list of `Stage`, `graph.graph["outputs"]` a list of
`Output`). The elaborator and the IR reader both set them through `NetworkMeta.write`, so the keys
and their types are stated here once.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any

import networkx as nx

from ..core.errors import Span
from .checks import Check


@dataclass(frozen=True)
class Output:
    """A value the network returns: its name (`out`, or a tapped stage's or layer's) and the node
    that holds it."""

    name: str
    node: str
    # returned only in training, beside the others (GoogLeNet's and Inception-v3's side classifiers)
    auxiliary: bool = False
    weight: float | None = None  # an auxiliary output's loss weight in training, where the source gives one


@dataclass(frozen=True)
class Stage:
    """A stage as written (`stage layer1 "conv2_x": bottleneck(64) x 3`) and the nodes it spans."""

    name: str
    title: str | None  # the paper's name for it (`conv2_x`), if the source gives one
    block: str  # the block it repeats
    repeat: int
    first: str | None  # its first node; None when its blocks add no node
    last: str  # the node holding its result


@dataclass(frozen=True)
class NetworkMeta:
    """Everything `graph.graph` holds, one field per key."""

    name: str  # the network (`resnet50`)
    network: str  # the definition it instantiates (`resnet`)
    input: tuple[int, ...]
    outputs: list[Output]
    stages: list[Stage] = field(default_factory=list)
    shortcuts: str = "B"  # the shortcut option the network starts with
    checks: list[Check] = field(default_factory=list)  # budgets and expectations
    params: dict[str, Any] = field(default_factory=dict)  # the network's parameters as bound
    span: Span | None = None  # where the network is written (None when read from an IR file)
    stage_spans: dict[str, Span] = field(default_factory=dict)  # stage path -> where it is written

    def write(self, graph: nx.DiGraph) -> None:
        """Set every key of `graph.graph` (the one place they are written)."""
        graph.graph.update({f.name: getattr(self, f.name) for f in fields(self)})

    @classmethod
    def of(cls, graph: nx.DiGraph) -> NetworkMeta:
        """The metadata a graph carries (keys it lacks take their defaults)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in graph.graph.items() if k in names})
