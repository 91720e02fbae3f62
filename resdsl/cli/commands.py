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


def _quantity(ctx, param, value):
    if value is None:
        return None
    from .units import parse_quantity

    try:
        return parse_quantity(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


MAX_FLOPS = click.option("--max-flops", callback=_quantity, metavar="N",
                         help="Fail (exit 1) above N multiply-adds (the paper's FLOPs), e.g. 4G.")
MAX_PARAMS = click.option("--max-params", callback=_quantity, metavar="N",
                          help="Fail (exit 1) above N parameters, e.g. 30M.")


def _budgets(max_flops: int | None, max_params: int | None) -> list:
    from .check import command_line_budget

    return [command_line_budget(metric, value)
            for metric, value in (("flops", max_flops), ("params", max_params)) if value is not None]


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
@MAX_FLOPS
@MAX_PARAMS
@diagnostics
def check(file, network, input_shape, max_flops, max_params):
    """Parse, elaborate, infer shapes and check budgets and expectations."""
    from .check import human, run_checks
    from .errors import ErrorGroup
    from .infer import totals

    errors = []
    budgets = _budgets(max_flops, max_params)
    for graph in _graphs(file, network, input_shape):
        figures = totals(graph)
        problems = run_checks(graph, budgets)
        errors += problems
        outputs = ", ".join(f"{k} {shape_text(v)}" if len(figures["outputs"]) > 1 else shape_text(v)
                            for k, v in figures["outputs"].items())
        checks = graph.graph.get("checks", []) + budgets
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
        table.add_column(column, justify="right" if column in ("params", "multiply-adds") else "left",
                         # names and figures whole; a backbone's taps wrap, one per line
                         no_wrap=column != "output", min_width=11 if column == "output" else None)
    scopes = {}
    for name, path in bundled_index().items():
        scope = scopes.setdefault(path, load_file(path))
        graph = build_graph(scope, name)
        figures = totals(graph)
        out = ", ".join(shape_text(s) for s in figures["outputs"].values())
        table.add_row(name, path.name, shape_text(graph.graph["input"]), out,
                      f"{figures['params']:,}", human(figures["macs"]))
    Console(width=max(112, _terminal_width())).print(table)


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
    click.echo(f"built {type(module).__name__} (nn.Module, {count:,} parameters)")
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


SLOW_LAYERS = 2000  # dot took 0.4 s for ResNet-110's 386 layers and 80 s for ResNet-1202's 4,208


@main.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...")
@NETWORK
@INPUT
@click.option("-o", "--output", "out", metavar="OUT",
              help="The file to write; its suffix picks svg, png, pdf or dot. '-' writes DOT to "
                   "stdout. Default: NAME.svg.")
@click.option("--level", type=click.Choice(["stage", "block", "layer"]), default="block",
              show_default=True, help="One box per stage, per block (repeats collapsed) or per layer.")
@click.option("--cost", is_flag=True, help="Show each box's multiply-adds and shade it by them.")
@diagnostics
def viz(files, network, input_shape, out, level, cost):
    """Draw networks with Graphviz; several side by side, as in the paper's Figure 3:

    \b
        resdsl viz resnet34                        # resnet34.svg, one box per block
        resdsl viz plain34 resnet34 -o fig3.png --level layer
    """
    from .dot import FORMATS, format_of, write
    from .errors import ErrorGroup
    from .viz import diagram

    if network and len(files) > 1:
        raise click.UsageError("-n picks a network of one file; with several, write FILE:NAME")
    if out not in (None, "-") and format_of(out) is None:
        raise click.UsageError(f"cannot tell the format of '{out}'; end it with "
                               + ", ".join(sorted(FORMATS)))
    graphs, errors = [], []
    for file in files:
        try:
            graphs += _graphs(file, network, input_shape)
        except ResdslError as err:
            errors.extend(err.errors)
    if errors:
        raise ErrorGroup(errors)
    dot = diagram(graphs, level, cost=cost)
    if out == "-":
        click.echo(dot.source, nl=False)
        return
    layers = sum(g.number_of_nodes() for g in graphs)
    if level == "layer" and layers > SLOW_LAYERS and format_of(out or ".svg") != "dot":
        click.echo(f"note: drawing {layers:,} layers one by one; Graphviz may take minutes "
                   "(--level block draws them in seconds)", err=True)
    names = [g.graph["name"] for g in graphs]
    out = out or ("-".join(names) if len(names) <= 3 else f"{names[0]}-and-{len(names) - 1}-more") + ".svg"
    write(dot, out)
    click.echo(f"wrote {out}")


# -- cost analysis: flops, diff, and command-line budgets -----------------------------------------

def _console():
    """A rich console: a terminal gets its own width, a pipe the whole table."""
    from rich.console import Console

    return Console(width=_terminal_width() if sys.stdout.isatty() else 160)


def _one_graph(file: str, network: str | None, input_shape=None, hint: str = "-n"):
    graphs = _graphs(file, network, input_shape)
    if len(graphs) > 1:
        raise click.UsageError(f"{file} defines several networks "
                               f"({', '.join(g.graph['name'] for g in graphs)}); choose one with {hint}")
    return graphs[0]


@main.command()
@FILE
@NETWORK
@INPUT
@click.option("--by", type=click.Choice(["stage", "block", "layer"]), default="stage",
              show_default=True, help="One row per stage (like Table 1), block or layer.")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv", "markdown"]),
              default="table", show_default=True)
