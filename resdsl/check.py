"""Budgets and expectations against a typed graph."""

from __future__ import annotations

import networkx as nx

from .errors import CheckError, ResdslError
from .infer import totals


def human(value: float) -> str:
    """1.82G, 25.6M, 270K: the way the paper writes sizes."""
    for unit, scale in (("T", 1e12), ("G", 1e9), ("M", 1e6), ("K", 1e3)):
        if abs(value) >= scale:
            return f"{value / scale:#.3g}".rstrip(".") + unit
    return f"{value:g}"


def run_checks(graph: nx.DiGraph) -> list[ResdslError]:
    """Every budget exceeded and every expectation missed, as errors at their source lines."""
    figures = totals(graph)
    measured = {"flops": figures["macs"], "params": figures["params"]}
    errors: list[ResdslError] = []
    for check in graph.graph.get("checks", []):
        have = measured[check.metric]
        what = "multiply-adds" if check.metric == "flops" else "parameters"
        if check.kind == "budget" and have > check.value:
            over = have - check.value
            errors.append(CheckError(
                f"{graph.graph['name']} has {human(have)} {what}, over the budget of "
                f"{human(check.value)} by {human(over)} ({over / check.value:.1%})",
                check.span, code="E701", hint=_costliest(graph, check.metric)))
        elif check.kind == "expect":
            off = abs(have - check.value) / check.value * 100 if check.value else abs(have)
            if off > check.tolerance:
                errors.append(CheckError(
                    f"{graph.graph['name']} has {human(have)} {what} ({have:,}); expected "
                    f"{human(check.value)} within {check.tolerance:g}%, off by {off:.2f}%",
                    check.span, code="E702"))
    return errors


def _costliest(graph: nx.DiGraph, metric: str) -> str:
    key = "macs" if metric == "flops" else "params"
    by_stage: dict[str, int] = {}
    for _, data in graph.nodes(data=True):
        stage = data["scope"].get("stage") or "stem/head"
        by_stage[stage] = by_stage.get(stage, 0) + data[key]
    top = sorted(by_stage.items(), key=lambda kv: -kv[1])[:3]
    return "costliest: " + ", ".join(f"{name} {human(v)}" for name, v in top)
