"""Limits on what a network will ask torch to allocate, read from the typed graph before anything
is allocated: its parameters (every path in: check, flops, compile, the API) and the activation
memory of a forward or an export at a given batch.

Each entry point (cli.common.graphs_of, api, torch.backend.build_module, torch.export) calls these;
each message names the environment variable that raises its limit.
"""

from __future__ import annotations

import math

import networkx as nx

from ..core.errors import LimitError
from ..core.limits import LIMITS
from ..core.units import human

BYTES_PER_ELEMENT = 4  # float32


def check_parameters(graph: nx.DiGraph) -> None:
    """Refuse a network with more parameters than RESDSL_MAX_PARAMS."""
    params = sum(d.get("params", 0) for _, d in graph.nodes(data=True))
    if params > LIMITS.params:
        raise LimitError(f"network '{graph.graph.get('name', '?')}' has {params:,} parameters "
                         f"({_bytes(params * BYTES_PER_ELEMENT)} as float32), over the limit of "
                         f"{LIMITS.params:,}", graph.graph.get("span"), code="E608",
                         hint="raise the limit with RESDSL_MAX_PARAMS")


def activation_bytes(graph: nx.DiGraph, batch: int) -> int:
    """Every node's output at `batch` (the input included), float32: what a forward keeps for
    the backward pass, an upper bound on what an export's trace holds."""
    elements = sum(math.prod(d["out_shape"]) for _, d in graph.nodes(data=True) if d.get("out_shape"))
    return elements * batch * BYTES_PER_ELEMENT


def check_activations(graph: nx.DiGraph, batch: int, what: str = "a forward") -> None:
    """Refuse `what` (a forward, an export) whose activations exceed RESDSL_MAX_ACTIVATION_BYTES."""
    needed = activation_bytes(graph, batch)
    if needed > LIMITS.activation_bytes:
        shape = "x".join(map(str, graph.graph.get("input", ())))
        raise LimitError(f"{what} of '{graph.graph.get('name', '?')}' at input {shape}, batch "
                         f"{batch}, needs {_bytes(needed)} of activations, over the limit of "
                         f"{_bytes(LIMITS.activation_bytes)}", graph.graph.get("span"), code="E609",
                         hint="use a smaller input, or raise the limit with "
                              "RESDSL_MAX_ACTIVATION_BYTES (bytes)")


def _bytes(count: int) -> str:
    return f"{human(count)}B"
