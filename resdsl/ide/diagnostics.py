"""Diagnostics of one text: every error the front end finds, as `--error-format json` prints it.

`diagnostics(text, path)` parses, resolves names, builds every network the text defines and runs
its budgets and expectations; it returns the JSON objects of resdsl.core.errors
(`ResdslError.to_json()`: code, severity, message, span, hint, notes, rendered), one per place and
message. A mistake inside another file (a library template the text calls) keeps its own span;
`place_in` says where to show it in this text (the note that points here); `fix_of` gives the
edit its hint suggests ("did you mean 'bottleneck'?").
"""

from __future__ import annotations

import re

from .analysis import UNSAVED, analyse

_SUGGESTED = re.compile(r"^did you mean '([^']+)'\?$")


def diagnostics(text: str, path: str | None = None) -> list[dict]:
    """Every diagnostic of `text` (the file at `path`, or an unsaved text when None)."""
    return [error.to_json() for error in analyse(text, path).errors]


def place_in(diagnostic: dict, path: str | None) -> dict | None:
    """Where a diagnostic belongs in the text of `path`: its own span if it is in that text, else
    the first note's span that is; None when neither (show it at the top)."""
    name = path or UNSAVED
    spans = [diagnostic.get("span")] + [note.get("span") for note in diagnostic.get("notes", [])]
    for span in spans:
        if span is not None and span["file"] == name:
            return {key: span[key] for key in ("line", "column", "end_line", "end_column")}
    return None


def fix_of(diagnostic: dict, text: str, path: str | None) -> dict | None:
    """The quick fix a diagnostic's hint offers, if it names the one word to write instead
    ("did you mean 'bottleneck'?") of the word its span covers in this text:
    `{"title", "range", "new_text"}`, or None."""
    hint = diagnostic.get("hint") or ""
    suggested = _SUGGESTED.match(hint)
    span = diagnostic.get("span")
    if suggested is None or span is None or span["file"] != (path or UNSAVED) or \
            span["line"] != span["end_line"]:
        return None
    lines = text.split("\n")
    written = lines[span["line"] - 1][span["column"] - 1:span["end_column"] - 1] \
        if span["line"] <= len(lines) else ""
    if not re.fullmatch(r"[A-Za-z_][\w.]*", written):
        return None
    where = {key: span[key] for key in ("line", "column", "end_line", "end_column")}
    return {"title": f"Change '{written}' to '{suggested.group(1)}'", "range": where,
            "new_text": suggested.group(1)}
