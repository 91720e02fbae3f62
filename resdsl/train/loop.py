"""The training loop: one run from a network, data and recipe to a run folder and a summary.

A run folder holds `recipe.toml` (the resolved recipe), `metrics.jsonl` and `metrics.csv`
(appended as it trains), `checkpoint.json` + `checkpoints/` (every `checkpoint.every`
iterations and at the end), `weights.safetensors` (the final model), `errors.png` (the paper's
Fig. 4/6 style plot) and `summary.json`.

Determinism: the initial weights come from the seed; the data order and augmentation of each
iteration from (seed, iteration) (see pipeline.py); the schedule's state and torch's RNG are in
every checkpoint. With `device.deterministic` (the default) torch uses deterministic
algorithms, so on a CPU a resumed run ends with the same bits as an uninterrupted one.
"""

from __future__ import annotations

import contextlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
import torch.nn.functional as F

from ..core.files import write_atomic
from . import checkpoint, distributed
from .data import describe, open_data
from .metrics import MetricsLog
from .network import build_model, graph_for_data, parameter_groups
from .pipeline import Sharding, TrainBatches, eval_batches
from .progress import Progress
from .recipe import Recipe, load_recipe
from .schedule import Schedule


@dataclass
class RunSpec:
    """Everything a run needs besides the recipe's own fields."""

    target: str                         # a file, FILE:NAME or a bundled network
    data: str = "digits"
    network: str | None = None
    recipe: str | Path | None = None    # a bundled name or a file; None: the data's usual recipe
    overrides: dict[str, Any] = field(default_factory=dict)   # dotted recipe keys
    out: Path | None = None
    resume: bool = False
    input_shape: tuple[int, int, int] | None = None
    params: dict[str, Any] = field(default_factory=dict)      # template parameters (classes=...)
    device: str | None = None           # auto, cpu, cuda, cuda:1
    quiet: bool = False
    stop_after: int | None = None       # end this process after that many iterations (tests, notebooks)
    threads: int | None = None          # torch's intra-op threads on the CPU (default: torch's choice)


def default_recipe(data: str) -> str:
    kind = data.partition(":")[0]
    return {"digits": "digits", "cifar10": "cifar10", "folder": "imagenet"}.get(kind, "digits")


def default_out(spec: RunSpec) -> Path:
    """runs/NETWORK-DATA, or the next free -2, -3 ...; with resume, the latest existing."""
    name = (spec.network or Path(spec.target.split(":")[0]).stem) + "-" + spec.data.partition(":")[0]
    base = Path("runs") / name
    candidates = [base] + [Path(f"{base}-{i}") for i in range(2, 1000)]
    existing = [c for c in candidates if c.exists()]
    if spec.resume:
        return existing[-1] if existing else base
    return next(c for c in candidates if not c.exists())


def run(spec: RunSpec) -> dict[str, Any]:
    if spec.threads:
        torch.set_num_threads(spec.threads)
    deterministic = torch.are_deterministic_algorithms_enabled()
    world = distributed.join(spec.device)
    try:
        return _run(spec, world)
    finally:
        distributed.leave(world)
        torch.use_deterministic_algorithms(deterministic)  # a notebook keeps its own setting


def _resolve_recipe(spec: RunSpec, out: Path) -> Recipe:
    if spec.resume and (out / "recipe.toml").is_file() and spec.recipe is None:
        return load_recipe(out / "recipe.toml", spec.overrides)
    return load_recipe(spec.recipe or default_recipe(spec.data), spec.overrides)


