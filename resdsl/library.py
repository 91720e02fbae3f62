"""Finding networks: a path, `path:NAME`, or the name of a bundled architecture."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

import networkx as nx

from .elaborate import NetworkSpec, elaborate, resolve_network
from .errors import UnknownName, did_you_mean, raise_all
from .infer import infer
from .loader import Scope, load_file
from .resolve import check_names
from .resources import architectures_dir


def bundled_files() -> list[Path]:
    return sorted(architectures_dir().glob("*.rdsl"))


@functools.lru_cache(maxsize=1)
def bundled_index() -> dict[str, Path]:
    """Every bundled network name and the file that defines it (first file wins)."""
    index: dict[str, Path] = {}
    for path in bundled_files():
        for name in load_file(path).networks():
            index.setdefault(name, path)
    return index


@dataclass
class Target:
    """What a FILE argument names: a loaded file and the network(s) asked for."""

    scope: Scope
    names: list[str]


def split_target(target: str) -> tuple[str, str | None]:
    """`path:NAME` -> (path, NAME); a Windows drive letter is not a separator."""
    head, sep, tail = target.rpartition(":")
    if sep and head and tail and not Path(target).exists() and len(head) > 1:
        return head, tail
    return target, None


def open_target(target: str, network: str | None = None) -> Target:
    path_text, name = split_target(target)
    if network and name and network != name:
        raise UnknownName(f"'{target}' names network '{name}' but -n asks for '{network}'", None,
                          code="E203")
    name = network or name
    path = Path(path_text)
    if not path.is_file():
        bundled = [architectures_dir() / f"{path_text}.rdsl", architectures_dir() / path_text]
        bundled = [p for p in bundled if p.is_file() and "/" not in path_text]
        if bundled:
            path = bundled[0]
        elif path_text in bundled_index() and name is None:
            path, name = bundled_index()[path_text], path_text
        else:
            hint = did_you_mean(path_text, list(bundled_index())) or \
                "give a path to a .rdsl file, or a name from 'resdsl list'"
            raise UnknownName(f"no file or bundled network named '{path_text}'", None, hint=hint,
                              code="E204")
    scope = load_file(path)
    raise_all(check_names(scope))
    names = scope.networks()
    if name is not None:
        return Target(scope, [name])
    if not names:
        raise UnknownName(f"{path} defines no network to build", None, code="E205",
                          hint="add an instance such as 'net = resnet(basic, [2, 2, 2, 2])'")
    return Target(scope, names)


def build_graph(scope: Scope, name: str, *, input_shape: tuple[int, ...] | None = None) -> nx.DiGraph:
    """Elaborate and infer one network of a loaded file."""
    spec: NetworkSpec = resolve_network(scope, name)
    if input_shape is not None:
        spec.input = (tuple(input_shape), spec.span)
        # published multiply-adds hold at the declared input only; budgets and params still apply
        spec.checks = [c for c in spec.checks if not (c.kind == "expect" and c.metric == "flops")]
    return infer(elaborate(spec))
