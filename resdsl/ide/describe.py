"""Words about names: a block's or template's signature and the comment above it, an op's
arguments from the op table, a network's totals. Markdown, as editors show hovers."""

from __future__ import annotations

import networkx as nx

from ..core.units import human
from ..language import ast
from ..netgraph.ops import ALIASES, OPS, REQUIRED
from .figures import shape_text

MOST_NETWORKS = 4  # a hover lists the figures of this many networks at most


def signature(item: ast.BlockDef | ast.NetworkDef) -> str:
    """`block basic(width, stride = 1)` as written, on one line."""
    span = item.span
    lines = span.source.text.split("\n")[span.line - 1:span.end_line]
    text = "\n".join(lines)[span.column - 1:]
    head = text.split("{", 1)[0]
    return " ".join(head.split())


def doc_comment(item: ast.BlockDef | ast.NetworkDef | ast.Instance) -> str:
    """The comment lines right above a definition, and a comment after its first line."""
    source, first = item.span.source, item.span.line
    above: list[str] = []
    number = first - 1
    while number >= 1 and source.line(number).strip().startswith("#"):
        above.insert(0, source.line(number).strip().lstrip("#").strip())
        number -= 1
    before, comment, after = source.line(first).partition("#")
    if comment and '"' not in before:  # a '#' inside a string is no comment
        above.append(after.strip())
    return "\n".join(above).strip()


def definition_text(item: ast.BlockDef | ast.NetworkDef, where: str | None = None) -> str:
    kind = "block" if isinstance(item, ast.BlockDef) else "network template"
    head = f"```rdsl\n{signature(item)}\n```"
    comment = doc_comment(item)
    origin = f"\n\n{kind}" + (f" from `{where}`" if where else "")
    return head + (f"\n\n{comment}" if comment else "") + origin


def op_text(name: str) -> str:
    """An op's description and its arguments, from its table entry."""
    op = OPS[ALIASES.get(name, name)]
    lines = [f"**{op.name}** (op): {op.doc}"]
    if name != op.name:
        lines[0] += f" ('{name}' is another name for '{op.name}')"
    if op.args:
        lines.append("")
        lines.append("arguments:")
    for arg in op.args:
        default = "required" if arg.default is REQUIRED else (
            "optional" if arg.default is None else f"default {_value(arg.default)}")
        doc = f": {arg.doc}" if arg.doc else ""
        lines.append(f"- `{arg.name}` ({arg.kind}, {default}){doc}")
    return "\n".join(lines)


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return "x".join(str(v) for v in value)
    return str(value)


def network_text(name: str, graph: nx.DiGraph) -> str:
    """A built network's totals: output, multiply-adds, parameters, depth."""
    from ..netgraph.infer import totals

    figures = totals(graph)
    outputs = ", ".join(shape_text(s) for s in figures["outputs"].values())
    return (f"**{name}** (network `{graph.graph['network']}`): input "
            f"{shape_text(graph.graph['input'])}, output {outputs}\n\n"
            f"- {human(figures['macs'])} multiply-adds ({figures['macs']:,})\n"
            f"- {figures['params']:,} params\n"
            f"- {figures['depth']} weighted layers, {figures['layers']} nodes")


def measured_text(graph: nx.DiGraph, metric: str) -> str:
    """What a network has of the metric a budget or an expectation names."""
    from ..netgraph.infer import totals

    figures = totals(graph)
    key, what = {"flops": ("macs", "multiply-adds"), "macs": ("macs", "multiply-adds"),
                 "params": ("params", "params")}.get(metric, (None, metric))
    if key is None:
        return f"`{metric}`"
    return f"**{graph.graph['name']}** has {human(figures[key])} {what} ({figures[key]:,})"
