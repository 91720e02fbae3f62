"""`resdsl fmt`: one canonical layout for .rdsl text, from the parse tree, comments kept.

`format_text` is the one entry point (the command line and the language server call it).

Rule: imports resdsl.core, resdsl.netgraph and resdsl.language (the parser); never torch."""

from __future__ import annotations

from .layout import format_text

__all__ = ["format_text"]
