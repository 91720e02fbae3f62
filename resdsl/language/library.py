"""Finding networks: a path, `path:NAME`, or the name of a bundled architecture."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import networkx as nx

from ..core.errors import ArgumentError, ResdslError, Span, UnknownName, did_you_mean, raise_all
from ..core.resources import architectures_dir
from ..netgraph.infer import infer
from . import ast
from .elaborate import elaborate
from .evaluate import BlockRef
from .loader import Scope, load_file
from .networks import NetworkSpec, bind_params, input_shape as checked_input, resolve_network
from .resolve import check_names
from .sources import not_found


def bundled_files() -> list[Path]:
    return sorted(architectures_dir().glob("*.rdsl"))


@functools.lru_cache(maxsize=1)
def bundled_index() -> dict[str, Path]:
    """Every bundled network name and the file that defines it (first file wins). Kept in the
    user's cache under a key of the library's files, so that finding `resnet50` does not parse
    the whole library; built again whenever a file (or the grammar) changes."""
    from ..core import usercache

    files = bundled_files()
    key = _library_key(files)
    cached = usercache.read_json(INDEX_CACHE)
    if _is_index(cached, key, {p.name for p in files}):
        return {name: architectures_dir() / file for name, file in cached["index"].items()}
    index: dict[str, Path] = {}
    for path in files:
        for name in load_file(path).networks():
            index.setdefault(name, path)
    usercache.write_json(INDEX_CACHE, {"key": key, "index": {n: p.name for n, p in index.items()}})
    return index


INDEX_CACHE = "bundled-index.json"


def _library_key(files: list[Path]) -> str:
    """A hash of what the index depends on: the front end's code and every library file."""
    import hashlib

    from .treecache import front_end_key

    digest = hashlib.sha256(front_end_key().encode())
    for path in files:
        digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def _is_index(cached, key: str, files: set[str]) -> bool:
    return (isinstance(cached, dict) and cached.get("key") == key
            and isinstance(cached.get("index"), dict)
            and all(isinstance(n, str) and f in files for n, f in cached["index"].items()))


@dataclass
class Target:
    """What a FILE argument names: a loaded file and the network(s) asked for."""

    scope: Scope
    names: list[str]
    path: Path


def split_target(target: str) -> tuple[str, str | None]:
    """`path:NAME` -> (path, NAME); a Windows drive letter is not a separator."""
    head, sep, tail = target.rpartition(":")
    if sep and head and tail and not Path(target).exists() and len(head) > 1:
        return head, tail
    return target, None


def open_target(target: str, network: str | None = None) -> Target:
    """The file a FILE argument names, and the network asked for or every network it builds
    (none for a file of blocks only: resdsl.targets decides what that means)."""
    path_text, name = split_target(target)
    if network and name and network != name:
        raise UnknownName(f"'{target}' names network '{name}' but -n asks for '{network}'", None,
                          code="E203")
    name = network or name
    path = Path(path_text)
    if not _exists(path):  # a FIFO or a folder is read (and refused) as the path it is
        bundled = [architectures_dir() / f"{path_text}.rdsl", architectures_dir() / path_text]
        bundled = [p for p in bundled if p.is_file() and "/" not in path_text]
        if path_text in bundled_index():
            # a bundled network's name before a bundled file's stem: `resnet34` is resnet.rdsl's
            # network, `resnet34.rdsl` the file. `resnet50:resnet50`, or network="nope" (then
            # the network is unknown)
            path, name = bundled_index()[path_text], name or path_text
        elif bundled:
            path = bundled[0]
        else:
            raise not_found(path_text, list(bundled_index()))
    scope = load_file(path)
    raise_all(check_names(scope))
    names = scope.networks()
    if name is not None:
        if scope.lookup(name) is None:
            raise UnknownName(f"{path.name} has no network '{name}'", None, code="E202",
                              hint=did_you_mean(name, names) or f"it has {', '.join(names[:8])}")
        return Target(scope, [name], path)
    return Target(scope, names, path)


