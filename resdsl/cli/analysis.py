"""Commands that read typed graphs and never import torch: check, list, flops, diff."""

from __future__ import annotations

import json

import click

from .common import (
    FILE,
    FORMAT,
    INPUT,
    MAX_FLOPS,
    MAX_PARAMS,
    NETWORK,
    PARAMS,
    SKIP_EXPECT,
    command_line_budgets,
    complete_file,
    console,
    diagnostics,
    exit_after_output,
    format_option,
    graphs_of,
    one_graph,
    show,
    without_expectations,
)


@click.command()
@click.argument("files", nargs=-1, required=True, metavar="FILE...", shell_complete=complete_file)
@NETWORK
@INPUT
@PARAMS
@MAX_FLOPS
@MAX_PARAMS
@SKIP_EXPECT
@format_option("text", "json")
@diagnostics
def check(files, network, input_shape, params, max_flops, max_params, skip_expect, fmt):
    """Parse, elaborate, infer shapes and check budgets and expectations (of every FILE given)."""
    from ..analysis.checkreport import check_report
    from ..core.errors import ResdslError

    if network and len(files) > 1:
        raise click.UsageError("-n picks a network of one file; with several, write FILE:NAME")
    budgets = command_line_budgets(max_flops, max_params)
    errors: list = []
    graphs, libraries = [], []
    for file in files:
        try:
            found = graphs_of(file, network, input_shape, params=params, allow_empty=True)
        except ResdslError as err:  # reported after the other files' lines
            errors.append(err)
            continue
        if not found:  # a file of blocks: its names and syntax are all there is to check
            from ..language.library import open_target

            libraries.append((file, _definitions(open_target(file).scope)))
        for graph in found:
            if skip_expect:
                without_expectations(graph)
            graphs.append(graph)
    report = check_report(graphs, budgets, libraries)
    errors += report.problems
    exit_after_output(errors)
    if fmt == "json":
        click.echo(json.dumps(report.data, indent=2))
    elif report.lines:
        click.echo("\n".join(report.lines))


def _definitions(scope) -> dict[str, int]:
    """How many blocks and templates a file of definitions has."""
    from ..language import ast

    counts = {"block": 0, "template": 0}
    for item in scope.own.values():
        if isinstance(item, ast.BlockDef):
            counts["block"] += 1
        elif isinstance(item, ast.NetworkDef):
            counts["template"] += 1
    return counts


@click.command("list")
@click.argument("pattern", required=False)
@click.option("--blocks", is_flag=True, help="List the blocks and templates, with their parameters.")
@FORMAT
@diagnostics
def list_networks(pattern, blocks, fmt):
    """The bundled architectures: networks with their parameters and multiply-adds.

    PATTERN filters names with shell wildcards: resdsl list 'resnet*' (quote it from the shell)."""
    from ..language.catalog import definition_rows, network_rows
    from .listing import render_listing

    rows = definition_rows(pattern) if blocks else network_rows(pattern)
    what = "blocks" if blocks else "networks"
    show(fmt, {f: lambda f=f: render_listing(rows, what, f, pattern) for f in ("table", "json", "csv", "markdown")})


def _no_flops_flag(ctx, _param, value):
    """The old `--flops` flag showed 2 x multiply-adds under the name FLOPs, which here are multiply-adds."""
    if value:
        raise click.UsageError("FLOPs are multiply-adds here (the paper's convention), shown in the "
                               "multiply-adds column; for 2 x multiply-adds use --float-ops", ctx)


@click.command()
@FILE
@NETWORK
@INPUT
@PARAMS
@click.option("--by", type=click.Choice(["stage", "block", "layer"]), default="stage",
              show_default=True, help="One row per stage (like Table 1), block or layer.")
@FORMAT
@click.option("--float-ops", "show_float_ops", is_flag=True,
              help="Also show float ops = 2 x multiply-adds (FLOPs here are multiply-adds).")
@click.option("--flops", is_flag=True, hidden=True, expose_value=False, callback=_no_flops_flag)
@click.option("--batch", type=click.IntRange(min=1), metavar="N",
              help="Activation memory for a batch of N (default 1); adds an activations column.")
@click.option("--all", "every", is_flag=True, help="One row per network of FILE.")
@MAX_FLOPS
@MAX_PARAMS
@diagnostics
def flops(file, network, input_shape, params, by, fmt, show_float_ops, batch, every, max_flops, max_params):
    """Multiply-adds, params and activation memory by stage, block or layer (Table 1)."""
    from ..analysis import tables
    from ..analysis.check import run_checks
    from ..analysis.report import family, report

    budgets = command_line_budgets(max_flops, max_params)
    if every and network:
        raise click.UsageError("--all reports every network of FILE; leave out -n")
    if every:
        graphs = graphs_of(file, None, input_shape, params=params)
        data = family(graphs, batch or 1, budgets)
    else:
        graphs = [one_graph(file, network, input_shape, hint="-n NAME, or --all for a family table",
                            params=params)]
        data = report(graphs[0], by, batch or 1, budgets)
    activations = batch is not None
    exit_after_output([e for graph in graphs for e in run_checks(graph, budgets)])
    show(fmt, {
        "json": lambda: tables.json_text(data),
        "csv": lambda: tables.family_csv(data) if every else tables.csv_text(data),
        "markdown": lambda: tables.family_markdown(data, show_float_ops) if every
        else tables.markdown(data, show_float_ops, activations),
        "table": lambda: tables.print_family(console(), data, show_float_ops) if every
        else tables.print_table(console(), data, show_float_ops, show_activations=activations),
    })


@click.command("diff")
@click.argument("a", metavar="A", shell_complete=complete_file)
@click.argument("b", metavar="B", shell_complete=complete_file)
@INPUT
@PARAMS
@FORMAT
@click.option("--exit-code", is_flag=True,
              help="Exit 1 when the networks differ and 0 when they are the same, as "
                   "'git diff --exit-code'.")
@diagnostics
def diff_(a, b, input_shape, params, fmt, exit_code):
    """What differs between networks A and B (FILE, FILE:NAME or a bundled name), and the change
    in multiply-adds and params per stage."""
    from ..analysis import tables
    from ..analysis.diff import diff, differ

    graph_a, graph_b = (one_graph(target, None, input_shape, hint=f"{target}:NAME", params=params)
                        for target in (a, b))
    names = (graph_a.graph["name"], graph_b.graph["name"])
    data = diff(graph_a, graph_b, names if names[0] != names[1] else (a, b))
    if exit_code:
        exit_after_output(status=int(differ(data)))
    show(fmt, {"json": lambda: tables.json_text(data), "csv": lambda: tables.diff_csv(data),
               "markdown": lambda: tables.diff_markdown(data),
               "table": lambda: tables.print_diff(console(), data)})
