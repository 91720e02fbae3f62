"""Reading values out of the middle of a network through its graph, not through hooks.

A network's outputs are part of its graph (`outputs layer2, layer3` in the language), and the
torch backend returns a dict of tensors when there are several. So any layer's result can be had
by compiling a copy of the graph whose outputs are those layers: the backend then writes a forward
that returns them, and nothing downstream of them is built. No torch here.
"""

from __future__ import annotations

from dataclasses import replace

import networkx as nx

from ..netgraph.builder import inputs_of, layer_nodes
from ..netgraph.meta import NetworkMeta, Output
from ..netgraph.ops import OPS


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


def response_nodes(graph: nx.DiGraph) -> list[str]:
    """The paper's Figure 7 responses: for each 3x3 convolution, in network order, the node whose
    result is that layer's response "after BN and before other nonlinearity (ReLU/addition)" --
    the norm (BN, or any op whose role is norm) that reads the convolution, or the convolution
    itself where no norm follows it.

    Convolutions on a shortcut (projections) are not layers of the stack and are left out."""
    nodes = []
    for node in layer_nodes(graph):
        data = graph.nodes[node]
        if data["op"] != "conv" or tuple(data["args"]["kernel"]) != (3, 3):
            continue
        if data["scope"].get("branch") == "shortcut":
            continue
        readers = list(graph.succ[node])
        if len(readers) == 1 and OPS[graph.nodes[readers[0]]["op"]].role == "norm":
            nodes.append(readers[0])
        else:
            nodes.append(node)
    return nodes


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
