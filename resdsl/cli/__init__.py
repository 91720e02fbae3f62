"""The command line: `resdsl check | list | flops | diff | compile | viz | train | eval |
experiment | analyze | explain | fmt` (a face of the pipeline).

Exit codes: 0 success, 1 invalid input (diagnostics printed), 2 usage error, 3 internal error.
`check`, `list`, `flops`, `viz` and `compile -o x.json` never import torch. Each command family is
a module here; this one only gathers them, and imports a family when one of its commands runs
(`resdsl flops` does not pay for the training commands' options).
"""

from __future__ import annotations

import importlib

import click

from ..core.version import __version__

# command -> (module of this package, the click command in it)
COMMANDS = {
    "check": ("analysis", "check"), "list": ("analysis", "list_networks"),
    "compile": ("build", "compile_"), "flops": ("analysis", "flops"), "diff": ("analysis", "diff_"),
    "viz": ("build", "viz"), "train": ("train", "train"), "eval": ("train", "eval_"),
    "experiment": ("experiment", "experiment"), "analyze": ("experiment", "analyze"),
    "explain": ("explain", "explain"), "fmt": ("fmt", "fmt"), "import": ("importing", "import_"),
    "lsp": ("lsp", "lsp"), "serve": ("serve", "serve"),
    "runs": ("runs", "runs"),
}


class Commands(click.Group):
    """A group whose commands are imported by name, when asked for."""

    def list_commands(self, _ctx: click.Context) -> list[str]:
        return sorted({*COMMANDS, *self.commands})

    def get_command(self, _ctx: click.Context, name: str) -> click.Command | None:
        if name in COMMANDS and name not in self.commands:
            module, attribute = COMMANDS[name]
            self.add_command(getattr(importlib.import_module(f".{module}", __name__), attribute), name)
        return self.commands.get(name)

    def resolve_command(self, ctx: click.Context, args: list[str]):
        from .common import refuse_repeats, take_global_options

        name, command, rest = super().resolve_command(ctx, args)
        if command is None:
            return name, command, rest
        rest = take_global_options(self, ctx, rest)  # `resdsl experiment ... --allow-use DIR` too
        if not isinstance(command, click.Group):
            refuse_repeats(command, click.Context(command, info_name=name, parent=ctx), rest)
        return name, command, rest


@click.group(cls=Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="resdsl")
@click.option("--allow-use", "allow_use", multiple=True, metavar="FOLDER",
              type=click.Path(file_okay=False),
              help="Let 'use' read files in FOLDER too (by default: only the importing file's "
                   "folder and the bundled library; also RESDSL_USE_PATH).")
def main(allow_use):
    """resdsl: residual networks, declared. Check, cost, draw and compile .rdsl files."""
    from ..language.sources import allow_folders

    allow_folders(allow_use)
