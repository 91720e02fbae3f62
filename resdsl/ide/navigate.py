"""Where names lead: go to definition, and the outline of a text (document symbols).

`definition(text, path, line, column)` -> a list of places `{"file", "line", "column",
"end_line", "end_column"}` (empty where the position names nothing defined): a block, template or
network to where its name is written (in this text or the file it comes from), a parameter to its
declaration, a value read by `from:` (or a merge) to the layer or stage that made it, a `use`
path to the top of the file it reads (found as `use` finds it, inside the same confinement).

`symbols(text, path)` -> the outline: `{"name", "kind", "detail", "range", "selection_range",
"children"}` per template, network and block, with their stages as children. `kind` is
"template", "network", "block" or "stage"; ranges are `{"line", "column", "end_line",
"end_column"}`.
"""

from __future__ import annotations

from ..core.errors import ResdslError, Span
from ..language import ast
from .analysis import Analysis, analyse, folder_of
from .locate import Place, chain_at, name_span, place, range_of, touches


def definition(text: str, path: str | None, line: int, column: int) -> list[Place]:
    """Where the name at a 1-based line and character column is defined."""
    found = analyse(text, path)
    if found.module is None:
        return []
    chain = chain_at(found.module, line, column)
    if not chain:
        return []
    item = chain[0]
    if isinstance(item, ast.Use):
        return _use_target(item, path)
    named = _name_at(item, chain, line, column)
    if named is None:
        return []
    name, reader = named
    return _defined(found, item, name, reader)


def _name_at(item, chain: list, line: int, column: int) -> tuple[str, object] | None:
    """The name the position is on, and the statement it is read in."""
    if isinstance(item, (ast.BlockDef, ast.NetworkDef, ast.Instance)) and \
            touches(name_span(item), line, column):
        return item.name, None
    statement = next((n for n in chain[1:] if isinstance(n, (ast.Layer, ast.Stage))), None)
    for node in reversed(chain[1:]):
        if isinstance(node, ast.Var):
            return node.name, statement
        if isinstance(node, ast.Call) and touches(node.name_span, line, column):
            return node.name, statement
        if isinstance(node, ast.Layer) and touches(node.op_span, line, column):
            return node.op, None
        if isinstance(node, ast.Stage) and touches(node.block_span, line, column):
            return node.block, None
    if isinstance(item, ast.Instance) and touches(item.base_span, line, column):
        return item.base, None
    return None


def _file_of(found: Analysis, home) -> str:
    return str(home.path) if home is not found.scope and home.path else found.name


def _defined(found: Analysis, item, name: str, reader) -> list[Place]:
    for param in getattr(item, "params", ()):
        if param.name == name:
            span = param.span
            return [place(Span(span.source, span.line, span.column, span.line,
                               span.column + len(name)), found.name)]
    if reader is not None and isinstance(item, (ast.BlockDef, ast.NetworkDef)):
        made = _made_before(item, name, reader)
        if made is not None:
            return [place(made, found.name)]
    target = found.scope.lookup(name) if found.scope else None
    if target is None:
        return []
    definition, home = target
    return [place(name_span(definition), _file_of(found, home))]


def _made_before(body, name: str, reader) -> Span | None:
    """The layer (by its label) or stage of `body` written before `reader` that `name` reads."""
    for stmt in body.body:
        if stmt is reader:
            return None
        if isinstance(stmt, ast.Layer) and stmt.label == name:
            return Span(stmt.span.source, stmt.span.line, stmt.span.column, stmt.span.line,
                        stmt.span.column + len(name))
        if isinstance(stmt, ast.Stage) and stmt.name == name:
            return _word_after(stmt.span, "stage", name)
    return None


def _word_after(span: Span, keyword: str, name: str) -> Span:
    text = span.source.line(span.line)
    start = text.find(name, text.find(keyword, span.column - 1) + len(keyword))
    return Span(span.source, span.line, start + 1, span.line, start + 1 + len(name))


def _use_target(use: ast.Use, path: str | None) -> list[Place]:
    from ..language.sources import find_use

    try:
        found = find_use(use.path, use.span, folder_of(path) / "_")
    except ResdslError:
        return []
    return [{"file": str(found), "line": 1, "column": 1, "end_line": 1, "end_column": 1}]


# -- the outline -----------------------------------------------------------------------------------

def symbols(text: str, path: str | None) -> list[dict]:
    """The text's templates, networks and blocks, each with its stages (empty when it does not
    parse)."""
    found = analyse(text, path)
    if found.module is None:
        return []
    outline = []
    for item in found.module.items:
        if isinstance(item, ast.Use):
            continue
        kind = {ast.BlockDef: "block", ast.NetworkDef: "template"}.get(type(item), "network")
        if isinstance(item, ast.NetworkDef) and item.name in found.graphs:
            kind = "network"  # a template whose parameters all have defaults builds as it stands
        detail = f"= {item.base}" if isinstance(item, ast.Instance) else kind
        children = [_symbol(s.name, "stage", s.block, s.span, _word_after(s.span, "stage", s.name), [])
                    for s in getattr(item, "body", ()) if isinstance(s, ast.Stage)]
        outline.append(_symbol(item.name, kind, detail, item.span, name_span(item), children))
    return outline


def _symbol(name: str, kind: str, detail: str, span: Span, selection: Span, children: list) -> dict:
    return {"name": name, "kind": kind, "detail": detail, "range": _trimmed(span),
            "selection_range": range_of(selection), "children": children}


def _trimmed(span: Span) -> dict:
    """A span that runs to the first column of a later line ends at the end of the line before."""
    found = range_of(span)
    while found["end_column"] == 1 and found["end_line"] > span.line:
        found["end_line"] -= 1
        found["end_column"] = len(span.source.line(found["end_line"])) + 1
    return found
