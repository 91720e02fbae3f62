"""The JSON IR: the typed graph plus metadata, validated by a versioned JSON Schema."""

from __future__ import annotations

import functools
import json
from dataclasses import asdict
from pathlib import Path

import networkx as nx
from jsonschema import Draft202012Validator

from ..core.errors import IRError, ResdslError, Source, Span, raise_all
from ..core.files import FileProblem, read_limited, refuse_binary
from ..core.limits import LIMITS
from ..core.resources import schema_file
from ..netgraph.builder import check_tensor
from ..netgraph.checks import Check
from ..netgraph.infer import infer, totals
from ..netgraph.meta import NetworkMeta, Output, Stage
from ..netgraph.ops import OPS
from .checks import node_args, wiring
from .recognise import other_output

IR_VERSION = 1


@functools.lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    schema = json.loads(schema_file().read_text())
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def dump(graph: nx.DiGraph) -> dict:
    """The IR of a typed graph, as a JSON-ready dict."""
    meta = NetworkMeta.of(graph)
    figures = totals(graph)
    data = {
        "ir_version": IR_VERSION,
        "network": meta.name,
        "template": meta.network,
        "input": list(meta.input),
        "shortcuts": meta.shortcuts,
        "params": {k: _jsonable(v) for k, v in meta.params.items()},
        "outputs": [_output(o) for o in meta.outputs],
        "stages": [asdict(s) for s in meta.stages],
        "checks": [_check(c) for c in meta.checks],
        "totals": {"macs": figures["macs"], "params": figures["params"]},
        "nodes": [_node(n, d) for n, d in graph.nodes(data=True)],
        "edges": [_edge(u, v, d) for u, v, d in graph.edges(data=True)],
    }
    return data


