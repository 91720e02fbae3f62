"""The JSON IR: the typed graph plus metadata, validated by a versioned JSON Schema."""

from __future__ import annotations

import functools
import json
from pathlib import Path

import networkx as nx
from jsonschema import Draft202012Validator

from ..core.errors import IRError, ResdslError, Source, Span, raise_all
from ..core.resources import schema_file
from ..netgraph.checks import Check
from ..netgraph.infer import infer, totals
from ..netgraph.ops import OPS

IR_VERSION = 1


@functools.lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(schema_file().read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def dump(graph: nx.DiGraph) -> dict:
    """The IR of a typed graph, as a JSON-ready dict."""
    meta = graph.graph
    figures = totals(graph)
    data = {
        "ir_version": IR_VERSION,
        "network": meta["name"],
        "template": meta.get("network", meta["name"]),
        "input": list(meta["input"]),
        "shortcuts": meta.get("shortcuts", "B"),
        "params": {k: _jsonable(v) for k, v in meta.get("params", {}).items()},
        "outputs": [dict(o) for o in meta["outputs"]],
        "stages": [dict(s) for s in meta.get("stages", [])],
        "checks": [_check(c) for c in meta.get("checks", [])],
        "totals": {"macs": figures["macs"], "params": figures["params"]},
        "nodes": [_node(n, d) for n, d in graph.nodes(data=True)],
        "edges": [_edge(u, v, d) for u, v, d in graph.edges(data=True)],
    }
    return data


def dumps(graph: nx.DiGraph) -> str:
    return json.dumps(dump(graph), indent=1)


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    return str(value)


def _check(c: Check) -> dict:
    out = {"kind": c.kind, "metric": c.metric, "value": c.value, "tolerance": c.tolerance}
    if c.span is not None:
        out["span"] = c.span.to_json()
    return out


def _node(node: str, d: dict) -> dict:
    out = {"id": node, "op": d["op"], "args": {k: _jsonable(v) for k, v in d["args"].items()},
           "scope": dict(d["scope"]), "in_shapes": [list(s) for s in d["in_shapes"]],
           "out_shape": list(d["out_shape"]), "macs": d["macs"], "params": d["params"]}
    if d.get("span") is not None:
        out["span"] = d["span"].to_json()
    return out


def _edge(u: str, v: str, d: dict) -> dict:
    out = {"source": u, "target": v, "shape": list(d["shape"]), "port": d["port"]}
    if "role" in d:
        out["role"] = d["role"]
    return out


def validate(data, name: str = "<ir>") -> None:
    """Every schema violation, each with its JSON path (`$.nodes[1].op`)."""
    errors = sorted(validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    raise_all([IRError(f"{name}: {e.json_path}: {e.message}", None, code="E801") for e in errors])


def load(data: dict, name: str = "<ir>") -> nx.DiGraph:
    """Rebuild the typed graph from an IR dict; shapes and costs are re-inferred and compared."""
    validate(data, name)
    graph = nx.DiGraph(name=data["network"])
    errors: list[ResdslError] = []
    ids = set()
    for i, node in enumerate(data["nodes"]):
        if node["op"] not in OPS:
            errors.append(IRError(f"{name}: $.nodes[{i}].op: unknown op '{node['op']}'", code="E802"))
            continue
        if node["id"] in ids:
            errors.append(IRError(f"{name}: $.nodes[{i}].id: duplicate id '{node['id']}'", code="E802"))
        ids.add(node["id"])
        graph.add_node(node["id"], op=node["op"], args=_args(node["op"], node["args"]),
                       scope=dict(node["scope"]), span=_span(node.get("span")),
                       in_shapes=[tuple(s) for s in node["in_shapes"]],
                       out_shape=tuple(node["out_shape"]), macs=node["macs"], params=node["params"])
    for i, edge in enumerate(data["edges"]):
        for end in ("source", "target"):
            if edge[end] not in ids:
                errors.append(IRError(f"{name}: $.edges[{i}].{end}: no node '{edge[end]}'", code="E802"))
        attrs = {"shape": tuple(edge["shape"]), "port": edge["port"]}
        if "role" in edge:
            attrs["role"] = edge["role"]
        graph.add_edge(edge["source"], edge["target"], **attrs)
    for i, out in enumerate(data["outputs"]):
        if out["node"] not in ids:
            errors.append(IRError(f"{name}: $.outputs[{i}].node: no node '{out['node']}'", code="E802"))
    raise_all(errors)
    if not nx.is_directed_acyclic_graph(graph):
        raise IRError(f"{name}: $.edges: the graph has a cycle", code="E803")
    graph.graph.update(
        name=data["network"], network=data.get("template", data["network"]),
        input=tuple(data["input"]), outputs=[dict(o) for o in data["outputs"]],
        stages=[dict(s) for s in data.get("stages", [])], shortcuts=data.get("shortcuts", "B"),
        params=dict(data.get("params", {})),
        checks=[Check(c["kind"], c["metric"], c["value"], c["tolerance"], _span(c.get("span")))
                for c in data.get("checks", [])],
        span=None,
    )
    stored = {n: (d["out_shape"], d["macs"], d["params"]) for n, d in graph.nodes(data=True)}
    try:
        infer(graph)
    except ResdslError as err:
        raise IRError(f"{name}: {err.message}", code="E804") from None
    for node, (shape, macs, params) in stored.items():
        d = graph.nodes[node]
        if (d["out_shape"], d["macs"], d["params"]) != (shape, macs, params):
            raise IRError(f"{name}: node '{node}' records {shape}, {macs} MACs, {params} params, "
                          f"but its op gives {d['out_shape']}, {d['macs']}, {d['params']}", code="E805")
    return graph


def _args(op: str, args: dict) -> dict:
    """JSON lists back to the tuples the op table uses."""
    return {k: tuple(v) if isinstance(v, list) else v for k, v in args.items()}


_SOURCES: dict[str, Source] = {}


def _span(data: dict | None) -> Span | None:
    if data is None:
        return None
    source = _SOURCES.setdefault(data["file"], _read_source(data["file"]))
    return Span(source, data["line"], data["column"], data["end_line"], data["end_column"])


def _read_source(name: str) -> Source:
    try:
        return Source(name, Path(name).read_text())
    except (OSError, UnicodeDecodeError):
        return Source(name, "")


def read(path: str | Path) -> nx.DiGraph:
    path = Path(path)
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as err:
        raise IRError(f"{path}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}", code="E806") from None
    return load(data, str(path))
