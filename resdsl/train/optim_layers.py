"""Layer-wise learning-rate decay (BEiT's, as timm applies it to ResNets): the network's layers
numbered from the input by stage, each parameter's learning rate scaled by
decay ** (depth from the top).

With S stages: the stem (what comes before any stage) is layer 0, stage k (in the order the
network writes them) is layer k, and the head (whatever no stage follows: pooling, classifier,
side classifiers) is layer S + 1, whose rate is the recipe's. A layer between two stages
belongs to the one before it. The scale is kept in each parameter group as `lr_scale`; the
loop sets a group's rate to the schedule's rate times it.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import torch

from ..core.errors import ResdslError
from ..core.names import prefixes


class LayerDecayError(ResdslError):
    code = "E1110"


def layer_ids(graph: nx.DiGraph) -> tuple[dict[str, int], int]:
    """Each node's layer number, and the head's (the number of stages + 1)."""
    order = {s.name: i + 1 for i, s in enumerate(graph.graph.get("stages", []))}
    if not order:
        raise LayerDecayError(f"optimizer.layer_decay scales the learning rate stage by stage, but network "
                              f"{graph.graph['name']} has no stages", graph.graph.get("span"),
                              hint="write its repeated blocks as `stage NAME: BLOCK(...) x N`, or leave "
                                   "optimizer.layer_decay at 1")
    head = len(order) + 1
    staged = {n: order.get(d.get("scope", {}).get("stage")) for n, d in graph.nodes(data=True)}
    below: dict[str, int] = {}  # the deepest stage at or before each node
    for node in nx.topological_sort(graph):
        below[node] = max([staged[node] or 0, *(below[p] for p in graph.predecessors(node))])
    feeds_stage: dict[str, bool] = {}  # whether a stage comes after the node
    for node in reversed(list(nx.topological_sort(graph))):
        feeds_stage[node] = any(staged[s] is not None or feeds_stage[s] for s in graph.successors(node))
    ids = {n: staged[n] or (below[n] if feeds_stage[n] else head) for n in graph}
    return ids, head


def layer_decay_groups(model: torch.nn.Module, groups: list[dict[str, Any]], decay: float) -> list[dict[str, Any]]:
    """`groups` (weight decay's) split by layer, each with its `lr_scale`."""
    graph = model.graph
    if not isinstance(graph, nx.DiGraph):
        raise TypeError(f"{type(model).__name__} was not compiled by resdsl: it has no layer graph")
    ids, head = layer_ids(graph)
    layer_of = {}
    for name, p in model.named_parameters():
        node = next(path for path in reversed([*prefixes(name), name]) if path in graph)
        layer_of[id(p)] = ids[node]
    out = []
    for group in groups:
        settings = {k: v for k, v in group.items() if k != "params"}
        by_layer: dict[int, list[torch.nn.Parameter]] = {}
        for p in group["params"]:
            by_layer.setdefault(layer_of[id(p)], []).append(p)
        out += [{**settings, "params": params, "lr_scale": decay ** (head - layer)}
                for layer, params in sorted(by_layer.items())]
    return out
