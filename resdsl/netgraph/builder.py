"""Building the layer graph: one `networkx.DiGraph` node per layer instance.

Node id = the module path the layer gets in PyTorch (`layer1.0.conv1`). Node attributes:
`op`, `args`, `scope`, `span`, `in_shapes`, `out_shape` (and after `infer`, `macs`, `params`).
Edges carry `shape` and `port` (the input position); edges into merges also carry `role`.
"""

from __future__ import annotations

from typing import Any

import networkx as nx

from ..core.errors import ArgumentError, ShapeError, Span
from ..core.limits import LIMITS, too_large, too_many_layers, too_wide
from .ops import OPS, REQUIRED, OpShapeError, Shape


def at_layer(err: OpShapeError, span: Span | None, where: str = "") -> ShapeError:
    """An op's shape rule's complaint (E401 unless it says), placed at the layer that made it;
    `where` (" (in block layer2.0)") ends the message."""
    return ShapeError(err.args[0] + where, span, hint=err.hint, code=err.code)


class GraphBuilder:
    def __init__(self, name: str):
        self.graph = nx.DiGraph(name=name)
        self.added: list[str] = []
        self.shapes: dict[str, Shape] = {}  # out_shape by node, without networkx's views
        # op -> arguments a layer takes where it gives none (`defaults bn(eps: 0.001)`)
        self.defaults: dict[str, dict[str, Any]] = {}

    def shape(self, node: str) -> Shape:
        return self.shapes[node]

    def add_op(self, node_id: str, op_name: str, args: dict[str, Any], inputs: list[str],
               span: Span, scope: dict, roles: list[str] | None = None, where: str = "") -> str:
        """Add a layer; `args` are already checked values, missing ones take the op's defaults.
        `where` (" (in block layer2.0)") ends the message of a shape error."""
        op = OPS[op_name]
        if self.graph.number_of_nodes() >= LIMITS.layers:
            raise too_many_layers(span)
        fallback = self.defaults.get(op_name, {})
        full = {a.name: args.get(a.name, fallback.get(a.name, a.default)) for a in op.args}
        missing = [name for name, value in full.items() if value is REQUIRED]
        if missing:
            raise ArgumentError(f"{op_name} needs '{missing[0]}'", span, code="E304")
        full = op.defaults(full)
        in_shapes = [self.shape(i) for i in inputs]
        try:
            out_shape = tuple(op.shape(full, in_shapes))
        except OpShapeError as err:
            raise at_layer(err, span, where) from None
        check_tensor(op_name, out_shape, span)
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


    def template(self, start: int, prefix: str, scope: dict, block_input: str,
                 output: str) -> tuple | None:
        """The nodes added since `start` (one block under `prefix` and `scope`), named, wired and
        scoped relative to the block, for `replay`; None if one of them reads outside the block."""
        added = self.added[start:]
        inside = set(added)
        if output != block_input and output not in inside:
            return None
        entries = []
        for node in added:
            data = self.graph.nodes[node]
            inputs = []
            for source, edge in sorted(self.graph.pred[node].items(), key=lambda kv: kv[1]["port"]):
                if source != block_input and source not in inside:
                    return None
                inputs.append((None if source == block_input else source[len(prefix):],
                               edge.get("role")))
            own_scope = {k: v for k, v in data["scope"].items() if k not in scope or scope[k] != v}
            entries.append((node[len(prefix):], data["op"], data["args"], own_scope,
                            data["span"], tuple(inputs), data["out_shape"]))
        return tuple(entries), None if output == block_input else output[len(prefix):]

    def replay(self, template: tuple, prefix: str, scope: dict, block_input: str) -> str:
        """Add a recorded block again, under another prefix and scope, reading `block_input`:
        the same layers without evaluating, checking and shaping them again."""
        entries, output = template
        if len(self.shapes) + len(entries) > LIMITS.layers:
            raise too_many_layers(entries[0][4])
        for name, op, args, node_scope, span, inputs, out_shape in entries:
            node = prefix + name
            sources = [block_input if ref is None else prefix + ref for ref, _ in inputs]
            self.graph.add_node(node, op=op, args=dict(args), scope={**scope, **node_scope},
                                span=span, in_shapes=[self.shapes[s] for s in sources],
                                out_shape=out_shape)
            self.shapes[node] = out_shape
            self.added.append(node)
            for port, (source, (_, role)) in enumerate(zip(sources, inputs)):
                attrs = {"shape": self.shapes[source], "port": port}
                if role:
                    attrs["role"] = role
                self.graph.add_edge(source, node, **attrs)
        return block_input if output is None else prefix + output


def check_tensor(op_name: str, shape: Shape, span: Span | None) -> None:
    """A layer's output within the limits: channels against the width, the rest the spatial size."""
    if not shape:
        return
    text = "x".join(map(str, shape))
    if shape[0] > LIMITS.width:
        raise too_wide(f"{op_name} makes a tensor of {text}: {shape[0]} channels are over the "
                       f"limit of {LIMITS.width}", span)
    if len(shape) > 1 and max(shape[1:]) > LIMITS.spatial:
        raise too_large(f"{op_name} makes a tensor of {text}, over the spatial limit of "
                        f"{LIMITS.spatial}", span)


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
