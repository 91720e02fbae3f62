"""`resdsl fmt FILE...`: rewrite .rdsl files in the canonical layout (docs/formatting.md)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .common import diagnostics, exit_after_output


@click.command("fmt")
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@click.option("--check", is_flag=True,
              help="Write nothing; list the files that would change and exit 1 if there are any.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print what would change as a unified diff.")
@diagnostics
def fmt(files, check, show_diff):
    """Lay .rdsl files out in the canonical form (FILE may be a folder: its .rdsl files; '-':
    standard input to standard output). A file that does not parse is left as it is."""
    from ..core.errors import ResdslError

    if "-" in files:
        if len(files) > 1:
            raise click.UsageError("'-' (standard input) cannot be given with other files")
        _stdin(check, show_diff)
        return
    errors: list[ResdslError] = []
    changed = 0
    for path in _sources(files):
        try:
            changed += _one(path, check, show_diff)
        except ResdslError as err:  # left untouched; the others are still formatted
            errors.append(err)
    exit_after_output(errors, status=1 if check and changed else 0)


def _stdin(check: bool, show_diff: bool) -> None:
    from ..format import format_text

    text = sys.stdin.read()
    result = format_text(text, "<stdin>")
    if show_diff:
        click.echo(_diff(text, result, "<stdin>"), nl=False)
    elif not check:
        click.echo(result, nl=False)
    if check and result != text:
        click.echo("<stdin>")
        exit_after_output(status=1)


def _sources(files: tuple[str, ...]) -> list[Path]:
    """The files named, a folder's .rdsl files (in name order, recursively)."""
    out: list[Path] = []
    for name in files:
        path = Path(name)
        out.extend(sorted(path.rglob("*.rdsl")) if path.is_dir() else [path])
    return out


def _one(path: Path, check: bool, show_diff: bool) -> int:
    """Format one file; 1 if it changes (or would)."""
    from ..core.files import write_atomic
    from ..format import format_text
    from ..language.sources import read_source

    text = read_source(path, str(path))
    result = format_text(text, str(path))
    if result == text:
        return 0
    if show_diff:
        click.echo(_diff(text, result, str(path)), nl=False)
    elif check:
        click.echo(str(path))
    else:
        write_atomic(path, result)
        click.echo(str(path))
    return 1


def _diff(before: str, after: str, name: str) -> str:
    import difflib

    return "".join(difflib.unified_diff(before.splitlines(keepends=True),
                                        after.splitlines(keepends=True),
                                        f"{name} (as written)", f"{name} (formatted)"))
