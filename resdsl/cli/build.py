"""Commands that write artifacts: compile (the IR, or through the torch backend) and viz."""

from __future__ import annotations

from pathlib import Path

import click

from ..core.errors import ResdslError
from .common import (
    FILE,
    INPUT,
    NETWORK,
    PARAMS,
    SKIP_EXPECT,
    complete_file,
    diagnostics,
    graphs_of,
    one_graph,
    shape_text,
    warn,
    without_expectations,
)

ARTIFACTS = {".json": "the IR", ".py": "standalone PyTorch source", ".pt2": "torch.export",
             ".onnx": "ONNX"}


def _graphs_to_draw(files, network, every: bool, input_shape, params) -> list:
    """The networks of every FILE: each FILE's one (or -n's), or all of them with --all, as flops
    reads a file; the errors of all files together."""
    from ..core.errors import ErrorGroup

    graphs: list = []
    errors: list = []
    for file in files:
        try:
            graphs += graphs_of(file, None, input_shape, params=params) if every else \
                [one_graph(file, network, input_shape, params=params,
                           hint="-n NAME (or FILE:NAME), or --all to draw them side by side")]
        except ResdslError as err:
            errors.extend(err.errors)
    if errors:
        raise ErrorGroup(errors)
    return graphs


def _source_path(file: str) -> str | None:
    """The file a FILE argument reads (FILE, or FILE:NAME); None for a bundled name."""
    for candidate in (file, file.rpartition(":")[0]):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def _check_needs(graph, suffix: str | None, weights: str | None, load_weights: str | None) -> None:
    """Everything the artifacts need, before any of them is built or written: a failure leaves
    every output as it was."""
    from ..analysis.allocation import check_activations

    if suffix != ".json" or weights:  # compile builds the module; only the IR alone needs no torch
        try:
            import torch  # noqa: F401
        except ImportError:
            from ..core.errors import ExportError
            raise ExportError("compiling to PyTorch needs torch", code="E911",
                              hint="pip install 'resdsl[torch]', or write only the IR: -o OUT.json") from None
        from ..torch.export import EXPORT_BATCH, check_packages

        check_packages([suffix] + ([".safetensors"] if weights or load_weights else []))
        if suffix in (".pt2", ".onnx"):  # these trace a forward
            check_activations(graph, EXPORT_BATCH, f"the {suffix} export")


def _carried(load_weights: str | None, weights: str | None):
    """The preprocessing record of --load-weights (its run folder's, or the one beside it), and
    where --save-weights' copy goes (None where there is none to write)."""
    from ..core.files import same_file
    from ..core.preprocess import FILE_NAME, beside, of_weights

    record = of_weights(load_weights) if load_weights else None
    if record is None:
        return None, None
    copy = Path(weights).parent / FILE_NAME if weights else None
    found = beside(load_weights) if load_weights else None
    return record, (None if copy is None or (found and same_file(copy, found)) else str(copy))


def _write_artifacts(graph, out: str | None, suffix: str | None, weights: str | None,
                     load_weights: str | None, record=None, record_copy: str | None = None) -> list[str]:
    """Write every artifact to a temporary beside it, then move them all: all or none."""
    from ..core.files import Staged

    written = []
    with Staged() as staged:
        targets = {path: staged.path(path) for path in (out, weights, record_copy) if path}  # writable?
        module = None
        if suffix != ".json" or weights:  # compile builds the module; only the IR alone needs no torch
            from ..torch.backend import build_module

            module = build_module(graph)
            count = sum(p.numel() for p in module.parameters())
            click.echo(f"built {type(module).__name__} (nn.Module, {count:,} parameters)")
            if load_weights:
                from ..torch.export import read_weights

                read_weights(module, load_weights)
                click.echo(f"loaded {load_weights}")
                if record is not None:
                    from ..torch.carried import attach

                    attach(module, record)
        if out:
            if suffix == ".json":
                from ..ir.codec import dumps

                targets[out].write_text(dumps(graph))
            else:
                from ..torch.export import WRITERS

                assert module is not None and suffix is not None  # built above for any suffix but .json
                WRITERS[suffix](module, graph, targets[out])
            written.append(out)
        if weights:
            from ..torch.export import write_weights

            assert module is not None  # built above whenever weights are written
            write_weights(module, targets[weights])
            written.append(weights)
        if record_copy:
            targets[record_copy].write_text(record.text())
            written.append(record_copy)
        staged.commit()
    return written


