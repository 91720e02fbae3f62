"""`resdsl experiment degradation`: the paper's Figures 4 and 6 on data a laptop trains in minutes.

Plain nets and their residual twins (the paper's CIFAR-10 nets, sec. 4.2: plain/ResNet-20 and -56,
option A) are trained with one recipe and several seeds. What is compared is the *training* error
(the paper's claim: the deeper plain net trains worse, the residual one does not), read as the
running error of the batches in train mode, as the paper plots it, beside the validation error.
Each run is an ordinary `resdsl train` run folder; this module schedules the runs (several worker
processes, one torch thread each, longest first), then draws Figure 6, writes the table of final
errors with their spread over seeds, and measures Figure 7's layer responses on the trained nets.
"""

from __future__ import annotations

import functools
import json
import os
import statistics
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field
from multiprocessing import get_context
from pathlib import Path
from typing import Any, Callable

from ..core.files import write_atomic
from ..netgraph.infer import totals
from ..netgraph.ops import OPS

DEFAULT_NETS = ("plain20", "plain56", "resnet20", "resnet56")
RECIPES = Path(__file__).with_name("recipes")


def default_recipe(data: str) -> str:
    """The measured digits recipe for digits, the paper's CIFAR-10 recipe for cifar10:PATH."""
    kind = data.partition(":")[0]
    return str(RECIPES / "degradation-digits.toml") if kind == "digits" else "cifar10"


@dataclass(frozen=True)
class Job:
    network: str                 # a bundled name, FILE or FILE:NAME
    seed: int
    out: str                     # the run folder
    data: str = "digits"
    recipe: str | None = None
    overrides: dict[str, Any] = field(default_factory=dict)   # recipe fields (iterations=...)
    device: str | None = None


def run_job(job: Job) -> dict[str, Any]:
    """One training run (in a worker process): its summary, history included."""
    import torch

    torch.set_num_threads(1)  # one thread per worker: two workers on two cores, not four threads
    from ..train import train

    summary = train(job.network, job.data, recipe=job.recipe, out=job.out, quiet=True,
                    device=job.device, seed=job.seed, **job.overrides)
    return {"job": asdict(job), **summary}


def run_jobs(jobs: list[Job], workers: int,
             on_done: Callable[[Job, dict[str, Any]], None] = lambda _job, _summary: None) -> list[dict]:
    """Every job's summary, in the order of `jobs`; `workers` processes at a time (1: here)."""
    results: dict[int, dict] = {}
    if workers <= 1:
        for index, job in enumerate(jobs):
            results[index] = run_job(job)
            on_done(job, results[index])
    else:
        # spawn, not fork: a forked torch with threads already started can hang
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) as pool:
            futures = {pool.submit(run_job, job): index for index, job in enumerate(jobs)}
            for future in as_completed(futures):
                index = futures[future]
                results[index] = future.result()
                on_done(jobs[index], results[index])
    return [results[i] for i in range(len(jobs))]


def plan(networks: list[str], seeds: list[int], out: Path, data: str, recipe: str | None,
         overrides: dict[str, Any], device: str | None = None) -> list[Job]:
    """A job per network and seed, the costliest networks first (so the last to finish is a
    cheap one and workers do not idle at the end)."""
    cost = {net: network_figures(net)["macs"] for net in networks}
    ordered = sorted(networks, key=lambda net: -cost[net])
    return [Job(net, seed, str(out / f"{_slug(net)}-seed{seed}"), data, recipe, dict(overrides), device)
            for net in ordered for seed in seeds]


@functools.lru_cache(maxsize=None)
def network_figures(target: str, input_shape: tuple[int, ...] | None = None) -> dict[str, Any]:
    """Depth, parameters and multiply-adds of a network, and whether it is plain (no merge of a
    branch with a shortcut anywhere), from its graph."""
    from ..targets import checked_graph

    graph = checked_graph(target, input_shape=input_shape, how="FILE:NAME")
    figures = totals(graph)
    plain = not any(OPS[d["op"]].ports for _, d in graph.nodes(data=True))
    return {"depth": figures["depth"], "params": figures["params"], "macs": figures["macs"],
            "plain": plain}


