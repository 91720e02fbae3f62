"""The inference pass: shapes and costs for every node, in topological order."""

from __future__ import annotations

import networkx as nx

from .builder import at_layer, inputs_of, layer_nodes
from .ops import OPS, OpShapeError


def infer(graph: nx.DiGraph) -> nx.DiGraph:
    """Fill `in_shapes`, `out_shape`, `macs` and `params` on every node (and `shape` on edges)."""
    for node in layer_nodes(graph):
        attrs = graph.nodes[node]
        op = OPS[attrs["op"]]
        in_shapes = [tuple(graph.nodes[i]["out_shape"]) for i in inputs_of(graph, node)]
        try:
            out_shape = tuple(op.shape(attrs["args"], in_shapes))
        except OpShapeError as err:
            raise at_layer(err, attrs.get("span")) from None
        attrs["in_shapes"] = in_shapes
        attrs["out_shape"] = out_shape
        attrs["macs"] = op.macs(attrs["args"], in_shapes, out_shape)
        attrs["params"] = op.params(attrs["args"], in_shapes, out_shape)
        for data in graph.succ[node].values():
            data["shape"] = out_shape
    return graph


def totals(graph: nx.DiGraph) -> dict:
    """Whole-network figures: multiply-adds, parameters, layer count, output shapes."""
    nodes = graph.nodes
    return {
        "macs": sum(d["macs"] for _, d in nodes(data=True)),
        "params": sum(d["params"] for _, d in nodes(data=True)),
        "layers": sum(1 for _, d in nodes(data=True) if d["op"] != "input"),
        # the paper's depth: weighted layers on the main path ("34-layer")
        "depth": sum(1 for _, d in nodes(data=True)
                     if OPS[d["op"]].weighted and d["scope"].get("branch") != "shortcut"),
        "outputs": {o.name: nodes[o.node]["out_shape"] for o in graph.graph["outputs"]},
    }
