"""The cost report of a network (and a family table of several): the JSON-ready dict that every
output format renders (see docs/flops.md)."""

from __future__ import annotations

from typing import Sequence

import networkx as nx

from ..netgraph.checks import Check
from ..netgraph.infer import totals
from .check import check_results
from .costreport import CostReport, FamilyReport
from .costs import Row, activation_memory, cost_rows, group
from .layout import layout, short_layout

CONVENTION = ("FLOPs = multiply-adds of convolutions and fully connected layers "
              "(the paper's convention)")
# 2: `flops` (which was 2 x macs) is `float_ops`; 3: `output` is `outputs` (as `resdsl list` says),
# and a family's networks carry `layout` and `activations` as one network's report does
REPORT_VERSION = 3


# -- the report ----------------------------------------------------------------------------------

def _row_json(row: Row, batch: int) -> dict:
    return {"name": row.name, "kind": row.kind, "title": row.title, "structure": row.structure,
            "output": list(row.output), "macs": row.macs, "float_ops": 2 * row.macs,
            "params": row.params, "shortcut_macs": row.shortcut_macs,
            "shortcut_params": row.shortcut_params, "activations": row.activations * batch}


def totals_json(graph: nx.DiGraph) -> dict:
    figures = totals(graph)
    return {"macs": figures["macs"], "float_ops": 2 * figures["macs"], "params": figures["params"],
            "depth": figures["depth"], "layers": figures["layers"],
            "outputs": {k: list(v) for k, v in figures["outputs"].items()}}


def _layout(graph: nx.DiGraph, grouped) -> dict:
    """Where the network strides and what its shortcuts are, with the one phrase a family table
    shows (`short`)."""
    return {**layout(graph, grouped), "short": short_layout(graph, grouped)}


def report(graph: nx.DiGraph, by: str = "stage", batch: int = 1,
           extra_checks: Sequence[Check] = ()) -> CostReport:
    """The whole cost report of one network as a JSON-ready dict (shape: docs/flops.md)."""
    figures = totals_json(graph)
    grouped = group(graph)
    return CostReport({
        "report_version": REPORT_VERSION,
        "network": graph.graph["name"],
        "template": graph.graph.get("network", graph.graph["name"]),
        "convention": CONVENTION,
        "input": list(graph.graph["input"]),
        "outputs": figures["outputs"],
        "macs": figures["macs"],
        "float_ops": figures["float_ops"],
        "params": figures["params"],
        "depth": figures["depth"],
        "layers": figures["layers"],
        "by": by,
        "layout": _layout(graph, grouped),
        "activations": activation_memory(graph, batch, grouped),
        "checks": check_results(graph, list(extra_checks)),
        "rows": [_row_json(row, batch) for row in cost_rows(graph, by, grouped)],
    })


def family(graphs: list[nx.DiGraph], batch: int = 1,
           extra_checks: Sequence[Check] = ()) -> FamilyReport:
    """One row per network (the FLOPs row of Table 1 for the ResNet file)."""
    networks = []
    for graph in graphs:
        figures = totals_json(graph)
        grouped = group(graph)
        networks.append({
            "network": graph.graph["name"], "template": graph.graph.get("network"),
            "input": list(graph.graph["input"]), "outputs": figures["outputs"],
            "depth": figures["depth"], "layers": figures["layers"],
            "layout": _layout(graph, grouped),
            "macs": figures["macs"], "float_ops": figures["float_ops"], "params": figures["params"],
            "activations": activation_memory(graph, batch, grouped),
            "checks": check_results(graph, list(extra_checks)),
        })
    return FamilyReport({"report_version": REPORT_VERSION, "convention": CONVENTION,
                         "batch": batch, "networks": networks})
