"""The command line: `resdsl check | list | flops | diff | compile | viz | train | eval |
experiment | analyze | explain` (a face of the pipeline).

Exit codes: 0 success, 1 invalid input (diagnostics printed), 2 usage error, 3 internal error.
`check`, `list`, `flops`, `viz` and `compile -o x.json` never import torch. Each command family is
a module here; this one only gathers them.
"""

from __future__ import annotations

import click

from ..core.version import __version__
from . import analysis, build, experiment, explain, train


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="resdsl")
@click.option("--allow-use", "allow_use", multiple=True, metavar="FOLDER",
              type=click.Path(file_okay=False),
              help="Let 'use' read files in FOLDER too (by default: only the importing file's "
                   "folder and the bundled library; also RESDSL_USE_PATH).")
def main(allow_use):
    """resdsl: residual networks, declared. Check, cost, draw and compile .rdsl files."""
    from ..language.sources import allow_folders

    allow_folders(allow_use)


for command in (analysis.check, analysis.list_networks, build.compile_, analysis.flops,
                analysis.diff_, build.viz, train.train, train.eval_, experiment.experiment,
                experiment.analyze, explain.explain):
    main.add_command(command)
