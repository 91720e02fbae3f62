"""A semantic diff of two typed graphs: what differs in their structure, and what it costs.

Stages and stem/head rows are matched by name, layers by node id (the module path), so two
variants of one template line up layer by layer. `diff(a, b)` is a JSON-ready dict (docs/flops.md);
every change reads B minus A.
"""

from __future__ import annotations

from collections import Counter

import networkx as nx

from ..netgraph.ops import OPS
from .costs import Grouped, Row, block_structure, cost_rows, group, stage_blocks
from .layout import downsampling, kind_words, shortcut_kinds
from .report import CONVENTION

DIFF_VERSION = 2  # the diff's own: 2 since `flops` became `float_ops`
_COSTS = ("macs", "params", "shortcut_macs", "shortcut_params")


def _value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return str(value[0]) if len(set(value)) == 1 else "x".join(map(str, value))
    return str(value)


def _label(graph: nx.DiGraph, node: str) -> str:
    data = graph.nodes[node]
    return OPS[data["op"]].describe(data["args"])


# -- what differs --------------------------------------------------------------------------------

def _source_changes(a: nx.DiGraph, b: nx.DiGraph) -> list[tuple]:
    """What the source says differently: the template, and each of its parameters
    (`k: 10 -> 4`, `block: basic -> bottleneck`), as written in the language."""
    changes: list[tuple] = []
    if a.graph.get("network") != b.graph.get("network"):
        changes.append(("template", "network", str(a.graph.get("network")), str(b.graph.get("network"))))
    params_a, params_b = a.graph.get("params") or {}, b.graph.get("params") or {}
    for key in [*params_a, *(k for k in params_b if k not in params_a)]:
        va, vb = params_a.get(key), params_b.get(key)
        if _source_value(va) != _source_value(vb):
            changes.append((f"parameter {key}", "network", _source_value(va), _source_value(vb)))
    return changes


def _source_value(value) -> str | None:
    return None if value is None else _written(value)


