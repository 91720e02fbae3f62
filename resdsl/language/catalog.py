"""The bundled library as a catalogue: its networks (with their figures), blocks and templates
(with their parameters), filtered by shell-style wildcards as timm's `list_models('resnet*')`."""

from __future__ import annotations

import fnmatch
import re
from pathlib import Path

from ..core.errors import Span
from ..netgraph.infer import totals
from . import ast
from .library import build_graph, bundled_files, bundled_index
from .loader import Scope, load_file


def matches(name: str, pattern: str | None) -> bool:
    """`resnet*`, `*50`, `resnet[13]8`: shell wildcards, whole name, case as written."""
    return pattern is None or fnmatch.fnmatchcase(name, pattern)


def network_names(pattern: str | None = None) -> list[str]:
    """The bundled networks' names that match, in natural order (resnet18 before resnet101)."""
    return sorted((name for name in bundled_index() if matches(name, pattern)), key=natural)


def natural(name: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)]


def network_rows(pattern: str | None = None) -> list[dict]:
    """One row per matching bundled network: its file, input, outputs and costs."""
    rows: list[dict] = []
    scopes: dict[Path, Scope] = {}
    for name in network_names(pattern):
        path = bundled_index()[name]
        scope = scopes.setdefault(path, load_file(path))
        graph = build_graph(scope, name)
        figures = totals(graph)
        rows.append({"network": name, "file": path.name, "input": list(graph.graph["input"]),
                     "outputs": {k: list(v) for k, v in figures["outputs"].items()},
                     "params": figures["params"], "macs": figures["macs"]})
    return rows


def definition_rows(pattern: str | None = None) -> list[dict]:
    """One row per matching block and network template of the library, with its parameters as
    written (`width, stride = 1`)."""
    rows = []
    for path in bundled_files():
        for name, item in load_file(path).own.items():
            if isinstance(item, (ast.BlockDef, ast.NetworkDef)) and matches(name, pattern):
                kind = "block" if isinstance(item, ast.BlockDef) else "template"
                if kind == "template" and all(p.default is not None for p in item.params):
                    continue  # builds as it stands: listed with the networks
                rows.append({"name": name, "kind": kind, "file": path.name,
                             "parameters": [_param_text(p) for p in item.params]})
    return rows


def _param_text(param: ast.Param) -> str:
    if param.default is None:
        return param.name
    return f"{param.name} = {source_text(param.default.span)}"


def source_text(span: Span) -> str:
    """The text a span covers, on one line."""
    lines = span.source.text.splitlines()[span.line - 1:span.end_line]
    if not lines:
        return ""
    if len(lines) == 1:
        return lines[0][span.column - 1:span.end_column - 1]
    lines[0], lines[-1] = lines[0][span.column - 1:], lines[-1][:span.end_column - 1]
    return " ".join(line.strip() for line in lines)


def defining_files() -> dict[str, list[Path]]:
    """Every network name of the library and each file that defines it (one, if names are
    unique across the library, which tests/test_catalog.py checks)."""
    files: dict[str, list[Path]] = {}
    for path in bundled_files():
        for name in load_file(path).networks():
            files.setdefault(name, []).append(path)
    return files
