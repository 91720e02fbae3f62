"""What `resdsl check` reports: per network a line for people and an entry for machines (schema:
analysis/schema/check-v1.json), and the failed checks as errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import networkx as nx

from ..core.errors import ResdslError
from ..core.units import counted, human
from ..netgraph.checks import Check
from ..netgraph.ops import fmt as shape_text
from .check import check_results, run_checks
from .report import totals_json

CHECK_VERSION = 1


@dataclass
class CheckReport:
    data: dict
    lines: list[str] = field(default_factory=list)
    problems: list[ResdslError] = field(default_factory=list)


def check_report(graphs: Sequence[nx.DiGraph], budgets: Sequence[Check],
                 libraries: Sequence[tuple[str, dict[str, int]]] = ()) -> CheckReport:
    """Check every network against its own expectations and budgets and `budgets` (the command
    line's); `libraries` are files of definitions only, with their counts of blocks and templates."""
    report = CheckReport({"report_version": CHECK_VERSION, "networks": [], "libraries": []})
    for graph in graphs:
        entry = _network(graph, budgets)
        report.data["networks"].append(entry)
        report.lines.append(_line(entry))
        report.problems += run_checks(graph, list(budgets))
    for file, counts in libraries:
        report.data["libraries"].append({"file": str(file), **counts})
        written = ", ".join(f"{n} {what}{'s' if n != 1 else ''}" for what, n in counts.items())
        report.lines.append(f"{file}: {written}, names resolve; no network to build (add an instance "
                            "such as 'net = resnet(basic, [2, 2, 2, 2])' to build one)")
    report.data["ok"] = not report.problems
    return report


def _network(graph: nx.DiGraph, budgets: Sequence[Check]) -> dict:
    figures = totals_json(graph)
    checks = check_results(graph, list(budgets))
    return {"network": graph.graph["name"], "input": list(graph.graph["input"]),
            "outputs": figures["outputs"], "depth": figures["depth"], "layers": figures["layers"],
            "params": figures["params"], "macs": figures["macs"], "checks": checks,
            "ok": all(c["ok"] for c in checks)}


def _line(entry: dict) -> str:
    outputs = entry["outputs"]
    shown = ", ".join(f"{k} {shape_text(v)}" if len(outputs) > 1 else shape_text(v)
                      for k, v in outputs.items())
    checks = entry["checks"]
    status = f", {sum(c['ok'] for c in checks)}/{len(checks)} checks pass" if checks else ""
    return (f"{entry['network']}: {counted(entry['depth'], 'weighted layer')} "
            f"({counted(entry['layers'], 'node')}), {entry['params']:,} params, "
            f"{human(entry['macs'])} multiply-adds, input {shape_text(entry['input'])}, "
            f"output {shown}{status}")
