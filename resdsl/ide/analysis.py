"""One document analysed once: its syntax tree and names, the graphs of its networks, and every
diagnostic found on the way. The other ide modules ask `analyse(text, path)`; the result is kept
for the last few texts, so hover, completion and diagnostics on one text share one analysis."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path

import networkx as nx

from ..core.errors import ResdslError
from ..language import ast
from ..language.loader import Scope

UNSAVED = "<untitled>"  # the name of a text that has no file yet


@dataclass(eq=False)
class Analysis:
    """What the front end makes of one text (`scope` is None when the text does not parse)."""

    text: str
    name: str  # the name its spans carry: the path as given, or UNSAVED
    scope: Scope | None
    errors: list[ResdslError] = field(default_factory=list)
    graphs: dict[str, nx.DiGraph] = field(default_factory=dict)  # network name -> typed graph

    @property
    def module(self) -> ast.Module | None:
        return self.scope.module if self.scope else None

    def line(self, number: int) -> str:
        """Line `number` (1-based) of the text, '' past its end."""
        lines = self.text.split("\n")
        return lines[number - 1] if 0 < number <= len(lines) else ""


def folder_of(path: str | None) -> Path:
    """Where `use` looks first: the file's folder. A text with no file yet may only use the
    bundled library (the server's working folder is nothing the text chose)."""
    from ..core.resources import architectures_dir

    return Path(path).resolve().parent if path else architectures_dir().resolve()


def analyse(text: str, path: str | None = None) -> Analysis:
    """Parse `text` (the file at `path`, or an unsaved text), resolve its names, build every
    network it defines and run their checks; every error is collected, none raised."""
    return _analyse(text, path)


@functools.lru_cache(maxsize=8)
def _analyse(text: str, path: str | None) -> Analysis:
    from ..language.loader import load_text
    from ..language.resolve import check_names

    name = path or UNSAVED
    try:
        scope = load_text(text, name, folder_of(path))
    except ResdslError as err:
        return Analysis(text, name, None, list(err.errors))
    except RecursionError:
        return Analysis(text, name, None, [ResdslError("the input nests too deeply to process",
                                                       code="E607")])
    found = Analysis(text, name, scope, list(check_names(scope)))
    if not found.errors:  # unknown names would fail every build again
        _build_all(found, scope)
    found.errors = _unique(found.errors)
    return found


def _build_all(found: Analysis, scope: Scope) -> None:
    from ..analysis.check import run_checks
    from ..targets.checked import Chosen

    for network in scope.networks():
        try:
            graph = Chosen(found.name, network, scope).graph()
        except ResdslError as err:
            found.errors.extend(err.errors)
            continue
        except RecursionError:
            found.errors.append(ResdslError("the input nests too deeply to process", code="E607"))
            continue
        found.graphs[network] = graph
        found.errors.extend(run_checks(graph))


def _unique(errors: list[ResdslError]) -> list[ResdslError]:
    """One diagnostic per place and message: a template's mistake fails each of its instances."""
    seen, kept = set(), []
    for error in errors:
        span = error.span
        key = (error.code, error.message, span.file if span else None,
               (span.line, span.column) if span else None)
        if key not in seen:
            seen.add(key)
            kept.append(error)
    return kept
