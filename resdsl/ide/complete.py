"""Completion: what may be written at a position.

`completions(text, path, line, column)` -> a list of `{"label", "kind", "detail", "insert"}`
(`kind`: "op", "block", "template", "network", "argument", "value", "file" or "keyword";
`insert` is the text to put in place of the word before the cursor). What is offered depends on
what precedes the cursor on its line:

- in `use "...`: the .rdsl files `use` may read (this file's folder, the bundled library);
- after `from:`: `input` and the layers and stages written before, in the same body;
- after an op or block and a comma: the op's argument names (the op table's) or the block's
  parameters, as `name: `;
- at the start of a statement (or after `label:` or `stage name:`): the ops, the blocks in scope
  and, in a network, the statement keywords;
- after `name =`: the templates and networks in scope; at the top level: `use`, `block`, `network`.

The text need not parse: the line being written is left out to find the names in scope.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from ..language import ast
from ..language.reserved import READS
from ..netgraph.ops import OPS, source_ops
from .analysis import Analysis, analyse, folder_of
from .locate import chain_at


@functools.cache
def keywords(origin: str) -> tuple[str, ...]:
    """The keywords that start what the grammar's rule `origin` expands to, in the grammar's
    order: `keywords("_stmt")` are the statements of a body, `keywords("_toplevel")` the items."""
    from ..language.parse import parser

    grammar = parser()
    words = {t.name: t.pattern.value for t in grammar.terminals
             if t.pattern.type == "str" and t.pattern.value.isalpha()}
    found: dict[str, None] = {}
    for rule in grammar.rules:
        if rule.origin.name != origin:
            continue
        for inner in grammar.rules:
            head = inner.expansion[:1]
            if inner.origin == rule.expansion[0] and head and head[0].is_term and head[0].name in words:
                found[words[head[0].name]] = None
    return tuple(found)


_USE = re.compile(r'^\s*use\s+"([^"]*)$')
_FROM = re.compile(rf"\b{READS}:\s*([A-Za-z0-9_.]*)$")
_ARGUMENT = re.compile(r"^\s*(?:[A-Za-z0-9_.-]+\s*:\s*)?([A-Za-z_]\w*)\b[^;#]*,\s*([A-Za-z_]\w*)?$")
_STAGE_CALL = re.compile(r"^\s*stage\s+[\w.]+(?:\s+\"[^\"]*\")?\s*:\s*([A-Za-z_]\w*)\s*\([^)]*?([A-Za-z_]\w*)?$")
_STATEMENT = re.compile(r"(?:^|;)\s*(?:[A-Za-z0-9_.-]+\s*:\s*)?([A-Za-z_]\w*)?$")
_STAGE_BLOCK = re.compile(r"^\s*stage\s+[\w.]+(?:\s+\"[^\"]*\")?\s*:\s*([A-Za-z_]\w*)?$")
_BASE = re.compile(r"^\s*[A-Za-z_]\w*\s*=\s*([A-Za-z_]\w*)?$")


def completions(text: str, path: str | None, line: int, column: int) -> list[dict]:
    """What may be written at a 1-based line and character column of `text`."""
    lines = text.split("\n")
    before = lines[line - 1][: column - 1] if 0 < line <= len(lines) else ""
    if (match := _USE.match(before)):
        return _files(path, match.group(1))
    found = _analysis_without(lines, line, path)
    body = _body_at(found, line)
    if (match := _FROM.search(before)):
        return _values(body, line)
    if (match := _STAGE_CALL.match(before)) or (match := _ARGUMENT.match(before)):
        return _arguments(found, body, match.group(1), before)
    if _STAGE_BLOCK.match(before):
        return _callees(found, body, statements=False)
    if body is not None and _STATEMENT.search(before):
        return _callees(found, body, statements=isinstance(body, ast.NetworkDef)
                        and not re.search(r":\s*\w*$", before))
    if body is None and _BASE.match(before):
        return _networks(found)
    if body is None and re.fullmatch(r"\s*\w*", before):
        return [_item(word, "keyword", "") for word in keywords("_toplevel")]
    return []


def _item(label: str, kind: str, detail: str, insert: str | None = None) -> dict:
    return {"label": label, "kind": kind, "detail": detail, "insert": insert or label}


def _analysis_without(lines: list[str], line: int, path: str | None) -> Analysis:
    """The text's analysis; if it does not parse, that of the text without the line being
    written (so that the names around it are still known)."""
    found = analyse("\n".join(lines), path)
    blanked = list(lines)
    for _ in range(3):  # the line being written, then the lines of the errors that remain
        if found.scope is not None:
            break
        where = line if blanked[line - 1:line] not in ([""], []) else _error_line(found)
        if where is None or not 0 < where <= len(blanked) or not blanked[where - 1]:
            break
        blanked[where - 1] = ""
        found = analyse("\n".join(blanked), path)
    return found


def _error_line(found: Analysis) -> int | None:
    span = found.errors[0].span if found.errors else None
    return span.line if span is not None and span.file == found.name else None


def _body_at(found: Analysis, line: int):
    """The block or network whose braces hold `line`, if any."""
    if found.module is None:
        return None
    for item in found.module.items:
        if isinstance(item, (ast.BlockDef, ast.NetworkDef)) and item.span.line < line < item.span.end_line:
            return item
    chain = chain_at(found.module, line, 1)
    outer = chain[0] if chain else None
    return outer if isinstance(outer, (ast.BlockDef, ast.NetworkDef)) and outer.span.line < line else None


def _files(path: str | None, typed: str) -> list[dict]:
    from ..core.resources import architectures_dir

    folders = [folder_of(path), architectures_dir().resolve()]
    seen: dict[str, str] = {}
    for folder in folders:
        try:
            names = sorted(p.name for p in Path(folder).glob("*.rdsl"))
        except OSError:
            continue
        for name in names:
            if name != (Path(path).name if path else None):
                seen.setdefault(name, "bundled library" if folder == folders[-1] else "this folder")
    return [_item(name, "file", where) for name, where in seen.items() if name.startswith(typed)]


def _values(body, line: int) -> list[dict]:
    """`input` and the names of the layers and stages written before `line` in `body`."""
    found = [_item("input", "value", "the input of the block or network")]
    for stmt in getattr(body, "body", ()):
        if stmt.span.line >= line:
            break
        if isinstance(stmt, ast.Layer) and stmt.label:
            found.append(_item(stmt.label, "value", f"layer: {stmt.op}"))
        elif isinstance(stmt, ast.Stage):
            found.append(_item(stmt.name, "value", f"stage: {stmt.block}"))
    return found


def _arguments(found: Analysis, body, callee: str, before: str) -> list[dict]:
    """The keyword arguments `callee` takes that the line has not given yet."""
    given = set(re.findall(r"([A-Za-z_]\w*)\s*:", before))
    written = re.split(r"\b" + re.escape(callee) + r"\b\s*\(?", before, maxsplit=1)[-1]
    positional = sum(1 for part in written.split(",")[:-1] if part.strip() and ":" not in part)
    params = {p.name: p for p in getattr(body, "params", ())}
    definition = found.scope.lookup(callee) if found.scope and callee not in params else None
    offered = []
    if definition is not None and isinstance(definition[0], ast.BlockDef):
        for param in definition[0].params[positional:]:
            offered.append(_item(param.name, "argument", f"parameter of block {callee}",
                                 f"{param.name}: "))
    elif callee in OPS and not OPS[callee].internal:
        for arg in OPS[callee].args[positional:]:
            offered.append(_item(arg.name, "argument", f"{arg.kind}: {arg.doc or callee}",
                                 f"{arg.name}: "))
    else:
        return []
    offered.append(_item(READS, "argument", "the value this layer reads", f"{READS}: "))
    return [o for o in offered if o["label"] not in given]


def _callees(found: Analysis, body, statements: bool) -> list[dict]:
    """The ops, the blocks in scope (and block-valued parameters), and statement keywords."""
    offered = [_item(name, "op", OPS[name].doc) for name in source_ops()]
    scope = found.scope
    for name in sorted(scope.blocks() if scope else ()):
        offered.append(_item(name, "block", "block"))
    for param in getattr(body, "params", ()):
        offered.append(_item(param.name, "value", f"parameter of {body.name}"))
    if statements:
        offered += [_item(word, "keyword", "") for word in keywords("_stmt")]
    return offered


def _networks(found: Analysis) -> list[dict]:
    scope = found.scope
    if scope is None:
        return []
    offered = []
    for name in sorted(scope.names()):
        definition = scope.lookup(name)
        if definition is None or isinstance(definition[0], ast.BlockDef):
            continue
        kind = "template" if isinstance(definition[0], ast.NetworkDef) else "network"
        offered.append(_item(name, kind, kind))
    return offered