@click.command("compile")
@FILE
@NETWORK
@INPUT
@PARAMS
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False), metavar="OUT",
              help="Write an artifact; the suffix picks it: .py (standalone PyTorch source), "
                   ".pt2 (torch.export), .onnx, .json (the IR).")
@click.option("--save-weights", "weights", type=click.Path(dir_okay=False), metavar="FILE.safetensors",
              help="Write the weights as safetensors: He et al.'s initial ones, or --load-weights'.")
# --weights is an input, as in eval and analyze: compile reads trained weights under either name
@click.option("--load-weights", "--weights", "load_weights", type=click.Path(exists=True),
              metavar="CKPT",
              help="Start from trained weights (.safetensors, a torch state_dict .pt/.pth, or a "
                   "run folder of 'resdsl train') before writing OUT: names and shapes must match.")
@click.option("--force", is_flag=True, help="Replace OUT or --save-weights if they exist.")
@click.option("--no-check", is_flag=True,
              help="Compile even if a budget or expectation fails (a warning instead of exit 1).")
@SKIP_EXPECT
@diagnostics
def compile_(file, network, input_shape, params, out, weights, load_weights, force, no_check, skip_expect):
    """Build the network as a PyTorch module; print params, multiply-adds and shapes; write OUT."""
    from ..analysis.check import run_checks
    from ..core.errors import ErrorGroup
    from ..core.files import check_outputs
    from ..core.units import human
    from ..netgraph.infer import totals

    suffix = Path(out).suffix.lower() if out else None
    if suffix is not None and suffix not in ARTIFACTS:
        raise click.UsageError(f"cannot write '{suffix or out}' files; use "
                               + ", ".join(f"{k} ({v})" for k, v in ARTIFACTS.items()))
    if weights and Path(weights).suffix.lower() != ".safetensors":
        raise click.UsageError("--save-weights writes a .safetensors file")
    if out and weights and Path(out).resolve() == Path(weights).resolve():
        raise click.UsageError("-o and --save-weights name the same file")
    if load_weights and not (weights or suffix in (".pt2", ".onnx", ".py")):
        raise click.UsageError("--load-weights needs something to write them into: add --save-weights "
                               "FILE.safetensors, or -o OUT.pt2 / .onnx (or OUT.py for the source with the "
                               "run's preprocessing constants)")
    read = {"FILE": _source_path(file), "--load-weights": load_weights}
    if load_weights and Path(load_weights).is_dir():  # a run folder: its weights are read
        read["--load-weights"] = str(Path(load_weights) / "weights.safetensors")
    record, record_copy = _carried(load_weights, weights)
    if record is not None and input_shape is None:  # built for the input it was trained on
        input_shape = record.input_size
    check_outputs({"-o": out, "--save-weights": weights, "--save-weights (its preprocess.json)": record_copy},
                  read, force)
    graph = one_graph(file, network, input_shape, params=params)
    if record is not None:
        from ..core.preprocess import check_fits

        check_fits(record, graph.graph["input"], graph.graph["name"])
    if skip_expect:
        without_expectations(graph)
    problems = run_checks(graph)
    if problems and not no_check:  # as `check` fails: nothing written
        raise ErrorGroup(problems)
    for problem in problems:
        warn(problem, "--no-check")
    figures = totals(graph)
    click.echo(f"{graph.graph['name']}: {figures['params']:,} params, {human(figures['macs'])} "
               f"multiply-adds, input {shape_text(graph.graph['input'])}, output "
               + ", ".join(shape_text(s) for s in figures["outputs"].values()))
    _check_needs(graph, suffix, weights, load_weights)
    written = _write_artifacts(graph, out, suffix, weights, load_weights, record, record_copy)
    for path in written:
        click.echo(f"wrote {path}")
    if load_weights and suffix == ".py" and not weights:  # the source and its constants, no weights
        click.echo(f"note: {out} holds no weights: load {read['--load-weights']} into it (a run's are "
                   "in its names), or add --save-weights FILE.safetensors for them in its names", err=True)
    if not written:
        click.echo("note: nothing written; -o OUT writes an artifact (" + ", ".join(ARTIFACTS)
                   + "), --save-weights FILE.safetensors the weights", err=True)


