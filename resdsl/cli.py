"""The command line: `resdsl check | list | compile | flops | viz`.

Exit codes: 0 success, 1 invalid input (diagnostics printed), 2 usage error, 3 internal error.
`check`, `list`, `flops`, `viz` and `compile -o x.json` never import torch.
"""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

import click

from . import __version__
from .errors import ResdslError, render


def diagnostics(fn):
    """Render user errors as diagnostics on stderr with exit code 1, never a traceback."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ResdslError as err:
            click.echo(render(err.errors), err=True)
            sys.exit(1)
        except RecursionError:
            click.echo("error[E607]: the input nests too deeply to process", err=True)
            sys.exit(1)
        except (click.ClickException, click.exceptions.Exit, click.Abort, KeyboardInterrupt):
            raise
        except Exception as err:  # a bug in resdsl, not in the input: say so, without a traceback
            if os.environ.get("RESDSL_DEBUG"):
                raise
            click.echo(f"internal error: {type(err).__name__}: {err}\n"
                       "  this is a bug in resdsl; rerun with RESDSL_DEBUG=1 for a traceback "
                       "and report it", err=True)
            sys.exit(3)
    return wrapper


def shape_text(shape) -> str:
    return "x".join(str(d) for d in shape)


def parse_input_option(ctx, param, value):
    if value is None:
        return None
    try:
        dims = tuple(int(p) for p in value.lower().split("x"))
    except ValueError:
        raise click.BadParameter(f"'{value}' is not a size like 3x224x224") from None
    if len(dims) != 3 or min(dims) < 1:
        raise click.BadParameter(f"'{value}' is not a size like 3x224x224")
    return dims


FILE = click.argument("file", metavar="FILE")
NETWORK = click.option("-n", "--network", help="Which network of the file (or write FILE:NAME).")
INPUT = click.option("--input", "input_shape", callback=parse_input_option, metavar="CxHxW",
                     help="Build for another input size, e.g. 3x320x320.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="resdsl")
def main():
    """resdsl: residual networks, declared. Check, cost, draw and compile .rdsl files."""


def _graphs(file: str, network: str | None, input_shape=None):
    from .library import build_graph, open_target

    target = open_target(file, network)
    errors, graphs = [], []
    for name in target.names:
        try:
            graphs.append(build_graph(target.scope, name, input_shape=input_shape))
        except ResdslError as err:
            errors.extend(err.errors)
    if errors:
        from .errors import ErrorGroup
        raise ErrorGroup(errors)
    return graphs


@main.command()
@FILE
@NETWORK
@INPUT
@diagnostics
def check(file, network, input_shape):
    """Parse, elaborate, infer shapes and check budgets and expectations."""
    from .check import human, run_checks
    from .errors import ErrorGroup
    from .infer import totals

    errors = []
    for graph in _graphs(file, network, input_shape):
        figures = totals(graph)
        problems = run_checks(graph)
        errors += problems
        outputs = ", ".join(f"{k} {shape_text(v)}" if len(figures["outputs"]) > 1 else shape_text(v)
                            for k, v in figures["outputs"].items())
        checks = graph.graph.get("checks", [])
        status = f", {len(checks) - len(problems)}/{len(checks)} checks pass" if checks else ""
        click.echo(f"{graph.graph['name']}: {figures['depth']} weighted layers ({figures['layers']} nodes), "
                   f"{figures['params']:,} params, "
                   f"{human(figures['macs'])} multiply-adds, input {shape_text(graph.graph['input'])}, "
                   f"output {outputs}{status}")
    if errors:
        raise ErrorGroup(errors)


@main.command("list")
@diagnostics
def list_networks():
    """The bundled architectures with their parameters and multiply-adds."""
    from rich.console import Console
    from rich.table import Table

    from .check import human
    from .infer import totals
    from .library import build_graph, bundled_index
    from .loader import load_file

    table = Table(title="bundled architectures", title_justify="left")
    for column in ("network", "file", "input", "output", "params", "multiply-adds"):
        table.add_column(column, justify="right" if column in ("params", "multiply-adds") else "left")
    scopes = {}
    for name, path in bundled_index().items():
        scope = scopes.setdefault(path, load_file(path))
        graph = build_graph(scope, name)
        figures = totals(graph)
        out = ", ".join(shape_text(s) for s in figures["outputs"].values())
        table.add_row(name, path.name, shape_text(graph.graph["input"]), out,
                      f"{figures['params']:,}", human(figures["macs"]))
    Console(width=max(100, _terminal_width())).print(table)


def _terminal_width() -> int:
    try:
        return os.get_terminal_size().columns
    except OSError:
        return 100


ARTIFACTS = {".json": "the IR", ".py": "standalone PyTorch source", ".pt2": "torch.export",
             ".onnx": "ONNX"}


def _compile_to_torch(graph, out, weights):
    try:
        import torch  # noqa: F401
    except ImportError:
        from .errors import ExportError
        raise ExportError("compiling to PyTorch needs torch", code="E911",
                          hint="pip install 'resdsl[torch]', or write only the IR: -o OUT.json") from None
    from .torch_backend import build_module
    from .torch_export import WRITERS, write_weights

    module = build_module(graph)
    count = sum(p.numel() for p in module.parameters())
    click.echo(f"built {type(module).__name__} (torch.fx GraphModule, {count:,} parameters)")
    if out:
        WRITERS[Path(out).suffix.lower()](module, graph, out)
        click.echo(f"wrote {out}")
    if weights:
        write_weights(module, weights)
        click.echo(f"wrote {weights}")


@main.command("compile")
@FILE
@NETWORK
@INPUT
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT",
              help="Write an artifact; the suffix picks it: .py (standalone PyTorch source), "
                   ".pt2 (torch.export), .onnx, .json (the IR).")
@click.option("--weights", type=click.Path(dir_okay=False), metavar="FILE.safetensors",
              help="Save the initialized weights (He et al.) as safetensors.")
@diagnostics
def compile_(file, network, input_shape, out, weights):
    """Build the network as a PyTorch module; print params, multiply-adds and shapes; write OUT."""
    from .check import human
    from .infer import totals

    suffix = Path(out).suffix.lower() if out else None
    if suffix is not None and suffix not in ARTIFACTS:
        raise click.UsageError(f"cannot write '{suffix or out}' files; use "
                               + ", ".join(f"{k} ({v})" for k, v in ARTIFACTS.items()))
    if weights and Path(weights).suffix.lower() != ".safetensors":
        raise click.UsageError("--weights writes a .safetensors file")
    graphs = _graphs(file, network, input_shape)
    if len(graphs) > 1:
        raise click.UsageError(f"{file} defines several networks "
                               f"({', '.join(g.graph['name'] for g in graphs)}); choose one with -n")
    graph = graphs[0]
    figures = totals(graph)
    click.echo(f"{graph.graph['name']}: {figures['params']:,} params, {human(figures['macs'])} "
               f"multiply-adds, input {shape_text(graph.graph['input'])}, output "
               + ", ".join(shape_text(s) for s in figures["outputs"].values()))
    if suffix != ".json" or weights:  # the IR alone needs no torch
        _compile_to_torch(graph, out if suffix != ".json" else None, weights)
    if suffix == ".json":
        from .files import write_atomic
        from .ir import dumps

        write_atomic(out, dumps(graph))
        click.echo(f"wrote {out}")


if __name__ == "__main__":
    main()
