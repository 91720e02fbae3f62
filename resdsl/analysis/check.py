"""Budgets and expectations against a typed graph."""

from __future__ import annotations

from typing import Sequence

import networkx as nx

from ..core.errors import CheckError, ResdslError
from ..core.units import human
from ..netgraph.checks import Check
from ..netgraph.infer import totals
from .costs import cost_rows

__all__ = ["run_checks", "check_results", "command_line_budget"]

_WHAT = {"flops": "multiply-adds", "params": "parameters"}
_OPTION = {"flops": "--max-flops", "params": "--max-params"}


def command_line_budget(metric: str, value: int) -> Check:
    """A budget given as --max-flops/--max-params: it has no source line."""
    return Check("budget", metric, value, 0.0, None)


def _measured(graph: nx.DiGraph) -> dict[str, int]:
    figures = totals(graph)
    return {"flops": figures["macs"], "params": figures["params"]}


def _off(check: Check, have: int) -> float:
    """How far an expectation is off, in percent."""
    return abs(have - check.value) / check.value * 100 if check.value else abs(have)


def _passes(check: Check, have: int) -> bool:
    if check.kind == "budget":
        return have <= check.value
    return _off(check, have) <= check.tolerance


def check_results(graph: nx.DiGraph, extra: Sequence[Check] = ()) -> list[dict]:
    """Every check as data: what it asks, what the network has, whether it holds, where it is."""
    measured = _measured(graph)
    return [{"kind": c.kind, "metric": c.metric, "value": c.value,
             "tolerance": c.tolerance if c.kind == "expect" else None,
             "measured": measured[c.metric], "ok": _passes(c, measured[c.metric]),
             "where": str(c.span) if c.span else "command line"}
            for c in [*graph.graph.get("checks", []), *extra]]


def run_checks(graph: nx.DiGraph, extra: Sequence[Check] = ()) -> list[ResdslError]:
    """Every budget exceeded and every expectation missed, as errors at their source lines;
    `extra` are budgets from the command line."""
    measured = _measured(graph)
    errors: list[ResdslError] = []
    for check in [*graph.graph.get("checks", []), *extra]:
        have = measured[check.metric]
        if _passes(check, have):
            continue
        what = _WHAT[check.metric]
        if check.kind == "budget":
            over = have - check.value
            budget = f"the budget of {human(check.value)}" if check.span else \
                f"the command line's {_OPTION[check.metric]} {human(check.value)}"
            share = f" ({over / check.value:.1%})" if check.value else ""
            errors.append(CheckError(
                f"{graph.graph['name']} has {human(have)} {what}, over {budget} by "
                f"{human(over)}{share}",
                check.span, code="E701", hint=_costliest(graph, check.metric)))
        else:
            errors.append(CheckError(
                f"{graph.graph['name']} has {human(have)} {what} ({have:,}); expected "
                f"{human(check.value)} within {check.tolerance:g}%, off by {_off(check, have):.2f}%",
                check.span, code="E702"))
    return errors


def _costliest(graph: nx.DiGraph, metric: str) -> str:
    """The three stages (or stem and head) that cost most, with their share of the whole."""
    key = "macs" if metric == "flops" else "params"
    rows = cost_rows(graph, "stage")
    total = sum(getattr(r, key) for r in rows) or 1
    top = sorted(rows, key=lambda r: -getattr(r, key))[:3]
    return "costliest: " + ", ".join(
        f"{r.name}{f' ({r.title})' if r.title else ''} {human(getattr(r, key))} "
        f"({getattr(r, key) / total:.0%})" for r in top)
