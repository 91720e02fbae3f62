"""Where the imported network is one of the bundled ones, the text says so: `use "resnet.rdsl"`
and the bundled instance's own call (`resnet(bottleneck, [3, 4, 6, 3])`), shorter than any
folding and in the words of the library."""

from __future__ import annotations

import functools
import re
from pathlib import Path

import networkx as nx

from ..core.errors import ResdslError, Span
from ..language.ast import Instance
from ..language.catalog import network_names
from ..language.library import build_graph, bundled_files, bundled_index
from ..language.loader import Scope, load_file
from ..netgraph.infer import totals
from .graphs import graph_difference


def bundled_text(graph: nx.DiGraph, name: str, header: str = "") -> str | None:
    """The text that calls the bundled network `graph` is, or None where none is: at the bundled
    network's own input, or at another with `with input CxHxW` (ResNet-50 at 3x64x64)."""
    figures = totals(graph)
    shape = tuple(graph.graph["input"])
    mine = [list(shape), figures["params"], figures["macs"], graph.number_of_nodes()]
    scopes: dict[Path, Scope] = {}
    for bundled, theirs in _candidates(mine):
        path = bundled_index()[bundled]
        scope = scopes.setdefault(path, load_file(path))
        other = theirs[0] != mine[0]
        try:
            built = build_graph(scope, bundled, input_shape=shape if other else None)
        except ResdslError:  # the bundled network does not take this input
            continue
        if graph_difference(graph, built, ordered=True):
            continue
        call = _call(scope, bundled)
        if call is None:
            continue
        if other:
            call = _with_input(call, shape)
        lines = [f"# {header}"] if header else []
        lines += [f"# the bundled {bundled} ({path.name})", f'use "{path.name}"', "",
                  f"{name} = {call}"]
        return "\n".join(lines) + "\n"
    return None


def _candidates(mine: list) -> list[tuple[str, list]]:
    """The bundled networks `mine` ([input, parameters, multiply-adds, layers]) may be: those of
    its figures first, then those at another input with its parameters and layers (multiply-adds
    scale with the input; each is compiled at `mine`'s input and compared before it counts)."""
    figures = _figures().items()
    same = [(bundled, theirs) for bundled, theirs in figures if theirs == mine]
    other = [(bundled, theirs) for bundled, theirs in figures
             if theirs[0] != mine[0] and [theirs[1], theirs[3]] == [mine[1], mine[3]]]
    return same + other


def _with_input(call: str, shape: tuple[int, ...]) -> str:
    """`resnet(basic, [2, 2, 2, 2]) with input 3x64x64`; `input` first where the call already
    has changes (`outputs` must come last)."""
    dims = "x".join(map(str, shape))
    head, sep, rest = call.partition(" with ")
    return f"{head} with input {dims}, {rest}" if sep else f"{call} with input {dims}"


FIGURES_CACHE = "bundled-figures.json"


@functools.lru_cache(maxsize=1)
def _figures() -> dict[str, list]:
    """Every bundled network's [input, parameters, multiply-adds, layers]: the candidates a graph
    is compared with. Kept in the user's cache under a key of the library's files and the
    compiler's code, as compiling the whole library takes seconds; a stale entry could only
    leave a match unfound (a longer text), never make a wrong one: candidates are compiled again
    and compared layer for layer."""
    from ..core import usercache

    key = _figures_key()
    cached = usercache.read_json(FIGURES_CACHE)
    if isinstance(cached, dict) and cached.get("key") == key and isinstance(cached.get("figures"), dict):
        return cached["figures"]
    found: dict[str, list] = {}
    scopes: dict[Path, Scope] = {}
    for bundled in network_names():
        path = bundled_index()[bundled]
        theirs = build_graph(scopes.setdefault(path, load_file(path)), bundled)
        figures = totals(theirs)
        found[bundled] = [list(theirs.graph["input"]), figures["params"], figures["macs"],
                          theirs.number_of_nodes()]
    usercache.write_json(FIGURES_CACHE, {"key": key, "figures": found})
    return found


def _figures_key() -> str:
    """A hash of the library's files and of the code that compiles them."""
    import hashlib

    from ..language.treecache import front_end_key

    digest = hashlib.sha256(front_end_key().encode())  # the grammar and the language's modules
    netgraph = Path(__file__).resolve().parent.parent / "netgraph"
    for path in [*bundled_files(), *sorted(netgraph.glob("*.py"))]:
        try:
            digest.update(b"\0" + path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(b"\0?")
    return digest.hexdigest()


def _call(scope: Scope, name: str) -> str | None:
    """`resnet(bottleneck, [3, 4, 6, 3])`: an instance's right-hand side, its checks left out."""
    item = scope.own.get(name)
    if not isinstance(item, Instance) or item.span is None:
        return None
    right = _spanned(item.span).partition("=")[2]
    right = re.sub(r"\s+expect\b.*", "", right, flags=re.DOTALL)
    return re.sub(r"\s+", " ", right).strip() or None


def _spanned(span: Span) -> str:
    """The text a span covers (an instance's span may end past the file's last line)."""
    lines = span.source.text.splitlines(keepends=True)

    def offset(line: int, column: int) -> int:
        return sum(len(t) for t in lines[:line - 1]) + column - 1

    return span.source.text[offset(span.line, span.column):offset(span.end_line, span.end_column)]