def _exists(path: Path) -> bool:
    """Something is at `path` that is meant as a file (a bare folder name like `resnet50` is
    not: the bundled network is)."""
    try:
        return os.path.lexists(path) and (path.is_file() or path.suffix != "")
    except (OSError, ValueError):
        return False


def build_graph(scope: Scope, name: str, *, input_shape: tuple[int, ...] | None = None,
                params: dict[str, Any] | None = None) -> nx.DiGraph:
    """Elaborate and infer one network of a loaded file; `params` change its template's
    parameters, as `name with key: value` does in the language."""
    spec: NetworkSpec = _with_params(scope, name, params) if params else resolve_network(scope, name)
    if input_shape is not None:  # --input and the API's input_shape: the limits of `input`
        spec.input = (checked_input(tuple(input_shape), spec.span), spec.span)
        # published multiply-adds hold at the declared input only; budgets and params still apply
        spec.checks = [c for c in spec.checks if not (c.kind == "expect" and c.metric == "flops")]
    try:
        graph = infer(elaborate(spec))
    except ResdslError as err:
        _note_call_site(err, scope, spec)
        raise
    if params:  # expectations describe the network as written, not one with other parameters
        graph.graph["checks"] = [c for c in graph.graph["checks"] if c.kind == "budget"]
    return graph


def _note_call_site(err: ResdslError, scope: Scope, spec: NetworkSpec) -> None:
    """An error inside another file's template (the library's resnet.rdsl) that the user's
    arguments caused: show the user's instance as a note, rustc style."""
    here = scope.module.source
    if spec.span is None or spec.span.source is not here:
        return
    for error in err.errors:
        if error.span is not None and error.span.source is not here and not _noted_here(error, here):
            error.notes.append((f"in the instance '{spec.name}'", spec.span))



def _noted_here(error: ResdslError, here) -> bool:
    """Whether a note already shows a place in the user's file (the block's call, say)."""
    return any(at.source is here for _, at in error.notes)


def _with_params(scope: Scope, name: str, params: dict[str, Any]) -> NetworkSpec:
    definition, home = scope.lookup(name) or (None, scope)
    if isinstance(definition, ast.NetworkDef):
        # a template: the values are its arguments, so parameters without defaults can be given
        _refuse_unknown(name, definition, definition.span, params)
        values = {key: (_language_value(home, key, value), definition.span)
                  for key, value in params.items()}
        bindings = bind_params(definition.name, "network", definition.params, [], [], values,
                               definition.span, home)
        return NetworkSpec(name, definition, home, bindings, definition.span)
    spec = resolve_network(scope, name)
    _refuse_unknown(name, spec.definition, spec.span, params)
    for key, value in params.items():
        spec.bindings[key] = _language_value(spec.scope, key, value)
    return spec


def _refuse_unknown(name: str, definition: ast.NetworkDef, defined: Span, params: dict[str, Any]) -> None:
    """A parameter given from Python or `-p` that the network lacks: the message lists the ones
    it has (the caller's keyword is at fault, not the line that defines the network, which a
    note shows)."""
    names = [p.name for p in definition.params]
    for key in params:
        if key not in names:
            what = name if name == definition.name else f"{name} (the template {definition.name})"
            error = UnknownName(f"{what} has no parameter '{key}'; its parameters: "
                                + (", ".join(names) or "none"), None,
                                hint=did_you_mean(key, names), code="E202")
            error.notes.append((f"{name} is defined", defined))
            raise error


def _language_value(scope: Scope, key: str, value: Any) -> Any:
    """A Python value as the language's: numbers and booleans as they are, lists and tuples as
    lists, a block's name as the block."""
    if isinstance(value, (bool, int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_language_value(scope, key, v) for v in value]
    if isinstance(value, str):  # the only names a parameter can hold are blocks'
        found = scope.lookup(value)
        if found is not None and isinstance(found[0], ast.BlockDef):
            return BlockRef(value, found[0], found[1])
        blocks = scope.blocks()
        raise UnknownName(f"unknown block '{value}' (for parameter '{key}')", None,
                          hint=did_you_mean(value, blocks), code="E202")
    raise ArgumentError(f"parameter '{key}' takes a number, a list or a block's name, not "
                        f"{type(value).__name__}", None, code="E312")