@click.option("--flops", "show_flops", is_flag=True, help="Also show FLOPs = 2 x multiply-adds.")
@click.option("--batch", type=click.IntRange(min=1), metavar="N",
              help="Activation memory for a batch of N (default 1); adds an activations column.")
@click.option("--all", "every", is_flag=True, help="One row per network of FILE.")
@MAX_FLOPS
@MAX_PARAMS
@diagnostics
def flops(file, network, input_shape, by, fmt, show_flops, batch, every, max_flops, max_params):
    """Multiply-adds, params and activation memory by stage, block or layer (Table 1)."""
    from . import tables
    from .check import run_checks
    from .errors import ErrorGroup
    from .report import family, report

    budgets = _budgets(max_flops, max_params)
    if every and network:
        raise click.UsageError("--all reports every network of FILE; leave out -n")
    if every:
        graphs = _graphs(file, None, input_shape)
        data = family(graphs, batch or 1, budgets)
    else:
        graphs = [_one_graph(file, network, input_shape, hint="-n NAME, or --all for a family table")]
        data = report(graphs[0], by, batch or 1, budgets)
    if fmt == "json":
        click.echo(tables.json_text(data), nl=False)
    elif fmt == "csv":
        click.echo(tables.family_csv(data) if every else tables.csv_text(data), nl=False)
    elif fmt == "markdown":
        click.echo(tables.family_markdown(data, show_flops) if every
                   else tables.markdown(data, show_flops, batch is not None), nl=False)
    elif every:
        tables.print_family(_console(), data, show_flops)
    else:
        tables.print_table(_console(), data, show_flops, show_activations=batch is not None)
    errors = [e for graph in graphs for e in run_checks(graph, budgets)]
    if errors:
        raise ErrorGroup(errors)


@main.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True)
@diagnostics
def diff_(a, b, fmt):
    """What differs between networks A and B (FILE, FILE:NAME or a bundled name), and the change
    in multiply-adds and params per stage."""
    from . import tables
    from .diff import diff

    graph_a, graph_b = (_one_graph(target, None, hint=f"{target}:NAME") for target in (a, b))
    names = (graph_a.graph["name"], graph_b.graph["name"])
    data = diff(graph_a, graph_b, names if names[0] != names[1] else (a, b))
    if fmt == "json":
        click.echo(tables.json_text(data), nl=False)
    else:
        tables.print_diff(_console(), data)


if __name__ == "__main__":
    main()
