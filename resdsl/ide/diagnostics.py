"""Diagnostics of one text: every error the front end finds, as `--error-format json` prints it.

`diagnostics(text, path)` parses, resolves names, builds every network the text defines and runs
its budgets and expectations; it returns the JSON objects of resdsl.core.errors
(`ResdslError.to_json()`: code, severity, message, span, hint, notes, rendered), one per place and
message. A mistake inside another file (a library template the text calls) keeps its own span;
`place_in` says where to show it in this text (the note that points here).
"""

from __future__ import annotations

from .analysis import UNSAVED, analyse


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
