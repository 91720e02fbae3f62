"""`resdsl experiment cifar-depths`: the paper's CIFAR-10 study (sec. 4.2, Table 6 and Fig. 6).

ResNet-20/32/44/56/110 and their plain twins, trained with the paper's recipe (the bundled
`cifar10`: SGD 0.1, /10 at 32k and 48k, stop at 64k, a 45k/5k split, pad-4 crops and flips;
ResNet-110 with `cifar10-warmup`, 0.01 until the training error is below 80%, as the paper
did), then tested on the 10k test images and printed in Table 6's layout beside the paper's
figures. A shorter run (`--iterations`) moves the milestones with it (at 50% and 75%).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, Callable, Sequence

from .degradation import Job, default_workers, network_figures, run_jobs

# Table 6 of the paper: parameters and test error (%) of the CIFAR-10 ResNets
PAPER = {20: ("0.27M", "8.75"), 32: ("0.46M", "7.51"), 44: ("0.66M", "7.17"),
         56: ("0.85M", "6.97"), 110: ("1.7M", "6.43 (6.61±0.16)"), 1202: ("19.4M", "7.93")}


def jobs_for(depths: list[int], plain: bool, seeds: list[int], out: Path, data: str,
             iterations: int | None, overrides: dict[str, Any], device: str | None) -> list[Job]:
    """A run per network and seed, deepest first; the paper's warm-up for depth 110 and over."""
    fields = dict(overrides)
    if iterations:
        fields["iterations"] = iterations
        first = max(1, iterations // 2)
        fields["milestones"] = [first, max(first + 1, iterations * 3 // 4)]
    jobs = []
    for depth in sorted(depths, reverse=True):
        recipe = "cifar10-warmup" if depth >= 110 else "cifar10"
        for kind in ("resnet", "plain") if plain else ("resnet",):
            for seed in seeds:
                jobs.append(Job(f"{kind}{depth}", seed, str(out / f"{kind}{depth}-seed{seed}"),
                                data, recipe, dict(fields), device))
    return jobs


def run(depths: list[int], out: Path, *, data: str, plain: bool = True, seeds: Sequence[int] = (0,),
        iterations: int | None = None, overrides: dict[str, Any] | None = None,
        workers: int | None = None, device: str | None = None,
        echo: Callable[[str], None] = print) -> dict[str, Any]:
    """Train, test on the test split, and return Table 6's rows (and write table6.md)."""
    from ..core.files import write_atomic
    from .trained import open_for, recipe_for, split_error, trained_network

    started = time.perf_counter()
    jobs = jobs_for(list(depths), plain, list(seeds), out, data, iterations, overrides or {}, device)
    workers = workers or default_workers()
    echo(f"{len(jobs)} runs on {data}, {workers} at a time, into {out}")
    results = run_jobs(jobs, workers, lambda job, s: echo(
        f"  {job.network} seed {job.seed}: validation error {100 * (s['final']['val_error'] or 0):.2f}% "
        f"after {s['iterations']} iterations ({s['wall_s']:.0f} s)"))
    opened: dict[str, tuple] = {}
    errors: dict[str, list[float]] = {}
    for job, summary in zip(jobs, results):
        recipe_file = str(Path(summary["run_dir"]) / "recipe.toml")
        key = job.recipe or ""
        if key not in opened:
            recipe = recipe_for(data, recipe_file)
            opened[key] = (recipe, open_for(data, recipe))
        recipe, dataset = opened[key]
        split = "test" if dataset.test is not None and len(dataset.test) else "val"
        _, model = trained_network(job.network, Path(summary["run_dir"]) / "weights.safetensors",
                                   dataset, recipe)
        errors.setdefault(job.network, []).append(split_error(model, dataset, recipe, split))
    rows = table_rows(depths, plain, errors)
    write_atomic(out / "table6.md", table_markdown(rows, split))
    return {"rows": rows, "split": split, "files": {"table": str(out / "table6.md")},
            "wall_s": time.perf_counter() - started}


def table_rows(depths, plain: bool, errors: dict[str, list[float]]) -> list[dict]:
    rows = []
    for kind in ("resnet", "plain") if plain else ("resnet",):
        for depth in sorted(depths):
            net = f"{kind}{depth}"
            values = errors.get(net, [])
            paper_params, paper_error = PAPER.get(depth, ("-", "-")) if kind == "resnet" else ("-", "-")
            rows.append({"method": "ResNet" if kind == "resnet" else "plain", "network": net,
                         "layers": depth, "params": network_figures(net)["params"],
                         "paper_params": paper_params, "errors": values,
                         "paper_error": paper_error})
    return rows


def table_markdown(rows: list[dict], split: str) -> str:
    import statistics

    head = (f"| method | # layers | # params | params (paper) | error % ({split}, ours) | "
            "error % (paper, test) |\n|---|---:|---:|---:|---:|---:|\n")
    lines = []
    for row in rows:
        values = row["errors"]
        if not values:
            ours = "-"
        elif len(values) == 1:
            ours = f"{100 * values[0]:.2f}"
        else:
            ours = f"{100 * statistics.fmean(values):.2f} ± {100 * statistics.stdev(values):.2f}"
        lines.append(f"| {row['method']} | {row['layers']} | {row['params'] / 1e6:.2f}M | "
                     f"{row['paper_params']} | {ours} | {row['paper_error']} |")
    return head + "\n".join(lines) + "\n"
