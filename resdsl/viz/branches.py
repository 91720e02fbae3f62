"""Parallel branches inside a block (Inception's towers, SK's two kernels), read from the graph,
so that a block's box shows them side by side rather than as one list.

A block's layers are rows: a layer on every path through the block (each other layer comes
before or after it) is a row of its own; the layers between two such rows that are not are a
row of columns, one per branch (the layers that run one after another), in source order, with
the merge that joins them below."""

from __future__ import annotations

from collections.abc import Callable

import networkx as nx

from ..netgraph.ops import OPS

Row = str | list[list[str]]  # one line, or columns of lines side by side


def rows(graph: nx.DiGraph, nodes: list[str], shown: Callable[[str], bool],
         label: Callable[[str], str]) -> list[Row] | None:
    """The rows of a block's box, or None where its layers run one after another."""
    inside = graph.subgraph(n for n in nodes if graph.nodes[n]["scope"].get("branch") != "shortcut")
    entries = {v for u, v, role in graph.in_edges(inside, data="role") if u not in inside and role != "shortcut"}
    if len(entries) <= 1 and all(degree <= 1 for _, degree in inside.out_degree()):
        return None  # one path in, no fork: nothing side by side
    layers = [n for n in nodes if n in inside and shown(n)]
    after = {n: nx.descendants(inside, n) for n in layers}

    def ordered(a: str, b: str) -> bool:
        return b in after[a] or a in after[b]

    serial = {n for n in layers if all(ordered(n, m) for m in layers if m != n)}
    if len(serial) == len(layers):
        return None
    out: list[Row] = []
    group: list[str] = []
    for node in [*layers, None]:
        if node is not None and node not in serial:
            group.append(node)
            continue
        if group:
            out.append([[label(n) for n in branch] for branch in _branches(group, ordered)])
            join = _join(graph, inside, group, nodes)
            if join is not None:
                out.append(join)
            group = []
        if node is not None:
            out.append(label(node))
    return out


def _branches(group: list[str], ordered: Callable[[str, str], bool]) -> list[list[str]]:
    """The layers of a parallel stretch as branches: those joined by running one after another,
    each in source order, the branches in the order their first layers are written."""
    branches: list[list[str]] = []
    for node in group:
        linked = [b for b in branches if any(ordered(node, m) for m in b)]
        merged = [m for b in linked for m in b] + [node]
        branches = [b for b in branches if b not in linked]
        branches.append(sorted(merged, key=group.index))
    return sorted(branches, key=lambda b: group.index(b[0]))


def _join(graph: nx.DiGraph, inside: nx.DiGraph, group: list[str], nodes: list[str]) -> str | None:
    """What joins the branches (concat, +, a product), named as the op table describes it: the
    first merge that every branch reaches."""
    reached = [nx.descendants(inside, n) | {n} for n in group]
    for node in nodes:
        if node in inside and OPS[graph.nodes[node]["op"]].role == "merge" and all(node in r for r in reached):
            data = graph.nodes[node]
            return OPS[data["op"]].describe(data["args"])
    return None