def _run(spec: RunSpec, world: distributed.World) -> dict[str, Any]:
    started = time.perf_counter()
    # every process must use rank 0's folder, picked before any of them makes it
    out = Path(distributed.same_text(world, str(spec.out if spec.out is not None else default_out(spec))))
    recipe = _resolve_recipe(spec, out)
    device = world.device
    if recipe["device.deterministic"]:
        torch.use_deterministic_algorithms(True, warn_only=device.type == "cuda")
        if device.type == "cuda":
            torch.backends.cudnn.benchmark = False
    elif device.type == "cuda":
        torch.backends.cudnn.benchmark = True

    data = open_data(spec.data, recipe)
    graph = graph_for_data(spec.target, spec.network, data, recipe, input_shape=spec.input_shape,
                           params=spec.params)
    model = build_model(graph, recipe["seed"])
    if recipe["device.sync_bn"] and world.distributed:
        if device.type == "cpu":  # torch's SyncBatchNorm refuses CPU tensors
            from .syncbn import convert

            model = convert(model)
        else:
            model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    memory_format = torch.channels_last if recipe["device.channels_last"] else torch.contiguous_format
    model = model.to(device, memory_format=memory_format)

    opt = recipe["optimizer"]
    optimizer = torch.optim.SGD(parameter_groups(model, opt["weight_decay"], opt["decay_norm_and_bias"]),
                                lr=opt["lr"], momentum=opt["momentum"], nesterov=opt["nesterov"])
    keep_on_device = recipe["data.on_device"] != "no"
    batches = TrainBatches(data, recipe, Sharding(world.rank, world.size),
                           device if keep_on_device else torch.device("cpu"))
    schedule = Schedule.from_recipe(recipe, batches.per_epoch)

    start, scaler_state = 0, None
    if spec.resume and (out / "checkpoint.json").is_file():
        record, tensors = checkpoint.load(out)
        checkpoint.restore(record, tensors, model, optimizer)
        start = record["iteration"]
        schedule.state = record["schedule"]
        scaler_state = record.get("grad_scaler")
    elif spec.resume and not out.exists():
        from .checkpoint import CheckpointError

        raise CheckpointError(f"nothing to resume: '{out}' does not exist", hint="start without --resume")

    if world.main:
        out.mkdir(parents=True, exist_ok=True)
        write_atomic(out / "recipe.toml", recipe.to_toml())
    distributed.barrier(world)
    trained = model
    if world.distributed:
        trained = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None)
    if recipe["device.compile"]:
        trained = torch.compile(trained)

    metrics = MetricsLog(out, keep_through=start if spec.resume else None) if world.main else None
    title = f"{graph.graph['name']} on {spec.data}"
    progress = Progress(schedule.stop, start, title, spec.quiet or not world.main)
    amp = _autocast(recipe["device.amp"], device)
    scaler = torch.amp.GradScaler(device.type) if recipe["device.amp"] == "fp16" else None
    if scaler is not None and scaler_state:
        scaler.load_state_dict(scaler_state)
    eval_every, ckpt_every = recipe["eval.every"], recipe["checkpoint.every"]
    global_batch = recipe["batch.size"]
    eval_batch = recipe.get("batch.eval_size") or max(global_batch, 256)
    last_val: dict[str, Any] = {}
    rows_speed: list[float] = []

    def state_json() -> dict[str, Any]:
        return {"schedule": schedule.state, "seed": recipe["seed"], "epoch": iteration // batches.per_epoch,
                "batch_in_epoch": iteration % batches.per_epoch, "per_epoch": batches.per_epoch,
                "world_size": world.size, "grad_scaler": scaler.state_dict() if scaler is not None else None}

    iteration = start
    trained.train()
    stop = schedule.stop if spec.stop_after is None else min(schedule.stop, start + spec.stop_after)
    tick = time.perf_counter()
    try:
        while iteration < stop:
            epoch, first = divmod(iteration, batches.per_epoch)
            for x, y in batches.epoch(epoch, first):
                if memory_format is torch.channels_last:
                    x = x.contiguous(memory_format=torch.channels_last)
                lr = schedule.rate(iteration)
                for group in optimizer.param_groups:
                    group["lr"] = lr
                with amp:
                    scores = trained(x)
                    loss = F.cross_entropy(scores, y)
                optimizer.zero_grad(set_to_none=True)
                if scaler is not None:
                    scaler.scale(loss).backward()
                    scaler.step(optimizer)
                    scaler.update()
                else:
                    loss.backward()
                    optimizer.step()
                wrong = (scores.detach().argmax(1) != y).sum()
                loss_sum, wrong_sum, count = distributed.all_sum(
                    world, [loss.detach().item() * len(y), wrong.item(), float(len(y))])
                error = wrong_sum / count
                schedule.after_iteration(iteration, error)
                iteration += 1
                now = time.perf_counter()
                speed = global_batch / max(now - tick, 1e-9)
                tick = now
                rows_speed.append(speed)
                if metrics is not None:
                    metrics.write({"iteration": iteration, "epoch": round(iteration / batches.per_epoch, 4),
                                   "split": "train", "loss": loss_sum / count, "error": error, "lr": lr,
                                   "images_per_s": round(speed, 1), "time_s": round(now - started, 3)})
                progress.step(iteration, loss_sum / count, error, lr, speed)
                if iteration % eval_every == 0 or iteration == schedule.stop:
                    last_val = _validate(trained, data, recipe, world, device, eval_batch, amp, memory_format)
                    if last_val:
                        schedule.after_validation(last_val["error"])
                        if metrics is not None:
                            metrics.write({"iteration": iteration, "epoch": round(iteration / batches.per_epoch, 4),
                                           "split": "val", "loss": last_val["loss"], "error": last_val["error"],
                                           "top5_error": last_val["top5_error"], "lr": lr,
                                           "time_s": round(time.perf_counter() - started, 3)})
                        progress.say(f"iter {iteration:>6}/{schedule.stop}  loss {loss_sum / count:.4f}  "
                                     f"train err {100 * error:5.2f}%  val err {100 * last_val['error']:5.2f}%  "
                                     f"lr {lr:.3g}  {speed:,.0f} img/s")
                    tick = time.perf_counter()  # validation time is not training speed
                if iteration % ckpt_every == 0 or iteration == schedule.stop:
                    if world.main:
                        checkpoint.save(out, iteration, model, optimizer, state_json())
                    distributed.barrier(world)
                    tick = time.perf_counter()
                if iteration >= stop:
                    break
    finally:
        progress.close()
        if metrics is not None:
            metrics.close()

    finished = iteration >= schedule.stop
    summary = _summary(spec, graph, data, recipe, out, world, iteration, schedule, finished, batches.per_epoch,
                       metrics.rows if metrics is not None else [], rows_speed, time.perf_counter() - started)
    if world.main:
        if finished:
            checkpoint.save_weights(out / "weights.safetensors", model,
                                    {"network": graph.graph["name"], "iteration": str(iteration)})
        rows = metrics.rows
        if any(r["split"] == "train" for r in rows):
            from .plot import plot_errors

            plot_errors([(graph.graph["name"], rows)], out / "errors.png",
                        title=f"{graph.graph['name']} on {spec.data}: training (dashed), validation (bold)")
        write_atomic(out / "summary.json", json.dumps({k: v for k, v in summary.items() if k != "history"},
                                                      indent=1) + "\n")
    return summary


