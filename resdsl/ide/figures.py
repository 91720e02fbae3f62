"""What the built graphs say about one statement: the nodes a layer made in each network, the
nodes of each use of a block call or a stage, and their shapes and costs.

A block written once is used many times, so a statement has, per network, a list of uses; a use
is the list of nodes it made. The nodes of a block call are found from node ids alone: a call's
nodes share the path prefix of its body's instance plus the call's name (its label, or the
block's name numbered `_1`, `_2`, ... in order of appearance, as the elaborator names them)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import networkx as nx

from ..core.errors import Span
from ..core.units import human
from ..language import ast
from ..netgraph.ops import ALIASES


@dataclass(frozen=True)
class Use:
    """One use of a statement in one network: its nodes' path, output shape and costs."""

    path: str
    out_shape: tuple[int, ...]
    macs: int
    params: int

    def describe(self) -> str:
        return (f"`{self.path}`: output {shape_text(self.out_shape)}, {human(self.macs)} "
                f"multiply-adds, {self.params:,} params")


def shape_text(shape) -> str:
    return "x".join(str(d) for d in shape)


def same_place(span: Span | None, other: Span, file: str) -> bool:
    return (span is not None and span.file == file and (span.line, span.column, span.end_line,
            span.end_column) == (other.line, other.column, other.end_line, other.end_column))


def _use(graph: nx.DiGraph, path: str, nodes: list[str]) -> Use:
    data = graph.nodes
    last = nodes[-1]  # nodes come in the order they were added: the last holds the result
    return Use(path, tuple(data[last]["out_shape"]), sum(data[n]["macs"] for n in nodes),
               sum(data[n]["params"] for n in nodes))


def layer_uses(graph: nx.DiGraph, layer: ast.Layer, file: str) -> list[Use]:
    """Each node an op layer made (one per use of its block)."""
    return [_use(graph, node, [node]) for node, span in graph.nodes(data="span")
            if same_place(span, layer.span, file) and graph.nodes[node]["op"] != "input"]


def stage_uses(graph: nx.DiGraph, stage: ast.Stage, file: str) -> list[Use]:
    """A stage's nodes (all its blocks), as one use."""
    uses = []
    for prefix, span in graph.graph.get("stage_spans", {}).items():
        if same_place(span, stage.span, file):
            nodes = [n for n in graph if n.startswith(prefix + ".")]
            if nodes:
                uses.append(_use(graph, prefix, nodes))
    return uses


def call_uses(graph: nx.DiGraph, body: ast.BlockDef | ast.NetworkDef, call: ast.Layer,
              file: str, is_block) -> list[Use]:
    """Each use of a layer that calls a block (`is_block(name)` tells a block's name from an
    op's), found under each instance of the body it is written in."""
    if call.label is None and not is_block(call.op):
        return []  # a block passed as a parameter: its nodes are named after the block it holds
    uses = []
    for prefix in body_prefixes(graph, body, file, is_block):
        local = call.label or _numbered_name(graph, prefix, body, call)
        nodes = [n for n in graph if n.startswith(f"{prefix}{local}.")] if local else []
        if nodes:
            uses.append(_use(graph, prefix + str(local), nodes))
    return uses


def body_prefixes(graph: nx.DiGraph, body, file: str, is_block) -> list[str]:
    """The path prefixes under which a body's layers sit in `graph` ('' for the network's own)."""
    if isinstance(body, ast.NetworkDef):
        return [""] if body.name == graph.graph.get("network") else []
    prefixes: dict[str, None] = {}
    for stmt in body.body:
        if not isinstance(stmt, ast.Layer) or is_block(stmt.op):
            continue
        op = ALIASES.get(stmt.op, stmt.op)
        for node, span in graph.nodes(data="span"):
            if not same_place(span, stmt.span, file) or graph.nodes[node]["op"] != op:
                continue
            if stmt.label and node.endswith("." + stmt.label):
                prefixes[node[: -len(stmt.label)]] = None
            elif not stmt.label and "." in node:
                prefixes[node.rsplit(".", 1)[0] + "."] = None
    return list(prefixes)


def _numbered_name(graph: nx.DiGraph, prefix: str, body, call: ast.Layer) -> str | None:
    """The name an unlabelled block call gets under `prefix`: its block's name, then `_1`, `_2`
    ... for later calls of the same block in the same body, in order (as the elaborator counts)."""
    earlier = [s for s in body.body if isinstance(s, ast.Layer) and s.op == call.op and not s.label]
    index = next(i for i, s in enumerate(earlier) if s is call)
    pattern = re.compile(rf"{re.escape(call.op)}(?:_(\d+))?")
    names: dict[str, int] = {}
    for node in graph:
        if node.startswith(prefix):
            head = node[len(prefix):].split(".", 1)[0]
            if (match := pattern.fullmatch(head)) and "." in node[len(prefix):]:
                names[head] = int(match.group(1) or 0)
    ordered = sorted(names, key=names.__getitem__)
    return ordered[index] if index < len(ordered) else None
