"""Hover: what a position shows in an editor's tooltip.

`hover(text, path, line, column)` -> `{"markdown": str, "range": {"line", "column", "end_line",
"end_column"}}` or None. On a layer or a block call: its output shape, multiply-adds and
parameters in each network the text builds (one row per use of the block it sits in); on a
block's or template's name: its signature and the comment above it; on an op: its arguments from
the op table; on an instance's name: the network's totals; on a budget or expectation: what the
network has; on a shortcut option: how it makes shortcuts.
"""

from __future__ import annotations

from ..language import ast
from ..netgraph.ops import ALIASES, OPS
from .analysis import Analysis, analyse
from .describe import MOST_NETWORKS, definition_text, measured_text, network_text, op_text
from .figures import Use, call_uses, layer_uses, stage_uses
from .locate import chain_at, name_span, touches, word_at


def hover(text: str, path: str | None, line: int, column: int) -> dict | None:
    """The hover at a 1-based line and character column of `text` (the file at `path`, or
    None for an unsaved text), or None where there is nothing to say."""
    found = analyse(text, path)
    if found.module is None:  # no syntax tree: still explain an op by its name
        word = word_at(found.line(line), line, column)
        return _result(op_text(word.text), word) if word and _is_op(word.text) else None
    chain = chain_at(found.module, line, column)
    if not chain:
        return None
    item = chain[0]
    if isinstance(item, (ast.BlockDef, ast.NetworkDef, ast.Instance)) and \
            touches(name_span(item), line, column):
        return _item_name(found, item)
    for node in reversed(chain[1:]):
        said = _at(found, item, node, line, column)
        if said is not None:
            return said
    if isinstance(item, ast.Instance) and touches(item.base_span, line, column):
        return _name(found, item.base, item.base_span, item)
    return None


def _result(markdown: str, where) -> dict:
    end_line = getattr(where, "end_line", where.line)
    return {"markdown": markdown, "range": {"line": where.line, "column": where.column,
                                            "end_line": end_line, "end_column": where.end_column}}


def _is_op(name: str) -> bool:
    op = OPS.get(ALIASES.get(name, name))
    return op is not None and not op.internal


def _item_name(found: Analysis, item) -> dict:
    where = name_span(item)
    if isinstance(item, ast.Instance):
        graph = found.graphs.get(item.name)
        text = network_text(item.name, graph) if graph is not None else f"**{item.name}** (network)"
        return _result(text, where)
    text = definition_text(item)
    if isinstance(item, ast.NetworkDef) and item.name in found.graphs:
        text += "\n\n" + network_text(item.name, found.graphs[item.name])
    return _result(text, where)


def _at(found: Analysis, item, node, line: int, column: int) -> dict | None:
    """What one syntax node says, if the position is on something it names."""
    if isinstance(node, ast.Var):
        return _name(found, node.name, node.span, item)
    if isinstance(node, ast.Call) and touches(node.name_span, line, column):
        return _name(found, node.name, node.name_span, item)
    if isinstance(node, ast.Layer):
        return _layer(found, item, node, line, column)
    if isinstance(node, (ast.ShortcutsDecl, ast.ChangeShortcuts)):
        return _policy(node.kind, node.span)
    if isinstance(node, (ast.Figure, ast.Limit)) and item.name in found.graphs:
        return _result(measured_text(found.graphs[item.name], node.metric), node.span)
    if isinstance(node, ast.Stage):
        head = _name(found, node.block, node.block_span, item) \
            if touches(node.block_span, line, column) else None
        rows = _rows(found, lambda g: stage_uses(g, node, found.name))
        return _joined(head, rows, node.span, f"stage `{node.name}`")
    return None


def _layer(found: Analysis, item, layer: ast.Layer, line: int, column: int) -> dict | None:
    on_name = touches(layer.op_span, line, column)
    head = _name(found, layer.op, layer.op_span, item) if on_name else None
    blocks = found.scope.blocks() if found.scope else set()
    if layer.op in blocks and isinstance(item, (ast.BlockDef, ast.NetworkDef)):
        rows = _rows(found, lambda g: call_uses(g, item, layer, found.name, blocks.__contains__))
    else:
        rows = _rows(found, lambda g: layer_uses(g, layer, found.name))
    return _joined(head, rows, layer.op_span if on_name else layer.span, f"`{layer.op}`")


def _joined(head: dict | None, rows: list[str], span, what: str) -> dict | None:
    if not rows:
        return head
    figures = "\n".join(rows)
    text = f"{head['markdown']}\n\n---\n\n{figures}" if head else f"{what}\n\n{figures}"
    return _result(text, span)


def _rows(found: Analysis, uses_in) -> list[str]:
    """One line per network that uses the statement (a few networks at most)."""
    rows = []
    for name, graph in found.graphs.items():
        uses = uses_in(graph)
        if uses:
            rows.append(_row(name, uses))
    if len(rows) > MOST_NETWORKS:
        rows = rows[:MOST_NETWORKS] + [f"- and {len(rows) - MOST_NETWORKS} more networks"]
    return rows


def _row(network: str, uses: list[Use]) -> str:
    from ..core.units import human

    if len(uses) == 1:
        return f"- **{network}** {uses[0].describe()}"
    macs, params = sum(u.macs for u in uses), sum(u.params for u in uses)
    return (f"- **{network}**: {len(uses)} uses, {human(macs)} multiply-adds and {params:,} "
            f"params in all; the first, {uses[0].describe()}")


def _name(found: Analysis, name: str, span, item) -> dict | None:
    """A name as written somewhere: a parameter, a block or template, a network, an op."""
    params = getattr(item, "params", ())
    for param in params:
        if param.name == name:
            default = f" (default `{_source(param.default)}`)" if param.default else ""
            return _result(f"parameter `{name}` of `{item.name}`{default}", span)
    scope = found.scope
    definition = scope.lookup(name) if scope else None
    if definition is not None:
        target, home = definition
        if isinstance(target, ast.Instance):
            graph = found.graphs.get(name)
            return _result(network_text(name, graph) if graph is not None else f"**{name}** (network)",
                           span)
        where = None if home is scope else (home.path.name if home.path else None)
        return _result(definition_text(target, where), span)
    if _is_op(name):
        return _result(op_text(name), span)
    return _policy(name, span)


def _policy(name: str, span) -> dict | None:
    """A shortcut option (`shortcuts B`, `shortcuts: A`): how it makes shortcuts."""
    from ..netgraph.shortcuts import POLICIES

    policy = POLICIES.get(name)
    return _result(f"**shortcuts {name}**: {policy.doc}", span) if policy else None


def _source(expr) -> str:
    span = expr.span
    line = span.source.line(span.line)
    end = span.end_column if span.end_line == span.line else len(line) + 1
    return line[span.column - 1:end - 1]