def _output(o: Output) -> dict:
    # `auxiliary` and `weight` only where given: files without auxiliary heads read as before
    return {"name": o.name, "node": o.node, **({"auxiliary": True} if o.auxiliary else {}),
            **({"weight": o.weight} if o.weight is not None else {})}


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
    try:
        errors = sorted(validator().iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except RecursionError:
        raise IRError(f"{name}: the JSON nests too deeply to be an IR file", code="E801") from None
    raise_all([IRError(f"{name}: {e.json_path}: {_cut(e.message)}", None, code="E801")
               for e in errors[:50]])


def _cut(message: str, most: int = 300) -> str:
    return message if len(message) <= most else message[:most] + "..."


def load(data, name: str = "<ir>") -> nx.DiGraph:
    """Rebuild the typed graph from an IR dict; shapes and costs are re-inferred and compared."""
    validate(data, name)
    graph = nx.DiGraph(name=data["network"])
    errors: list[ResdslError] = []
    index, broken = _add_nodes(graph, data, name, errors)
    _add_edges(graph, data, name, index, broken, errors)
    for i, out in enumerate(data["outputs"]):
        if out["node"] not in index and out["node"] not in broken:
            errors.append(IRError(f"{name}: $.outputs[{i}].node: no node '{out['node']}'", code="E802"))
    raise_all(errors)
    raise_all(wiring(name, graph, index))
    if not nx.is_directed_acyclic_graph(graph):
        raise IRError(f"{name}: $.edges: the graph has a cycle", code="E803")
    _meta(data).write(graph)
    _check_figures(graph, name)
    return graph


def _add_nodes(graph: nx.DiGraph, data: dict, name: str, errors: list[ResdslError]
               ) -> tuple[dict[str, int], set[str]]:
    """The IR's nodes into `graph`: returns each added node's place in the file, and the nodes
    already reported (their edges say nothing more)."""
    index: dict[str, int] = {}
    broken: set[str] = set()
    for i, node in enumerate(data["nodes"]):
        op = OPS.get(node["op"])
        if op is None:
            errors.append(IRError(f"{name}: $.nodes[{i}].op: unknown op '{node['op']}'", code="E802"))
            broken.add(node["id"])
            continue
        if node["id"] in index:
            errors.append(IRError(f"{name}: $.nodes[{i}].id: duplicate id '{node['id']}'", code="E802"))
            continue
        args = node_args(name, f"$.nodes[{i}]", op, node["args"])
        if isinstance(args, ResdslError):
            errors.append(args)
            broken.add(node["id"])
            continue
        index[node["id"]] = i
        graph.add_node(node["id"], op=node["op"], args=args,
                       scope=dict(node["scope"]), span=_span(node.get("span")),
                       in_shapes=[tuple(s) for s in node["in_shapes"]],
                       out_shape=tuple(node["out_shape"]), macs=node["macs"], params=node["params"])
    return index, broken


def _add_edges(graph: nx.DiGraph, data: dict, name: str, index: dict[str, int], broken: set[str],
               errors: list[ResdslError]) -> None:
    for i, edge in enumerate(data["edges"]):
        if edge["source"] in broken or edge["target"] in broken:
            continue
        missing = [end for end in ("source", "target") if edge[end] not in index]
        for end in missing:
            errors.append(IRError(f"{name}: $.edges[{i}].{end}: no node '{edge[end]}'", code="E802"))
        if missing:
            continue
        if graph.has_edge(edge["source"], edge["target"]):
            errors.append(IRError(f"{name}: $.edges[{i}]: a second edge from '{edge['source']}' to "
                                  f"'{edge['target']}'", code="E802"))
            continue
        attrs = {"shape": tuple(edge["shape"]), "port": edge["port"]}
        if "role" in edge:
            attrs["role"] = edge["role"]
        graph.add_edge(edge["source"], edge["target"], **attrs)


def _check_figures(graph: nx.DiGraph, name: str) -> None:
    """The input, shapes and costs the file records, against what the op table gives."""
    (first,) = [n for n, d in graph.nodes(data=True) if d["op"] == "input"]
    if tuple(graph.nodes[first]["args"]["shape"]) != graph.graph["input"]:
        raise IRError(f"{name}: $.input: {list(graph.graph['input'])} is not the input node's "
                      f"shape {list(graph.nodes[first]['args']['shape'])}", code="E805")
    stored = {n: (d["out_shape"], d["macs"], d["params"]) for n, d in graph.nodes(data=True)}
    try:
        infer(graph)
        for _node, data in graph.nodes(data=True):  # the limits a source is held to
            check_tensor(data["op"], data["out_shape"], None)
    except ResdslError as err:
        raise IRError(f"{name}: {err.message}", code="E804", hint=err.hint) from None
    for node, (shape, macs, params) in stored.items():
        d = graph.nodes[node]
        if (d["out_shape"], d["macs"], d["params"]) != (shape, macs, params):
            raise IRError(f"{name}: node '{node}' records {shape}, {macs} MACs, {params} params, "
                          f"but its op gives {d['out_shape']}, {d['macs']}, {d['params']}", code="E805")


def _meta(data: dict) -> NetworkMeta:
    """The network's metadata from an IR dict (the schema has checked its keys and types)."""
    return NetworkMeta(
        data["network"], data.get("template", data["network"]), tuple(data["input"]),
        outputs=[Output(o["name"], o["node"], o.get("auxiliary", False), o.get("weight"))
                 for o in data["outputs"]],
        stages=[Stage(s["name"], s.get("title"), s["block"], s["repeat"], s["first"], s["last"])
                for s in data.get("stages", [])],
        shortcuts=data.get("shortcuts", "B"), params=dict(data.get("params", {})),
        checks=[Check(c["kind"], c["metric"], c["value"], c["tolerance"], _span(c.get("span")))
                for c in data.get("checks", [])])


def _span(data: dict | None) -> Span | None:
    """Where the source said a node came from. The file is never opened: an IR file may name any
    path (a FIFO, /dev/zero), so diagnostics about it show the place without the text."""
    if data is None:
        return None
    source = Source(data["file"], "", private=True)
    return Span(source, data["line"], data["column"], data["end_line"], data["end_column"])


MAX_DIGITS = 30  # an integer longer than this is no size or count (Python refuses 4,300+)


def _integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_DIGITS:
        raise _TooLong(f"an integer of {len(text)} digits")
    return int(text)


def _constant(text: str):
    raise _TooLong(f"{text} is not a number JSON allows")


class _TooLong(ValueError):
    pass


def parse_json(raw: bytes, name: str):
    """The JSON value of an IR file's bytes; every failure an E806 with the place."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        raise IRError(f"{name}: byte {err.start + 1} is not UTF-8 ({raw[err.start:err.start + 1]!r})",
                      code="E806", hint="an IR file is UTF-8 JSON, as 'resdsl compile -o x.json' "
                                        "writes it") from None
    try:
        return json.loads(text, parse_int=_integer, parse_constant=_constant)
    except json.JSONDecodeError as err:
        raise IRError(f"{name}:{err.lineno}:{err.colno}: not valid JSON: {err.msg}", code="E806") from None
    except _TooLong as err:
        raise IRError(f"{name}: not an IR file: {err}", code="E806") from None
    except RecursionError:
        raise IRError(f"{name}: the JSON nests too deeply to be an IR file", code="E806") from None


def read(path: str | Path) -> nx.DiGraph:
    """Read an IR file (through core.files.read_limited: regular files, at most
    RESDSL_MAX_IR_BYTES) and rebuild its graph."""
    name = str(path)
    try:
        raw = read_limited(path, LIMITS.ir_bytes, "RESDSL_MAX_IR_BYTES",
                           look=lambda head: refuse_binary(path, head))
    except FileProblem as problem:
        if problem.kind == "binary":  # named for what it is, before its size or its bytes
            raise IRError(f"cannot read {name}: not an IR file ({problem.reason})", code="E508",
                          hint="the IR is the JSON that 'resdsl compile FILE -o net.json' writes") from None
        raise IRError(f"cannot read {name}: {problem.reason}", code="E807") from None
    data = parse_json(raw, name)
    other = other_output(data)
    if other is not None:
        raise IRError(f"{name} is {other}, not the IR", code="E810",
                      hint="the IR is what 'resdsl compile FILE -o net.json' writes; or give the "
                           ".rdsl source or a bundled name")
    return load(data, name)
