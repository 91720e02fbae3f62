"""From resdsl.ide's plain data to the Language Server Protocol's types: positions in the
client's units (UTF-16 by default) and 0-based lines, diagnostics with their code's explanation,
symbols, completion items."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from lsprotocol import types
from pygls.workspace.position_codec import PositionCodec, ServerTextPosition

SEVERITY = {"error": types.DiagnosticSeverity.Error, "warning": types.DiagnosticSeverity.Warning}
SYMBOL_KIND = {"template": types.SymbolKind.Class, "network": types.SymbolKind.Object,
               "block": types.SymbolKind.Function, "stage": types.SymbolKind.Field}
COMPLETION_KIND = {"op": types.CompletionItemKind.Function, "block": types.CompletionItemKind.Class,
                   "template": types.CompletionItemKind.Class,
                   "network": types.CompletionItemKind.Variable,
                   "argument": types.CompletionItemKind.Property,
                   "value": types.CompletionItemKind.Variable,
                   "file": types.CompletionItemKind.File,
                   "keyword": types.CompletionItemKind.Keyword}


def path_of(uri: str) -> str | None:
    """The file a `file:` URI names; None for an unsaved document (`untitled:`)."""
    parsed = urlparse(uri)
    return unquote(parsed.path) if parsed.scheme == "file" else None


def uri_of(file: str) -> str:
    return Path(file).resolve().as_uri()


class Text:
    """One text's lines, for turning 1-based character columns into the client's positions."""

    def __init__(self, text: str, codec: PositionCodec):
        self.lines = text.split("\n")
        self.codec = codec
        self._ends = [line + "\n" for line in self.lines]  # as the codec reads lines

    def column(self, position: types.Position) -> tuple[int, int]:
        """A client position as the ide's (line, column), both 1-based, in characters."""
        found = self.codec.position_from_client_units(self._with_ends(), position)
        return found.line + 1, found.character + 1

    def position(self, line: int, column: int) -> types.Position:
        line = min(max(line, 1), max(len(self.lines), 1))
        text = self.lines[line - 1] if self.lines else ""
        column = min(max(column, 1), len(text) + 1)
        return self.codec.position_to_client_units(self._with_ends(),
                                                   ServerTextPosition(line - 1, column - 1))

    def range(self, where: dict | None) -> types.Range:
        """An ide range ({line, column, end_line, end_column}); None is the first character. A
        range that ends at the first column of a later line ends at the end of the line before."""
        if where is None:
            return types.Range(self.position(1, 1), self.position(1, 2))
        end_line, end_column = where["end_line"], where["end_column"]
        while end_column == 1 and end_line > where["line"]:
            end_line -= 1
            end_column = len(self.lines[end_line - 1]) + 1 if end_line <= len(self.lines) else 1
        return types.Range(self.position(where["line"], where["column"]),
                           self.position(end_line, end_column))

    def end(self) -> types.Position:
        return self.position(len(self.lines), len(self.lines[-1]) + 1 if self.lines else 1)

    def _with_ends(self) -> list[str]:
        return self._ends


def file_text(file: str, codec: PositionCodec) -> Text:
    """The lines of another file a range points into (a library file), read from disk."""
    try:
        return Text(Path(file).read_text(encoding="utf-8"), codec)
    except (OSError, UnicodeDecodeError):
        return Text("", codec)


def diagnostic(found: dict, text: Text, place: dict | None, uri: str, name: str) -> types.Diagnostic:
    """One `--error-format json` object as an LSP diagnostic: the message with its hint, the
    code with where it is explained, the notes as related places."""
    message = found["message"]
    if found.get("hint"):
        message += f"\nhelp: {found['hint']}"
    code = found["code"]
    message += f"\n(resdsl explain {code})"
    related = []
    for note in found.get("notes", []):
        span = note.get("span")
        if span is None:
            continue
        here = span["file"] == name
        at = text if here else file_text(span["file"], text.codec)
        related.append(types.DiagnosticRelatedInformation(
            types.Location(uri if here else uri_of(span["file"]), at.range(span)), note["message"]))
    primary = found.get("span")
    if primary is not None and primary["file"] != name:  # the mistake itself is in another file
        related.insert(0, types.DiagnosticRelatedInformation(
            types.Location(uri_of(primary["file"]), file_text(primary["file"], text.codec).range(primary)),
            "the error is here"))
    return types.Diagnostic(range=text.range(place), message=message,
                            severity=SEVERITY.get(found["severity"], types.DiagnosticSeverity.Error),
                            code=code, code_description=explained_at(code), source="resdsl",
                            related_information=related or None,
                            data={"explain": f"resdsl explain {code}"})


def explained_at(code: str) -> types.CodeDescription | None:
    """Where a code is explained: the error catalogue's page, where the docs are at hand."""
    from ..core.catalogue import entries

    page = Path(__file__).resolve().parent.parent.parent / "docs" / "errors.md"
    entry = entries().get(code)
    if entry is None or not page.is_file():
        return None
    anchor = "".join(c for c in f"{code} {entry.title}".lower() if c.isalnum() or c in " -_")
    return types.CodeDescription(href=f"{page.as_uri()}#{anchor.replace(' ', '-')}")


def symbol(found: dict, text: Text) -> types.DocumentSymbol:
    return types.DocumentSymbol(name=found["name"], kind=SYMBOL_KIND[found["kind"]],
                                range=text.range(found["range"]),
                                selection_range=text.range(found["selection_range"]),
                                detail=found["detail"],
                                children=[symbol(child, text) for child in found["children"]])


def completion(found: dict) -> types.CompletionItem:
    return types.CompletionItem(label=found["label"], kind=COMPLETION_KIND.get(found["kind"]),
                                detail=found["detail"] or None, insert_text=found["insert"])
