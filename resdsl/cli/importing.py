"""`resdsl import`: an existing model as `.rdsl` text."""

from __future__ import annotations

import click

from .common import INPUT, diagnostics


@click.command("import")
@click.argument("source", metavar="SRC")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT",
              help="The .rdsl file to write (default: print the text).")
@click.option("--name", help="The network's name (default: from SRC).")
@INPUT
@click.option("--approximate", is_flag=True,
              help="Write the text even where it differs from the source, with the differences "
                   "as comments (exit 0).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@diagnostics
def import_(source, out, name, input_shape, approximate, force):
    """Import a model as .rdsl text: SRC is module.path:callable, module:build(depth=50),
    timm:NAME, file.py:callable (runs that file's code), an .onnx file or a .prototxt."""
    from pathlib import Path

    from ..core.files import atomic_path, check_outputs
    from ..importer.build import network_name
    from ..importer.sources import kind_of

    kind = kind_of(source)
    read = {"SRC": source.split(":")[0] if kind != "python" or source.split(":")[0].endswith(".py")
            else None}
    check_outputs({"-o": out}, read, force)
    name = name or network_name(Path(source.split(":")[0]).stem if kind != "python" else source)
    result = _imported(source, kind, name, input_shape, approximate)
    for line in result.comparison.figures:
        click.echo(line, err=True)
    for line in result.comparison.differences:
        click.echo(f"warning: {line}", err=True)
    if out is None:
        click.echo(result.text, nl=False)
        return
    with atomic_path(out) as tmp:
        Path(tmp).write_text(result.text)
    click.echo(f"wrote {out} ({result.text.count(chr(10))} lines)", err=True)


def _imported(source: str, kind: str, name: str, input_shape, approximate: bool):
    import torch

    if kind == "prototxt":
        from ..importer.build import checked_layers
        from ..importer.prototxt import read_file

        layers = read_file(source, name)
        return checked_layers(layers, approximate=approximate,
                              header=f"{name}: imported from {source} by 'resdsl import'")
    if kind == "onnx":
        from ..core.extras import require
        from ..importer.onnx import onnx_result

        require("importing an ONNX file", ".onnx", "onnxruntime")
        return onnx_result(source, name, approximate=approximate,
                           header=f"{name}: imported from {source} by 'resdsl import'")
    from ..importer.build import imported_text
    from ..importer.sources import load_model

    model = load_model(source)
    example = torch.randn(1, *(input_shape or (3, 224, 224)))
    return imported_text(model, example, name, approximate=approximate,
                         header=f"{name}: imported from {source} by 'resdsl import'")