def _autocast(amp: str, device: torch.device):
    if amp == "none":
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16 if amp == "bf16" else torch.float16)


@torch.no_grad()
def _validate(model, data, recipe, world, device, batch, amp, memory_format) -> dict[str, Any]:
    """Top-1 and top-5 error and mean loss of the validation split, over every process."""
    if data.val is None or len(data.val) == 0:
        return {}
    model.eval()
    loss_sum = wrong1 = wrong5 = count = 0.0
    for x, y in eval_batches(data, data.val, recipe, Sharding(world.rank, world.size), device, batch):
        if memory_format is torch.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        with amp:
            scores = model(x)
        scores = scores.float()
        loss_sum += F.cross_entropy(scores, y, reduction="sum").item()
        top = scores.topk(min(5, scores.shape[1]), dim=1).indices
        wrong1 += (top[:, 0] != y).sum().item()
        wrong5 += (~(top == y[:, None]).any(1)).sum().item()
        count += len(y)
    model.train()
    loss_sum, wrong1, wrong5, count = distributed.all_sum(world, [loss_sum, wrong1, wrong5, count])
    return {"loss": loss_sum / count, "error": wrong1 / count, "top5_error": wrong5 / count, "images": int(count)}


def _summary(spec, graph, data, recipe, out, world, iteration, schedule, finished, per_epoch, rows, speeds,
             wall):
    train_rows = [r for r in rows if r["split"] == "train"]
    val_rows = [r for r in rows if r["split"] == "val"]
    tail = train_rows[-max(1, min(len(train_rows), schedule.stop // 20 or 1)):] if train_rows else []
    steady = sorted(speeds[len(speeds) // 10:] or speeds)
    return {
        "network": graph.graph["name"],
        "data": describe(data),
        "recipe": recipe.name,
        "run_dir": str(out),
        "iterations": iteration,
        "stop": schedule.stop,
        "finished": finished,
        "epochs": round(iteration / per_epoch, 3),
        "world_size": world.size,
        "device": str(world.device),
        "final": {
            "train_error": sum(r["error"] for r in tail) / len(tail) if tail else None,
            "train_loss": sum(r["loss"] for r in tail) / len(tail) if tail else None,
            "val_error": val_rows[-1]["error"] if val_rows else None,
            "val_top5_error": val_rows[-1]["top5_error"] if val_rows else None,
        },
        "best_val_error": min((r["error"] for r in val_rows), default=None),
        "images_per_s": steady[len(steady) // 2] if steady else None,
        "wall_s": round(wall, 2),
        "files": {name: str(out / name) for name in
                  ("recipe.toml", "metrics.jsonl", "metrics.csv", "checkpoint.json", "weights.safetensors",
                   "errors.png", "summary.json") if world.main},
        "history": rows,
    }
