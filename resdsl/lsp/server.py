"""`resdsl lsp`: the language server, on pygls. Each request is answered by resdsl.ide's
functions on the document's current text; this module only maps them to the protocol.

Diagnostics are published when a document opens and, debounced, after it changes (a burst of
keystrokes is analysed once, DEBOUNCE seconds after the last). `use` reads what the command line
lets it read: the document's folder, the bundled library and the folders the user allowed.
"""

from __future__ import annotations

import asyncio
import logging
import os

from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pygls.lsp.server import LanguageServer

from .. import ide
from ..core.version import __version__
from .convert import Text, completion, diagnostic, file_text, path_of, symbol, uri_of

DEBOUNCE = 0.3  # seconds after the last change before a document is analysed again

server = LanguageServer("resdsl", __version__,
                        text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
_pending: dict[str, asyncio.TimerHandle] = {}


def _text(ls: LanguageServer, uri: str) -> Text:
    document = ls.workspace.get_text_document(uri)
    return Text(document.source, document.position_codec)


def publish(ls: LanguageServer, uri: str) -> None:
    """Analyse a document's current text and send its diagnostics."""
    _pending.pop(uri, None)
    document = ls.workspace.get_text_document(uri)
    path = path_of(uri)
    text = Text(document.source, document.position_codec)
    name = path or "<untitled>"
    found = [diagnostic(d, text, ide.place_in(d, path), uri, name)
             for d in ide.diagnostics(document.source, path)]
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, version=document.version, diagnostics=found))


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: LanguageServer, params: types.DidOpenTextDocumentParams) -> None:
    publish(ls, params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: LanguageServer, params: types.DidChangeTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri in _pending:
        _pending[uri].cancel()
    _pending[uri] = asyncio.get_running_loop().call_later(DEBOUNCE, publish, ls, uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: LanguageServer, params: types.DidCloseTextDocumentParams) -> None:
    uri = params.text_document.uri
    if uri in _pending:
        _pending.pop(uri).cancel()
    ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))


@server.feature(types.TEXT_DOCUMENT_HOVER)
def hover(ls: LanguageServer, params: types.HoverParams) -> types.Hover | None:
    uri = params.text_document.uri
    text = _text(ls, uri)
    line, column = text.column(params.position)
    found = ide.hover(ls.workspace.get_text_document(uri).source, path_of(uri), line, column)
    if found is None:
        return None
    return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, found["markdown"]),
                       text.range(found["range"]))


@server.feature(types.TEXT_DOCUMENT_DEFINITION)
def definition(ls: LanguageServer, params: types.DefinitionParams) -> list[types.Location]:
    uri = params.text_document.uri
    text = _text(ls, uri)
    line, column = text.column(params.position)
    path = path_of(uri)
    places = ide.definition(ls.workspace.get_text_document(uri).source, path, line, column)
    found = []
    for place in places:
        here = place["file"] == (path or "<untitled>")
        at = text if here else file_text(place["file"], text.codec)
        found.append(types.Location(uri if here else uri_of(place["file"]), at.range(place)))
    return found


@server.feature(types.TEXT_DOCUMENT_COMPLETION,
                types.CompletionOptions(trigger_characters=[",", ":", '"', " "]))
def complete(ls: LanguageServer, params: types.CompletionParams) -> types.CompletionList:
    uri = params.text_document.uri
    line, column = _text(ls, uri).column(params.position)
    items = ide.completions(ls.workspace.get_text_document(uri).source, path_of(uri), line, column)
    return types.CompletionList(is_incomplete=False, items=[completion(i) for i in items])


@server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: LanguageServer, params: types.DocumentSymbolParams
                     ) -> list[types.DocumentSymbol]:
    uri = params.text_document.uri
    text = _text(ls, uri)
    return [symbol(s, text) for s in ide.symbols(ls.workspace.get_text_document(uri).source,
                                                  path_of(uri))]


@server.feature(types.TEXT_DOCUMENT_CODE_ACTION,
                types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]))
