"""`resdsl lsp`: the language server, for editors (docs/language-server.md)."""

from __future__ import annotations

import click

from .common import diagnostics


@click.command()
@click.option("--stdio", is_flag=True, help="Talk over standard input and output (the default "
              "and only transport; accepted because editors pass it).")
@diagnostics
def lsp(stdio):  # noqa: ARG001 (editors pass --stdio; it is the only transport)
    """Run the language server on standard input and output: live diagnostics, hover, go to
    definition, completion, symbols and formatting for .rdsl files in any LSP editor."""
    from ..core.extras import require

    require("resdsl lsp", "lsp")
    from ..lsp import serve

    serve()
