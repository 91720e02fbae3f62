"""Rename a block or template everywhere it is used, in the files given.

`rename(text, path, line, column, new_name, workspace)` -> `{"edits": {file: [{"range",
"new_text"}]}}`, or `{"error": why}` when the name at the position is not a block or template
defined in one of the files given, or `new_name` cannot take its place. `workspace` maps the other
files to consider (path -> text: the open documents and the files of the folder); a use counts
only where the name resolves to the same definition (so a parameter or another file's block of
the same name is left alone). A file that does not parse is left out.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ..core.errors import Span
from ..language import ast
from .analysis import Analysis, analyse
from .locate import name_span, range_of
from .navigate import definition

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RESERVED = {"block", "network", "use", "input", "shortcuts", "stage", "outputs", "budget",
             "expect", "with", "within", "x", "true", "false"}


def rename(text: str, path: str | None, line: int, column: int, new_name: str,
           workspace: dict[str, str] | None = None) -> dict:
    """The edits that rename the block or template named at (line, column) to `new_name`."""
    here = Path(path).resolve() if path else None
    files = {file: content for file, content in (workspace or {}).items()
             if Path(file).resolve() != here}  # the text given, not the saved file, counts
    if path:
        files[path] = text
    target = _target(text, path, line, column)
    if target is None:
        return {"error": "only a block or a template can be renamed; put the cursor on its name"}
    name, where = target
    if not _NAME.fullmatch(new_name) or new_name in _RESERVED:
        return {"error": f"'{new_name}' is not a name a block or template can have"}
    home = _same_file(where["file"], files)
    if home is None:
        return {"error": f"'{name}' is defined in {Path(where['file']).name}, which is not among "
                         "the files being edited"}
    defining = analyse(files[home], home)
    if defining.scope is not None and new_name in defining.scope.names():
        return {"error": f"'{new_name}' is already defined in {Path(home).name}"}
    edits = {}
    for file, content in files.items():
        found = analyse(content, file)
        spans = _uses(found, name, where) if found.scope is not None else []
        if spans:
            edits[file] = [{"range": range_of(s), "new_text": new_name} for s in spans]
    return {"edits": edits}


def _target(text: str, path: str | None, line: int, column: int):
    found = analyse(text, path)
    places = definition(text, path, line, column)
    if found.scope is None or len(places) != 1:
        return None
    where = places[0]
    module = _module_at(found, where)
    for item in module.items if module else ():
        if isinstance(item, (ast.BlockDef, ast.NetworkDef)) and \
                range_of(name_span(item)) == {k: where[k] for k in ("line", "column", "end_line", "end_column")}:
            return item.name, where
    return None


def _module_at(found: Analysis, where: dict) -> ast.Module | None:
    """The syntax tree of the file a place is in (this text, or one it imports)."""
    if where["file"] == found.name:
        return found.module
    scope = found.scope
    for _, home in (scope.imported.values() if scope else ()):
        if home.path is not None and str(home.path) == where["file"]:
            return home.module
    return None


def _same_file(file: str, files: dict[str, str]) -> str | None:
    wanted = Path(file).resolve()
    return next((f for f in files if Path(f).resolve() == wanted), None)


def _uses(found: Analysis, name: str, where: dict) -> list[Span]:
    """Every span in `found`'s text where `name` means the definition at `where`."""
    resolved = found.scope.lookup(name) if found.scope else None
    if resolved is None:
        return []
    definition_, home = resolved
    file = str(home.path) if home is not found.scope and home.path else found.name
    if Path(file).resolve() != Path(where["file"]).resolve() or \
            name_span(definition_).line != where["line"]:
        return []
    spans: list[Span] = []
    for item in found.module.items if found.module else ():
        if isinstance(item, ast.Use):
            continue
        if item.name == name and not isinstance(item, ast.Instance):
            spans.append(name_span(item))
        shadowed = any(p.name == name for p in getattr(item, "params", ()))
        if not shadowed:
            _collect(item, name, spans)
    return sorted(spans, key=lambda s: (s.line, s.column))


def _collect(node, name: str, spans: list[Span]) -> None:
    """The places inside `node` that name `name` as a block or network."""
    if isinstance(node, ast.Layer) and node.op == name:
        spans.append(node.op_span)
    elif isinstance(node, ast.Stage) and node.block == name:
        spans.append(node.block_span)
    elif isinstance(node, ast.Instance) and node.base == name:
        spans.append(node.base_span)
    elif isinstance(node, ast.Var) and node.name == name:
        spans.append(node.span)
    elif isinstance(node, ast.Call) and node.name == name:
        spans.append(node.name_span)
    for f in dataclasses.fields(node):
        value = getattr(node, f.name)
        for child in value if isinstance(value, tuple) else (value,):
            for inner in child if isinstance(child, tuple) else (child,):
                if dataclasses.is_dataclass(inner) and not isinstance(inner, (Span, type)):
                    _collect(inner, name, spans)
