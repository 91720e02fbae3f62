"""Building the layer graph: one `networkx.DiGraph` node per layer instance.

Node id = the module path the layer gets in PyTorch (`layer1.0.conv1`). Node attributes:
`op`, `args`, `scope`, `span`, `in_shapes`, `out_shape` (and after `infer`, `macs`, `params`).
Edges carry `shape` and `port` (the input position); edges into merges also carry `role`.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from .errors import ArgumentError, LimitError, ShapeError, Span
from .limits import LIMITS
from .ops import OPS, REQUIRED, OpShapeError, Shape


class GraphBuilder:
    def __init__(self, name: str):
        self.graph = nx.DiGraph(name=name)
        self.added: list[str] = []
        self.shapes: dict[str, Shape] = {}  # out_shape by node, without networkx's views

    def shape(self, node: str) -> Shape:
        return self.shapes[node]

    def add_op(self, node_id: str, op_name: str, args: dict[str, Any], inputs: list[str],
               span: Span, scope: dict, roles: list[str] | None = None) -> str:
        """Add a layer; `args` are already checked values, missing ones take the op's defaults."""
        op = OPS[op_name]
        if self.graph.number_of_nodes() >= LIMITS.layers:
            raise LimitError(f"the network has more than {LIMITS.layers} layers", span, code="E604",
                             hint="raise the limit with RESDSL_MAX_LAYERS")
        full = {a.name: args.get(a.name, a.default) for a in op.args}
        missing = [name for name, value in full.items() if value is REQUIRED]
        if missing:
            raise ArgumentError(f"{op_name} needs '{missing[0]}'", span, code="E304")
        full = op.defaults(full)
        in_shapes = [self.shape(i) for i in inputs]
        try:
            out_shape = tuple(op.shape(full, in_shapes))
        except OpShapeError as err:
            raise ShapeError(err.args[0], span, hint=err.hint, code="E401") from None
        if out_shape and max(out_shape) > max(LIMITS.width, LIMITS.spatial):
            raise LimitError(f"{op_name} makes a tensor of {'x'.join(map(str, out_shape))}",
                             span, code="E605", hint="raise RESDSL_MAX_WIDTH or RESDSL_MAX_SPATIAL")
        self.graph.add_node(node_id, op=op_name, args=full, scope=dict(scope), span=span,
                            in_shapes=in_shapes, out_shape=out_shape)
        self.shapes[node_id] = out_shape
        self.added.append(node_id)
        for port, source in enumerate(inputs):
            attrs = {"shape": self.shape(source), "port": port}
            if roles:
                attrs["role"] = roles[port]
            self.graph.add_edge(source, node_id, **attrs)
        return node_id


def inputs_of(graph: nx.DiGraph, node: str) -> list[str]:
    """A node's inputs in port order."""
    edges = graph.pred[node]
    if len(edges) < 2:
        return list(edges)
    return sorted(edges, key=lambda u: edges[u]["port"])


def layer_nodes(graph: nx.DiGraph) -> list[str]:
    """Nodes in topological order, ties broken by insertion (= source) order."""
    order = {n: i for i, n in enumerate(graph.nodes)}
    # The builder adds every node after its inputs, so insertion order is usually already the
    # answer: checking that is linear, the sort below is not.
    if all(order[u] < order[v] for u, v in graph.edges):
        return list(order)
    return list(nx.lexicographical_topological_sort(graph, key=order.__getitem__))
