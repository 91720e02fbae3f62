"""What the schema cannot say about an IR file, checked against the op table before anything is
inferred: each node's arguments (names, kinds, ranges), its inputs (as many as its op takes, on
distinct ports), one input node whose shape is within the limits. Every problem is an E8xx."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx

from ..core.errors import IRError, ResdslError
from ..core.limits import LIMITS
from ..netgraph.ops import OPS, REQUIRED, Op


def node_args(name: str, where: str, op: Op, args: dict) -> dict[str, Any] | ResdslError:
    """The node's arguments with the op's defaults filled and normalized, or the first problem."""
    for key in args:
        if op.arg(key) is None:
            known = ", ".join(a.name for a in op.args) or "none"
            return IRError(f"{name}: {where}.args.{key}: {op.name} takes no '{key}' (it takes {known})",
                           code="E808")
    full = {}
    for spec in op.args:
        value = args.get(spec.name, spec.default)
        if value is REQUIRED:
            return IRError(f"{name}: {where}.args: {op.name} needs '{spec.name}'", code="E808")
        problem = _kind_problem(spec.kind, spec.name, value, spec.default)
        if problem:
            return IRError(f"{name}: {where}.args.{spec.name}: {problem}", code="E808")
        full[spec.name] = tuple(value) if isinstance(value, list) else value
    try:
        return op.defaults(full)
    except (TypeError, ValueError, KeyError, IndexError) as err:
        return IRError(f"{name}: {where}.args: {op.name}'s arguments do not fit together ({err})",
                       code="E808")


def _whole(value, floor: int, ceiling: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and floor <= value <= ceiling


def _kind_problem(kind: str, key: str, value, default=REQUIRED) -> str | None:
    floor = 0 if key == "padding" or kind == "int0" else 1
    ceiling = LIMITS.width
    if value is None:  # an optional argument left unset (se's width, eca's kernel)
        ok = kind in ("size", "symbol") or default is None
        return None if ok else f"'{key}' needs a value, not null"
    if kind in ("int", "int0"):
        ok = _whole(value, floor, ceiling)
        return None if ok else f"'{key}' is a whole number from {floor} to {ceiling}, not {_show(value)}"
    if kind == "size":
        pair = isinstance(value, list) and len(value) == 2 and all(_whole(v, floor, ceiling) for v in value)
        ok = pair or _whole(value, floor, ceiling)
        return None if ok else (f"'{key}' is a whole number or a pair of them, from {floor} to "
                                f"{ceiling}, not {_show(value)}")
    if kind in ("float", "rate"):  # ranges are the op's shape rule's (dropout's p, add's drop)
        ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
        return None if ok else f"'{key}' is a number, not {_show(value)}"
    if kind == "bool":
        return None if isinstance(value, bool) else f"'{key}' is true or false, not {_show(value)}"
    if kind == "symbol":
        return None if isinstance(value, str) else f"'{key}' is a name, not {_show(value)}"
    if kind == "shape":
        ok = isinstance(value, list) and len(value) == 3 and _whole(value[0], 1, LIMITS.width) \
            and all(_whole(v, 1, LIMITS.spatial) for v in value[1:])
        return None if ok else (f"'{key}' is CxHxW, at most {LIMITS.width} channels and "
                                f"{LIMITS.spatial} high and wide, not {_show(value)}")
    return f"unknown argument kind {kind}"


def _show(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "..."


def wiring(name: str, graph: nx.DiGraph, index: dict[str, int]) -> list[ResdslError]:
    """Each node has the inputs its op takes, on ports 0..n-1; exactly one input node."""
    errors: list[ResdslError] = []
    inputs = [n for n, d in graph.nodes(data=True) if d["op"] == "input"]
    if len(inputs) != 1:
        errors.append(IRError(f"{name}: $.nodes: a network has one input node, this one has "
                              f"{len(inputs)}", code="E809"))
    for node, data in graph.nodes(data=True):
        op = OPS[data["op"]]
        where = f"$.nodes[{index[node]}]"
        count = len(graph.pred[node])
        # a merge takes two or more (its ports name the two of `add shortcut`; `concat a, b, c`
        # and `add a, b, c` merge more)
        wanted = op.arity
        if op.arity == -1 and count < 2:
            errors.append(IRError(f"{name}: {where}: {op.name} merges two or more inputs, not "
                                  f"{count}", code="E809"))
        elif wanted >= 0 and count != wanted:
            errors.append(IRError(f"{name}: {where}: {op.name} takes {wanted} input"
                                  f"{'s' if wanted != 1 else ''}, not {count}", code="E809"))
        ports = sorted(e["port"] for e in graph.pred[node].values())
        if ports != list(range(count)):
            errors.append(IRError(f"{name}: {where}: the edges into '{node}' use ports {ports}, "
                                  f"not 0 to {count - 1}", code="E809"))
    return errors
