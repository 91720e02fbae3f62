"""A graph with other outputs, and the classifier head a graph ends in: what the torch backend
(timm's `forward_features`, `features_only`) and the experiments' taps read. No torch here."""

from __future__ import annotations

from dataclasses import replace

import networkx as nx

from .builder import inputs_of
from .meta import NetworkMeta, Output


def with_outputs(graph: nx.DiGraph, nodes: list[str]) -> nx.DiGraph:
    """A copy of `graph` whose outputs are `nodes` (named by their ids), without the layers none
    of them depends on. The kept layers keep their ids, hence their `state_dict` keys."""
    needed = set(nodes)
    for node in nodes:
        needed |= nx.ancestors(graph, node)
    # the graph's own node order is source order; the subgraph view keeps it
    copy = graph.subgraph([n for n in graph if n in needed]).copy()
    meta = NetworkMeta.of(graph)
    replace(meta, outputs=[Output(n, n) for n in nodes],
            stages=[s for s in meta.stages if s.last in needed]).write(copy)
    return copy


def global_head(graph: nx.DiGraph) -> tuple[str, str, str] | None:
    """(features, pool, fc) where the network ends `... -> global average pool -> fc`: the last
    feature map, the pooling node and the classifier; None for any other ending."""
    outputs = graph.graph["outputs"]
    if len(outputs) != 1 or graph.nodes[outputs[0].node]["op"] != "fc":
        return None
    output = outputs[0].node
    (pool,) = inputs_of(graph, output)
    data = graph.nodes[pool]
    if data["op"] != "avgpool" or data["args"]["kernel"] is not None or graph.out_degree(pool) != 1:
        return None
    (features,) = inputs_of(graph, pool)
    return features, pool, output
