"""Files to scopes: parse a file, follow its `use` imports, and collect the names it defines."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import ResdslError, Source, Span, UseError, raise_all
from ..core.resources import architectures_dir
from . import ast
from .parse import parse


@dataclass(eq=False)
class Scope:
    """The names visible in one file: its own definitions, then those it imports."""

    module: ast.Module
    path: Path | None
    own: dict[str, ast.Item] = field(default_factory=dict)
    imported: dict[str, tuple[ast.Item, "Scope"]] = field(default_factory=dict)

    def lookup(self, name: str) -> tuple[ast.Item, "Scope"] | None:
        if name in self.own:
            return self.own[name], self
        return self.imported.get(name)

    def names(self) -> set[str]:
        return set(self.own) | set(self.imported)

    def networks(self) -> list[str]:
        """Names that build a network as they stand: instances and parameterless networks."""
        return [name for name, item in self.own.items()
                if isinstance(item, ast.Instance)
                or (isinstance(item, ast.NetworkDef) and all(p.default is not None for p in item.params))]


def read_source(path: Path) -> str:
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        source = Source(_display(path), data.decode("utf-8", "replace"))
        raise UseError("the file is not UTF-8 text", Span(source, line, column, line, column + 1),
                       code="E503", hint="save the file as UTF-8") from None


def load_file(path: str | Path) -> Scope:
    return _load(Path(path), (), {})


def load_text(text: str, name: str = "<string>", folder: Path | None = None) -> Scope:
    module = parse(text, name)
    return _bind(module, folder / name if folder else None, (), {})


@functools.lru_cache(maxsize=128)
def _parse_file(path: Path, display: str, mtime_ns: int, size: int) -> ast.Module:
    """A file's syntax tree, parsed once while the file is unchanged (the bundled library's
    files are imported by many others, and parsing is the front end's slowest step)."""
    return parse(read_source(path), display)


def _load(path: Path, chain: tuple[Path, ...], cache: dict[Path, Scope]) -> Scope:
    path = path.resolve()
    if path in cache:
        return cache[path]
    stat = path.stat()
    module = _parse_file(path, _display(path), stat.st_mtime_ns, stat.st_size)
    scope = _bind(module, path, chain + (path,), cache)
    cache[path] = scope
    return scope


def _display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _find(use: ast.Use, here: Path | None) -> Path | None:
    """The importing file's folder first, then the bundled library."""
    for folder in ([here.parent] if here else [Path.cwd()]) + [architectures_dir()]:
        candidate = folder / use.path
        if candidate.is_file():
            return candidate
    return None


def _bind(module: ast.Module, path: Path | None, chain: tuple[Path, ...],
          cache: dict[Path, Scope]) -> Scope:
    scope = Scope(module, path)
    errors: list[ResdslError] = []
    for item in module.items:
        if isinstance(item, ast.Use):
            _import(scope, item, path, chain, cache, errors)
            continue
        if item.name in scope.own:
            first = scope.own[item.name]
            errors.append(UseError(f"'{item.name}' is defined twice (first at line {first.span.line})",
                                   _name_span(item), code="E201"))
            continue
        scope.own[item.name] = item
    raise_all(errors)
    return scope


def _import(scope: Scope, use: ast.Use, here: Path | None, chain: tuple[Path, ...],
            cache: dict[Path, Scope], errors: list[ResdslError]) -> None:
    found = _find(use, here)
    if found is None:
        errors.append(UseError(f"cannot find '{use.path}'", use.span, code="E501",
                               hint="'use' looks in this file's folder, then in the bundled "
                                    "architectures (see 'resdsl list')"))
        return
    if found.resolve() in chain:
        cycle = " -> ".join(p.name for p in chain[chain.index(found.resolve()):] + (found.resolve(),))
        errors.append(UseError(f"import cycle: {cycle}", use.span, code="E502",
                               hint="move the shared definitions into a file both can use"))
        return
    imported = _load(found, chain, cache)
    for name, item in imported.own.items():
        scope.imported.setdefault(name, (item, imported))
    for name, entry in imported.imported.items():
        scope.imported.setdefault(name, entry)


def _name_span(item: ast.Item) -> Span:
    return item.span
