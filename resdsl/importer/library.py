"""Where the imported network is one of the bundled ones, the text says so: `use "resnet.rdsl"`
and the bundled instance's own call (`resnet(bottleneck, [3, 4, 6, 3])`), shorter than any
folding and in the words of the library."""

from __future__ import annotations

import re
from pathlib import Path

import networkx as nx

from ..core.errors import Span
from ..language.ast import Instance
from ..language.catalog import network_names
from ..language.library import build_graph, bundled_index
from ..language.loader import Scope, load_file
from ..netgraph.infer import totals
from .graphs import graph_difference


def bundled_text(graph: nx.DiGraph, name: str, header: str = "") -> str | None:
    """The text that calls the bundled network `graph` is, or None where none is."""
    figures = totals(graph)
    scopes: dict[Path, Scope] = {}
    for bundled in network_names():
        path = bundled_index()[bundled]
        scope = scopes.setdefault(path, load_file(path))
        theirs = build_graph(scope, bundled)
        if (theirs.graph["input"] != graph.graph["input"] or totals(theirs)["params"] != figures["params"]
                or totals(theirs)["macs"] != figures["macs"]
                or theirs.number_of_nodes() != graph.number_of_nodes()):
            continue
        if graph_difference(graph, theirs, ordered=True):
            continue
        call = _call(scope, bundled)
        if call is None:
            continue
        lines = [f"# {header}"] if header else []
        lines += [f"# the bundled {bundled} ({path.name})", f'use "{path.name}"', "",
                  f"{name} = {call}"]
        return "\n".join(lines) + "\n"
    return None


def _call(scope: Scope, name: str) -> str | None:
    """`resnet(bottleneck, [3, 4, 6, 3])`: an instance's right-hand side, its checks left out."""
    item = scope.own.get(name)
    if not isinstance(item, Instance) or item.span is None:
        return None
    right = _spanned(item.span).partition("=")[2]
    right = re.sub(r"\s+expect\b.*", "", right, flags=re.DOTALL)
    return re.sub(r"\s+", " ", right).strip() or None


def _spanned(span: Span) -> str:
    """The text a span covers (an instance's span may end past the file's last line)."""
    lines = span.source.text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(t) for t in lines[:line - 1]) + column - 1

    return span.source.text[offset(span.line, span.column):offset(span.end_line, span.end_column)]
