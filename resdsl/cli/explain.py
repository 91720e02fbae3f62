"""`resdsl explain CODE`: what an error code means, an input that causes it, and the fix."""

from __future__ import annotations

import click


@click.command()
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "markdown"]), default="text",
              show_default=True, help="markdown: the whole catalogue, as docs/errors.md shows it.")
def explain(code, fmt):
    """Explain an error code (E202, or 202); with no CODE, list every code and its title."""
    from ..core.catalogue import entries, listing, markdown, normalise, text_form
    from ..core.errors import did_you_mean

    if fmt == "markdown":
        if code is not None:
            raise click.UsageError("--format markdown prints the whole catalogue; leave CODE out")
        click.echo(markdown(), nl=False)
        return
    if code is None:
        click.echo(listing())
        return
    known = entries()
    wanted = normalise(code)
    if wanted not in known:
        hint = did_you_mean(wanted, list(known)) or "'resdsl explain' lists every code"
        raise click.UsageError(f"no error code '{code}'; {hint}")
    click.echo(text_form(known[wanted]))