def _written(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_written(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return _value(value)


def _network_changes(a: nx.DiGraph, b: nx.DiGraph) -> list[tuple]:
    changes = _source_changes(a, b)
    for what, key in (("input", "input"), ("shortcut option", "shortcuts")):
        if a.graph.get(key) != b.graph.get(key):
            changes.append((what, "network", _value(a.graph.get(key)), _value(b.graph.get(key))))
    outs = [{o.name: g.nodes[o.node]["out_shape"] for o in g.graph["outputs"]} for g in (a, b)]
    if outs[0] != outs[1]:
        changes.append(("output", "network", *(", ".join(f"{k} {_value(v)}" for k, v in o.items())
                                               for o in outs)))
    return changes


def _shortcut_words(kinds: dict[str, list[str]]) -> str:
    """`all identity`, or `projection on layer2.0; identity on the rest`."""
    if len(kinds) == 1:
        return f"all {kind_words(next(iter(kinds)))}"
    special = "; ".join(f"{kind} on {', '.join(blocks)}" for kind, blocks in kinds.items()
                        if kind != "identity")
    return special + ("; identity on the rest" if "identity" in kinds else "")


def _stage_facts(graph: nx.DiGraph, grouped: Grouped, row: Row) -> dict[str, str]:
    """What a row is made of, as words to compare (counts apart from `blocks`)."""
    meta = next((s for s in graph.graph.get("stages", []) if s.name == row.name), None)
    if meta is None:
        return {"structure": row.structure, "output size": "x".join(map(str, row.output))}
    blocks = stage_blocks(graph, row.name, grouped)
    strided = [e for e in downsampling(graph, grouped) if e["block"] in blocks]
    kinds = {kind: [b for b in members if b in blocks]
             for kind, members in shortcut_kinds(graph, grouped).items()}
    return {
        "block type": meta.block,
        "blocks": str(meta.repeat),
        "structure": ", ".join(dict.fromkeys(block_structure(graph, m) for m in blocks.values())),
        "width": str(row.output[0]),
        "output size": "x".join(map(str, row.output)),
        "stride placement": "; ".join(f"stride {e['stride']} on {e['place']} ({e['layer']})"
                                      for e in strided) or "none",
        "shortcuts": _shortcut_words({k: v for k, v in kinds.items() if v}),
    }


def _row_changes(a: nx.DiGraph, b: nx.DiGraph, rows_a: dict, rows_b: dict) -> list:
    changes: list[tuple] = []
    grouped_a, grouped_b = group(a), group(b)
    for name in [*rows_a, *(n for n in rows_b if n not in rows_a)]:
        if name not in rows_a or name not in rows_b:
            have = rows_a.get(name) or rows_b[name]
            words = f"{have.kind} {have.structure}"
            changes.append(("stage", name, words if name in rows_a else None,
                            words if name in rows_b else None))
            continue
        facts_a = _stage_facts(a, grouped_a, rows_a[name])
        facts_b = _stage_facts(b, grouped_b, rows_b[name])
        for what in facts_a:
            if facts_a[what] != facts_b.get(what):
                changes.append((what, name, facts_a[what], facts_b.get(what)))
    return changes


def _layer_changes(a: nx.DiGraph, b: nx.DiGraph, rows_a: dict, rows_b: dict, names: tuple) -> list:
    changes: list[tuple] = []
    for node in (n for n in a if n in b and a.nodes[n]["op"] != "input"):
        da, db = a.nodes[node], b.nodes[node]
        if da["op"] != db["op"]:
            changes.append(("layer", node, _label(a, node), _label(b, node)))
            continue
        keys = [k for k in da["args"] if da["args"][k] != db["args"].get(k)]
        if keys:
            changes.append(("arguments", node, ", ".join(f"{k} {_value(da['args'][k])}" for k in keys),
                            ", ".join(f"{k} {_value(db['args'][k])}" for k in keys)))
    for graph, other, rows, side in ((a, b, rows_a, 0), (b, a, rows_b, 1)):
        for row in rows.values():
            alone = [n for n in row.nodes if n not in other]
            if not alone:
                continue
            ops = Counter(graph.nodes[n]["op"] for n in alone)
            words = ", ".join(f"{count} {op}" for op, count in ops.items())
            changes.append((f"layers only in {names[side]}", row.name,
                            words if side == 0 else None, words if side == 1 else None))
    return changes


def _merge(changes: list[tuple]) -> list[dict]:
    """One entry per distinct change, listing every place it happens."""
    merged: dict[tuple, list[str]] = {}
    for what, where, before, after in changes:
        merged.setdefault((what, before, after), []).append(where)
    return [{"what": what, "where": ", ".join(wheres), "a": before, "b": after}
            for (what, before, after), wheres in merged.items()]


# -- what it costs -------------------------------------------------------------------------------

def _costs(row: Row | None) -> dict | None:
    return None if row is None else {key: getattr(row, key) for key in _COSTS}


def _change(a: dict | None, b: dict | None) -> dict:
    return {f"{key}_change": (b or {}).get(key, 0) - (a or {}).get(key, 0) for key in _COSTS}


def diff(a: nx.DiGraph, b: nx.DiGraph, names: tuple[str, str] | None = None) -> dict:
    """What differs between networks A and B, and the change in cost per stage (B minus A)."""
    names = names or (a.graph["name"], b.graph["name"])
    rows_a = {r.name: r for r in cost_rows(a, "stage")}
    rows_b = {r.name: r for r in cost_rows(b, "stage")}
    stages = []
    for name in [*rows_a, *(n for n in rows_b if n not in rows_a)]:
        ra, rb = rows_a.get(name), rows_b.get(name)
        title = rows_a[name].title if name in rows_a else rows_b[name].title
        stages.append({"name": name, "title": title, "a": _costs(ra), "b": _costs(rb),
                       **_change(_costs(ra), _costs(rb))})
    total_a = {k: sum(getattr(r, k) for r in rows_a.values()) for k in _COSTS}
    total_b = {k: sum(getattr(r, k) for r in rows_b.values()) for k in _COSTS}
    changes = (_network_changes(a, b) + _row_changes(a, b, rows_a, rows_b)
               + _layer_changes(a, b, rows_a, rows_b, names))
    return {"report_version": DIFF_VERSION, "a": names[0], "b": names[1],
            "convention": CONVENTION, "differences": _merge(changes), "stages": stages,
            "totals": {"a": total_a, "b": total_b, **_change(total_a, total_b)}}


def differ(data: dict) -> bool:
    """Whether a diff found anything: a difference in structure or in any cost (`--exit-code`)."""
    totals = data["totals"]
    return bool(data["differences"]) or totals["a"] != totals["b"] or \
        any(stage["a"] != stage["b"] for stage in data["stages"])
