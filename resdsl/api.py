"""The Python API: graphs and reports without torch, modules with it."""

from __future__ import annotations

import networkx as nx

from .errors import UnknownName, raise_all
from .library import build_graph, open_target
from .loader import Scope, load_text
from .resolve import check_names


def _build(scope: Scope, names: list[str], network: str | None, what: str,
           input_shape: tuple[int, ...] | None) -> nx.DiGraph:
    if not names:
        raise UnknownName(f"{what} defines no network to build", None, code="E205")
    if len(names) > 1 and network is None:
        raise UnknownName(f"{what} defines several networks ({', '.join(names)}); "
                          "choose one with network=...", None, code="E206")
    return build_graph(scope, network or names[0], input_shape=input_shape)


def graph(path_or_name: str, network: str | None = None, *,
          input_shape: tuple[int, ...] | None = None) -> nx.DiGraph:
    """The typed layer graph of a file, `file:NAME` or bundled network (shapes, costs per node)."""
    target = open_target(str(path_or_name), network)
    return _build(target.scope, target.names, network, str(path_or_name), input_shape)


def graph_from_text(text: str, network: str | None = None, *,
                    input_shape: tuple[int, ...] | None = None) -> nx.DiGraph:
    """Like `graph`, from source text (`use` looks in the current folder, then the library)."""
    scope = load_text(text)
    raise_all(check_names(scope))
    return _build(scope, scope.networks(), network, "the text", input_shape)