SLOW_LAYERS = 2000  # dot took 0.4 s for ResNet-110's 386 layers and 80 s for ResNet-1202's 4,208


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...", shell_complete=complete_file)
@NETWORK
@INPUT
@PARAMS
@click.option("-o", "--output", "out", metavar="OUT",
              help="The file to write; its suffix picks svg, png, pdf or dot. '-' writes DOT to "
                   "stdout. Default: NAME.svg.")
@click.option("--level", type=click.Choice(["stage", "block", "layer"]),
              help="One box per stage, per block (repeats collapsed) or per layer. Default: block; "
                   "layer with --stage.")
@click.option("--stage", metavar="NAME",
              help="Draw one stage alone, by its name or title (layer2 or conv3_x): what a deep "
                   "network's whole picture cannot show layer by layer.")
@click.option("--cost", is_flag=True, help="Show each box's multiply-adds and shade it by them.")
@click.option("--fold", is_flag=True,
              help="At --level layer, draw BN and ReLU inside their conv's box, with the output "
                   "size in a margin (the paper's Figure 3).")
@click.option("--left-to-right", "left_to_right", is_flag=True, help="Lay networks out left to right.")
@click.option("--dpi", type=click.IntRange(min=10, max=1200), metavar="N",
              help="Resolution of PNG output (Graphviz's default: 96).")
@click.option("--all", "every", is_flag=True,
              help="Every network of each FILE, side by side (without it a FILE of several "
                   "networks needs -n NAME or FILE:NAME, as for flops).")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@diagnostics
def viz(files, network, input_shape, params, out, level, stage, cost, fold, left_to_right, dpi, every,
        force):
    """Draw networks with Graphviz; several side by side, as in the paper's Figure 3:

    \b
        resdsl viz resnet34                        # resnet34.svg, one box per block
        resdsl viz plain34 resnet34 -o fig3.png --level layer
        resdsl viz vgg19_paper plain34 resnet34 --level layer --fold -o figure3.png
        resdsl viz resnet110 --stage layer2 --fold -o stage.png   # one stage, layer by layer
    """
    from ..core.files import check_outputs
    from ..viz.diagram import diagram, drawings
    from ..viz.dot import FORMATS, format_of, write
    from ..viz.size import check_png

    if network and len(files) > 1:
        raise click.UsageError("-n picks a network of one file; with several, write FILE:NAME")
    if every and network:
        raise click.UsageError("--all draws every network of FILE; leave out -n")
    if out not in (None, "-") and format_of(out) is None:
        raise click.UsageError(f"cannot tell the format of '{out}'; end it with "
                               + ", ".join(sorted(FORMATS)))
    if dpi is not None and out != "-" and format_of(out or ".svg") == "svg":
        click.echo("note: --dpi sets the resolution of PNG output; it does nothing to SVG", err=True)
    graphs = _graphs_to_draw(files, network, every, input_shape, params)
    level = level or ("layer" if stage else "block")
    if fold and level != "layer":
        raise click.UsageError("--fold folds BN and ReLU into conv boxes at --level layer")
    if stage and level == "stage":
        raise click.UsageError("--stage draws one stage's blocks or layers: --level block or layer")
    direction = "LR" if left_to_right else "TB"
    if out not in (None, "-") and format_of(out) == "png":  # before Graphviz spends minutes on it
        check_png(graphs, level, fold=fold, stage=stage, direction=direction, dpi=dpi)
    elif stage:
        drawings(graphs, level, stage=stage)  # an unknown stage, before anything is written
    layers = sum(g.number_of_nodes() for g in graphs)
    if (level == "layer" and not stage and layers > SLOW_LAYERS and out != "-"
            and format_of(out or ".svg") != "dot"):
        # up front: Graphviz lays out 20,000 boxes for minutes before anything else is said
        click.echo(f"note: drawing {layers:,} layers one by one; Graphviz may take minutes "
                   "(--level block draws them in seconds)", err=True)
    if out != "-":  # before Graphviz lays anything out
        names = [g.graph["name"] for g in graphs]
        out = out or ("-".join(names) if len(names) <= 3 else f"{names[0]}-and-{len(names) - 1}-more") + ".svg"
        check_outputs({"-o": out}, {f"FILE {f}": _source_path(f) for f in files}, force)
    dot = diagram(graphs, level, cost=cost, fold=fold, direction=direction, dpi=dpi, stage=stage)
    if out == "-":
        click.echo(dot.source, nl=False)
        return
    write(dot, out)
    click.echo(f"wrote {out}")
