"""Budgets and expectations as the graph carries them (graph.graph["checks"]); analysis/check.py
measures them."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.errors import Span


@dataclass(frozen=True)
class Check:
    """A budget (`kind == "budget"`: value is a maximum) or an expectation (value within tolerance %)."""

    kind: str
    metric: str
    value: float
    tolerance: float
    span: Span | None  # None for a budget given on the command line