def _slug(target: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_" else "-" for ch in Path(target).name)


# -- what the runs show ------------------------------------------------------------------------

def final_rows(results: list[dict], networks: list[str]) -> list[dict[str, Any]]:
    """Per network, in the order given: its final running training error and validation error,
    mean, sample std and range over seeds, with depth and parameters."""
    rows = []
    for net in networks:
        runs = [r for r in results if r["job"]["network"] == net]
        if not runs:
            continue
        shape = runs[0].get("data", {}).get("shape")
        figures = network_figures(net, tuple(shape) if shape else None)
        row = {"network": net, "depth": figures["depth"], "params": figures["params"],
               "plain": figures["plain"], "seeds": [r["job"]["seed"] for r in runs]}
        for key in ("train_error", "val_error"):
            values = [r["final"][key] for r in runs if r["final"][key] is not None]
            row[key] = values
            row[key + "_mean"] = statistics.fmean(values) if values else None
            row[key + "_std"] = statistics.stdev(values) if len(values) > 1 else 0.0
        rows.append(row)
    return rows


def _percent(mean: float | None, std: float, values: list[float]) -> str:
    if mean is None:
        return "-"
    if len(values) < 2:
        return f"{100 * mean:.1f}"
    return f"{100 * mean:.1f} ± {100 * std:.1f} ({100 * min(values):.1f}-{100 * max(values):.1f})"


def table_markdown(rows: list[dict[str, Any]]) -> str:
    """The table of final errors (percent; mean ± std over seeds, then the range)."""
    lines = ["| network | depth | params | seeds | training error % | validation error % |",
             "|---|---:|---:|---:|---|---|"]
    for row in rows:
        lines.append(f"| {row['network']} | {row['depth']} | {row['params']:,} | {len(row['seeds'])} | "
                     f"{_percent(row['train_error_mean'], row['train_error_std'], row['train_error'])} | "
                     f"{_percent(row['val_error_mean'], row['val_error_std'], row['val_error'])} |")
    return "\n".join(lines) + "\n"


def write_report(out: Path, rows: list[dict], results: list[dict], extra: dict[str, Any]) -> None:
    """table.md and results.json beside the figures (histories stay in the run folders)."""
    write_atomic(out / "table.md", table_markdown(rows))
    runs = [{k: v for k, v in r.items() if k != "history"} for r in results]
    write_atomic(out / "results.json", json.dumps({**extra, "rows": rows, "runs": runs}, indent=1) + "\n")


def default_workers() -> int:
    return max(1, min(2, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else 1))


def elapsed(since: float) -> str:
    return elapsed_text(time.perf_counter() - since)


def elapsed_text(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 90 else f"{seconds:.0f} s"


# -- the whole experiment ----------------------------------------------------------------------

def run(networks: list[str], seeds: list[int], out: Path, *, data: str = "digits",
        recipe: str | None = None, iterations: int | None = None, workers: int | None = None,
        responses: bool = True, device: str | None = None,
        echo: Callable[[str], None] = print, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """Train every network with every seed, then write figure6.png, figure7.png (unless
    `responses` is off), table.md and results.json into `out`; returns the rows and files."""
    from . import plots

    started = time.perf_counter()
    recipe = recipe or default_recipe(data)
    workers = workers or default_workers()
    overrides = {**(overrides or {}), **({"iterations": iterations} if iterations else {})}
    jobs = plan(networks, seeds, out, data, recipe, overrides, device)
    echo(f"{len(networks)} networks x {len(seeds)} seeds = {len(jobs)} runs on {data} "
         f"(recipe {Path(recipe).stem}), {workers} at a time, into {out}")

    def done(job: Job, summary: dict) -> None:
        final = summary["final"]
        echo(f"  {job.network} seed {job.seed}: training error {_pc(final['train_error'])}, "
             f"validation error {_pc(final['val_error'])} ({summary['wall_s']:.0f} s; "
             f"{elapsed(started)} so far)")

    results = run_jobs(jobs, workers, done)
    rows = final_rows(results, networks)
    files = {"figure6": out / "figure6.png", "table": out / "table.md", "results": out / "results.json"}
    groups: dict[str, dict[str, list]] = {"plain": {}, "residual": {}}
    for row in rows:
        histories = [r["history"] for r in results if r["job"]["network"] == row["network"]]
        groups["plain" if row["plain"] else "residual"][row["network"]] = histories
    groups = {title: nets for title, nets in groups.items() if nets}
    plots.error_curves(groups, files["figure6"],
                       title=f"{data}: running training error (train mode, dashed) and validation "
                             f"error (bold); bands: the range over {len(seeds)} seed(s)")
    stds: dict[str, list[float]] = {}
    if responses:
        stds = measure_responses(results, networks, data)
        files["figure7"] = out / "figure7.png"
        plots.response_stds(stds, files["figure7"],
                            title=f"std of 3x3 layer responses (after BN), {data} validation split")
    wall = time.perf_counter() - started
    write_report(out, rows, results, {"data": data, "recipe": recipe, "seeds": seeds,
                                      "workers": workers, "wall_s": round(wall, 1),
                                      "responses": stds})
    return {"rows": rows, "files": {k: str(v) for k, v in files.items()}, "wall_s": wall,
            "responses": stds, "results": results}


def measure_responses(results: list[dict], networks: list[str], data: str) -> dict[str, list[float]]:
    """Figure 7's stds per network, from the trained weights of its first seed, on the
    validation split normalised as its training saw it."""
    from .responses import response_stds
    from .trained import open_for, recipe_for, trained_network, validation_batches

    stds = {}
    opened: dict[str, tuple] = {}
    for net in networks:
        runs = [r for r in results if r["job"]["network"] == net]
        if not runs:
            continue
        run_dir = Path(runs[0]["run_dir"])
        recipe_file = str(run_dir / "recipe.toml")
        if recipe_file not in opened:
            recipe = recipe_for(data, recipe_file)
            dataset = open_for(data, recipe)
            opened[recipe_file] = (recipe, dataset, validation_batches(dataset, recipe))
        recipe, dataset, batches = opened[recipe_file]
        graph, model = trained_network(net, run_dir / "weights.safetensors", dataset, recipe)
        stds[net] = list(response_stds(graph, model, batches).values())
    return stds


def _pc(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.1f}%"