def code_actions(ls: LanguageServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Quick fixes: the name a diagnostic's hint suggests, written in place of the wrong one."""
    uri = params.text_document.uri
    source = ls.workspace.get_text_document(uri).source
    text = _text(ls, uri)
    path = path_of(uri)
    actions = []
    for found in ide.diagnostics(source, path):
        fix = ide.fix_of(found, source, path)
        if fix is None:
            continue
        where = text.range(fix["range"])
        if not _overlaps(where, params.range):
            continue
        edit = types.WorkspaceEdit(changes={uri: [types.TextEdit(where, fix["new_text"])]})
        actions.append(types.CodeAction(fix["title"], kind=types.CodeActionKind.QuickFix,
                                        edit=edit, is_preferred=True))
    return actions


def _overlaps(one: types.Range, other: types.Range) -> bool:
    def key(p: types.Position) -> tuple[int, int]:
        return p.line, p.character
    return key(one.start) <= key(other.end) and key(other.start) <= key(one.end)


@server.feature(types.TEXT_DOCUMENT_RENAME)
def rename(ls: LanguageServer, params: types.RenameParams) -> types.WorkspaceEdit:
    """A block or template renamed in every .rdsl file of the document's folder and every open
    document (open documents as they are in the editor, the others as saved)."""
    uri = params.text_document.uri
    text = _text(ls, uri)
    line, column = text.column(params.position)
    found = ide.rename(ls.workspace.get_text_document(uri).source, path_of(uri), line, column,
                       params.new_name, _workspace(ls, uri))
    if "error" in found:
        raise JsonRpcException(found["error"], code=REQUEST_FAILED)
    changes = {}
    for file, edits in found["edits"].items():
        target = uri_of(file)
        lines = _text(ls, target) if target in ls.workspace.text_documents else file_text(file, text.codec)
        changes[target] = [types.TextEdit(lines.range(e["range"]), e["new_text"]) for e in edits]
    return types.WorkspaceEdit(changes=changes)


REQUEST_FAILED = -32803  # the protocol's code for a request that is valid but cannot be done


def _workspace(ls: LanguageServer, uri: str) -> dict[str, str]:
    """The texts a rename may edit: the folder's .rdsl files and the open documents."""
    from pathlib import Path

    texts: dict[str, str] = {}
    path = path_of(uri)
    if path is not None:
        for file in sorted(Path(path).resolve().parent.glob("*.rdsl")):
            try:
                texts[str(file)] = file.read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                continue
    for open_uri, document in ls.workspace.text_documents.items():
        open_path = path_of(open_uri)
        if open_path is not None and open_path.endswith(".rdsl"):
            texts[str(Path(open_path).resolve())] = document.source
    return texts


@server.feature(types.TEXT_DOCUMENT_FORMATTING)
def formatting(ls: LanguageServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
    """The whole text in `resdsl fmt`'s layout, as one edit; none when it is already so, when it
    does not parse (its diagnostics say why) or when the formatter is not installed."""
    uri = params.text_document.uri
    source = ls.workspace.get_text_document(uri).source
    formatted = format_text(source, path_of(uri))
    if formatted is None or formatted == source:
        return []
    text = _text(ls, uri)
    return [types.TextEdit(types.Range(text.position(1, 1), text.end()), formatted)]


def format_text(source: str, path: str | None) -> str | None:
    """`resdsl fmt`'s layout of a text, or None when it cannot be had."""
    from ..core.errors import ResdslError

    try:
        from ..format import format_text as layout
    except ImportError:
        return None
    try:
        return layout(source, path)
    except ResdslError:
        return None


def serve() -> None:
    """Answer an editor on standard input and output until it says `exit`."""
    _log_to_stderr()
    server.start_io()


class _Brief(logging.Formatter):
    """Log lines without tracebacks (the editor shows stderr as the server's log); RESDSL_DEBUG=1
    keeps them, for a bug report."""

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        return super().formatException(ei) if os.environ.get("RESDSL_DEBUG") else ""

    def format(self, record: logging.LogRecord) -> str:
        record.exc_text = None
        return super().format(record).rstrip()


def _log_to_stderr() -> None:
    handler = logging.StreamHandler()  # stderr: stdout carries the protocol
    handler.setFormatter(_Brief("resdsl lsp: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
