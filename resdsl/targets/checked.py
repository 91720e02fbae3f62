"""From a target to checked graphs, in one place.

A target is what a FILE argument names: a path, `path:NAME`, a bundled network (`resnet50`), a
bundled file (`resnet.rdsl`) or the JSON IR (`net.json`). `choose` opens it and picks its network;
`Chosen.graph` builds that network for an input size and template parameters and runs the limit
checks. `checked_graph` does both; `checked_graphs` gives every network of a file (`check`, `viz`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import networkx as nx

from ..core.errors import ResdslError, UnknownName, raise_all
from ..language import library
from ..language.loader import Scope


class ChoiceError(UnknownName):
    """The target is sound but does not offer what was asked of it as asked: one network of
    several, or another input of an IR file. The command line shows it as a usage error."""


@dataclass
class Chosen:
    """One network of a target, opened once and ready to build at any input size."""

    target: str
    name: str
    scope: Scope | None = None      # the source's names; None for the IR
    ir: nx.DiGraph | None = None    # the IR's graph, built for its own input

    def graph(self, input_shape: tuple[int, ...] | None = None, params: dict[str, Any] | None = None,
              *, forward_batch: int | None = None) -> nx.DiGraph:
        """The typed graph, its parameters within the limits, and with `forward_batch` the
        activations of a forward at that batch."""
        from ..analysis.allocation import check_activations, check_parameters

        if self.ir is not None:
            graph = self._ir_as_asked(self.ir, input_shape, params)
        else:
            assert self.scope is not None, "a Chosen holds a source's scope or an IR graph"
            graph = library.build_graph(self.scope, self.name, input_shape=input_shape, params=params)
        check_parameters(graph)
        if forward_batch is not None:
            check_activations(graph, forward_batch, "a forward")
        return graph

    def _ir_as_asked(self, ir: nx.DiGraph, input_shape, params) -> nx.DiGraph:
        built_for = tuple(ir.graph["input"])
        if input_shape is not None and tuple(input_shape) != built_for:
            raise ChoiceError(f"{self.target} is built for input {_shape(built_for)}; "
                              "--input needs the .rdsl source", None, code="E203")
        if params:
            raise ChoiceError(f"{self.target} is built with its parameters; other ones "
                              f"({', '.join(params)}) need the .rdsl source", None, code="E203")
        return ir


def is_ir(target: str) -> bool:
    """A target that is the JSON IR (`resdsl compile ... -o net.json`) rather than a source."""
    return target.lower().endswith(".json") and os.path.isfile(target)


def choose(target: str | os.PathLike | Chosen, network: str | None = None, *,
           how: str = "network=...") -> Chosen:
    """The one network a target names (`how` says, in the face's terms, how to name one when a
    file has several). A `Chosen` passes through."""
    if isinstance(target, Chosen):
        return target
    return _pick(choices(target, network), str(target), how)


def choices(target: str | os.PathLike, network: str | None = None, *,
            allow_empty: bool = False) -> list[Chosen]:
    """Every network a target offers (the one asked for, if `network` or `path:NAME` names it);
    `allow_empty`: a file of blocks only gives none instead of E205."""
    target = str(target)
    if is_ir(target):
        return [_ir_choice(target, network)]
    opened = library.open_target(target, network)
    if not opened.names and not allow_empty:
        _pick([], str(opened.path), "")
    return [Chosen(target, name, opened.scope) for name in opened.names]


def in_scope(scope: Scope, network: str | None, what: str, how: str = "network=...") -> Chosen:
    """The network of loaded source (`graph_from_text`), picked as `choose` picks one."""
    names = [network] if network is not None else scope.networks()
    return _pick([Chosen(what, name, scope) for name in names], what, how)


def _pick(found: list[Chosen], what: str, how: str) -> Chosen:
    if not found:
        raise UnknownName(f"{what} defines no network to build", None, code="E205",
                          hint="add an instance such as 'net = resnet(basic, [2, 2, 2, 2])'")
    if len(found) > 1:
        raise ChoiceError(f"{what} defines several networks ({', '.join(c.name for c in found)}); "
                          f"choose one with {how}", None, code="E206", hint=_templates_hint(found))
    return found[0]


def _templates_hint(found: list[Chosen]) -> str | None:
    """Why a template counts: every parameter has a default, so it builds as it stands."""
    templates = [c.name for c in found if c.scope is not None and c.scope.defaulted_template(c.name)]
    if not templates:
        return None
    rest = [c.name for c in found if c.name not in templates]
    which = " and ".join(f"'{t}'" for t in templates)
    return (f"{which} {'is a template' if len(templates) == 1 else 'are templates'} whose "
            f"parameters all have defaults, so {'it builds' if len(templates) == 1 else 'they build'}"
            f" as {'it stands' if len(templates) == 1 else 'they stand'}"
            + (f"; name the one you mean, e.g. '{rest[0]}'" if rest else ""))


def _ir_choice(target: str, network: str | None) -> Chosen:
    from ..ir.codec import read

    graph = read(target)
    if network is not None and network != graph.graph["name"]:
        raise ChoiceError(f"{target} holds network '{graph.graph['name']}', not '{network}'", None,
                          code="E202")
    return Chosen(target, graph.graph["name"], ir=graph)


def checked_graph(target: str | os.PathLike | Chosen, network: str | None = None, *,
                  input_shape: tuple[int, ...] | None = None, params: dict[str, Any] | None = None,
                  forward_batch: int | None = None, how: str = "network=...") -> nx.DiGraph:
    """The checked graph of the one network a target names (see `choose` and `Chosen.graph`)."""
    return choose(target, network, how=how).graph(input_shape, params, forward_batch=forward_batch)


def checked_graphs(target: str | os.PathLike, network: str | None = None, *,
                   input_shape: tuple[int, ...] | None = None, params: dict[str, Any] | None = None,
                   allow_empty: bool = False) -> list[nx.DiGraph]:
    """The checked graph of every network a target offers; the errors of all of them together."""
    graphs, errors = [], []
    for chosen in choices(target, network, allow_empty=allow_empty):
        try:
            graphs.append(chosen.graph(input_shape, params))
        except ResdslError as err:
            errors.extend(err.errors)
    raise_all(errors)
    return graphs


def _shape(shape) -> str:
    return "x".join(str(d) for d in shape)


