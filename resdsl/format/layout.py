"""Text to canonical text (placeholder while the layout is written: validates and returns)."""

from __future__ import annotations

from ..language.parse import parse


def format_text(text: str, path: str | None = None) -> str:
    """`text` in the canonical layout; raises ResdslError (a ParseError with its diagnostic)
    when it does not parse. `path` only names the source in diagnostics."""
    parse(text, path or "<string>")
    return text
