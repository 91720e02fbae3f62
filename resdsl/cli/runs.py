"""`resdsl runs compare RUN...` and `resdsl runs plot RUN... -o fig.png`: finished (or stopped)
run folders side by side. Neither imports torch; plot needs matplotlib (the train extra)."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import click

from .common import FORMAT, OneValueGroup, diagnostics, output_option, show

# column -> heading; errors are fractions in JSON and CSV, percent in the tables
COLUMNS = {"run": "run", "network": "network", "iterations": "iter.", "final_train_error": "train err.",
           "final_val_error": "val err.", "best_val_error": "best val err.",
           "best_val_iteration": "best at", "images_per_s": "images/s"}
PERCENT = {"final_train_error", "final_val_error", "best_val_error"}


@click.group(cls=OneValueGroup)
def runs():
    """Compare and plot training runs (the folders 'resdsl train' writes)."""


def _cell(key: str, value: Any) -> str:
    if value is None:
        return "-"
    if key in PERCENT:
        return f"{100 * value:.2f}%"
    if key == "images_per_s":
        return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"
    return str(value)


def _value(value: Any) -> str:
    return "-" if value is None else json.dumps(value)


def _grid(head: list[str], body: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in [head, *body]) for i in range(len(head))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in [head, *body]]
    return "\n".join([lines[0], "  ".join("-" * w for w in widths), *lines[1:]]) + "\n"


def _markdown_grid(head: list[str], body: list[list[str]]) -> str:
    rows = [head, ["---"] * len(head), *body]
    return "".join("| " + " | ".join(c.replace("|", "\\|") for c in row) + " |\n" for row in rows)


def _tables(data: dict, grid) -> str:
    head = list(COLUMNS.values())
    body = [[_cell(k, row[k]) for k in COLUMNS] for row in data["runs"]]
    text = grid(head, body)
    differences = data["recipe_differences"]
    names = [row["run"] for row in data["runs"]]
    if differences:
        text += "\nrecipe differences:\n\n" if grid is _grid else "\nRecipe differences:\n\n"
        text += grid(["key", *names], [[k, *(_value(v) for v in values)] for k, values in differences.items()])
    else:
        text += "\nthe recipes are the same\n"
    return text


def _csv(data: dict) -> str:
    buffer = io.StringIO()
    keys = [f"recipe.{k}" for k in data["recipe_differences"]]
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([*COLUMNS, "path", *keys])
    for i, row in enumerate(data["runs"]):
        recipe = ["" if v[i] is None else json.dumps(v[i]) for v in data["recipe_differences"].values()]
        writer.writerow(["" if row[k] is None else row[k] for k in [*COLUMNS, "path"]] + recipe)
    return buffer.getvalue()


@runs.command()
@click.argument("run_dirs", nargs=-1, required=True, metavar="RUN...", type=click.Path())
@FORMAT
@diagnostics
def compare(run_dirs, fmt):
    """Final and best errors, iterations, speed and recipe differences of RUN folders."""
    from ..train.compare import compare as compared, read_run

    data = compared([read_run(path) for path in run_dirs])
    show(fmt, {"table": lambda: _tables(data, _grid), "markdown": lambda: _tables(data, _markdown_grid),
               "json": lambda: json.dumps(data, indent=2) + "\n", "csv": lambda: _csv(data)})


@runs.command()
@click.argument("run_dirs", nargs=-1, required=True, metavar="RUN...", type=click.Path())
@output_option(required=True, metavar="FILE", type=click.Path(dir_okay=False),
               help="The picture to write (.png, .svg or .pdf).")
@click.option("--log", "log_scale", is_flag=True, help="Error on a log-scale axis (as in Figure 7's plots).")
@click.option("--title", metavar="TEXT", help="The plot's title.")
@click.option("--force", is_flag=True, help="Replace OUT if it exists.")
@diagnostics
def plot(run_dirs, out, log_scale, title, force):
    """Overlay RUN folders' error curves (training thin and dashed, validation bold)."""
    from ..core.extras import require
    from ..core.files import check_outputs
    from ..train.compare import read_run
    from ..train.plot import plot_errors

    require("resdsl runs plot", "plots")
    records = [read_run(path) for path in run_dirs]
    check_outputs({"-o": out}, {f"RUN {r.name}": r.path / "metrics.jsonl" for r in records}, force)
    written = plot_errors([(r.name, r.rows) for r in records], out, title=title, log_scale=log_scale)
    click.echo(f"wrote {written}", err=True)
