"""Files to scopes: parse a file, follow its `use` imports, and collect the names it defines."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Union

from ..core.errors import LimitError, ParseError, ResdslError, Span, UseError, raise_all
from . import ast
from .sources import display, find_use, is_private, read_source
from .treecache import cached_tree, is_bundled

# what a name can stand for: every item a file holds except its `use` imports
Definition = Union[ast.BlockDef, ast.NetworkDef, ast.Instance]


@dataclass(eq=False)
class Scope:
    """The names visible in one file: its own definitions, then those it imports."""

    module: ast.Module
    path: Path | None
    own: dict[str, Definition] = field(default_factory=dict)
    imported: dict[str, tuple[Definition, "Scope"]] = field(default_factory=dict)

    def lookup(self, name: str) -> tuple[Definition, "Scope"] | None:
        if name in self.own:
            return self.own[name], self
        return self.imported.get(name)

    def names(self) -> set[str]:
        return set(self.own) | set(self.imported)

    def blocks(self) -> set[str]:
        """Names of the blocks visible here, defined or imported."""
        return {name for name in self.names()
                if (found := self.lookup(name)) is not None and isinstance(found[0], ast.BlockDef)}

    def defaulted_template(self, name: str) -> bool:
        """A network with parameters, all with defaults: a template that builds as it stands."""
        item = self.own.get(name)
        return isinstance(item, ast.NetworkDef) and bool(item.params) \
            and all(p.default is not None for p in item.params)

    def networks(self) -> list[str]:
        """Names that build a network as they stand: instances and parameterless networks."""
        return [name for name, item in self.own.items()
                if isinstance(item, ast.Instance)
                or (isinstance(item, ast.NetworkDef) and all(p.default is not None for p in item.params))]


def load_file(path: str | Path) -> Scope:
    return _load(Path(path), (), {})


def load_text(text: str, name: str = "<string>", folder: Path | None = None) -> Scope:
    from .parse import parse  # here, not above: the library's kept trees need no parser

    module = parse(text, name)
    return _bind(module, folder / name if folder else None, (), {})


def _load(path: Path, chain: tuple[Path, ...], cache: dict[Path, Scope],
          at: Span | None = None) -> Scope:
    if at is None:  # `use` targets come resolved and confined
        try:
            path = path.resolve()
        except (OSError, RuntimeError) as err:
            raise UseError(f"cannot read {path}: {err}", None, code="E504") from None
    if path in cache:
        return cache[path]
    shown = display(path)
    text = read_source(path, shown, at)
    if is_bundled(path):  # the library's trees are kept between runs
        module = cached_tree(path, text, shown, lambda: _parse_file(text, shown, False, at))
    else:
        module = _parse_file(text, shown, is_private(path), at)
    scope = _bind(module, path, chain + (path,), cache)
    cache[path] = scope
    return scope


def _parse_file(text: str, shown: str, private: bool, at: Span | None) -> ast.Module:
    if not private:
        return _parse_cached(text, shown)
    try:
        return _parse_cached(text, shown, True)
    except (ParseError, LimitError) as err:
        # a file not named .rdsl may be anything (a key, an environment): never echo it
        where = f" (line {err.span.line})" if err.span else ""
        raise UseError(f"{shown} is not resdsl source{where}; its content is not shown because "
                       f"its name does not end in .rdsl", at, code="E507") from None


@functools.lru_cache(maxsize=128)
def _parse_cached(text: str, shown: str, private: bool = False) -> ast.Module:
    """A file's syntax tree, parsed once per content (the bundled library's files are imported
    by many others, and parsing is the front end's slowest step)."""
    from .parse import parse

    return parse(text, shown, private=private)


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
    try:
        found = find_use(use.path, use.span, here)
    except UseError as err:
        errors.append(err)
        return
    if found in chain:
        cycle = " -> ".join(p.name for p in chain[chain.index(found):] + (found,))
        errors.append(UseError(f"import cycle: {cycle}", use.span, code="E502",
                               hint="move the shared definitions into a file both can use"))
        return
    try:
        imported = _load(found, chain, cache, use.span)
    except ResdslError as err:
        errors.extend(err.errors)
        return
    for name, item in imported.own.items():
        scope.imported.setdefault(name, (item, imported))
    for name, entry in imported.imported.items():
        scope.imported.setdefault(name, entry)


def _name_span(item: ast.Item) -> Span:
    return item.span
