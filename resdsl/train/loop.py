"""The training loop: one run from a network, data and recipe to a run folder and a summary.

A run folder holds `recipe.toml` (the resolved recipe), `preprocess.json` (preprocessing.py),
`metrics.jsonl` and `metrics.csv` (appended as it trains), `checkpoint.json` + `checkpoints/`
(every `checkpoint.every` iterations and at the end), `weights.safetensors` (the final model),
`errors.png` (the paper's Fig. 4/6 style plot) and `summary.json`.

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

from ..core.files import write_atomic
from . import auxiliary, checkpoint, distributed, preprocessing, rundir, validation
from .augment_batch import batch_augment
from .best import Best
from .data import describe, open_data
from .deep import for_depth
from .logs import run_files, with_logs
from .metrics import MetricsLog
from .network import build_model, graph_for_data
from .pipeline import Sharding, TrainBatches
from .progress import Progress
from .recipe import Recipe, load_recipe
from .schedule import Schedule
from .update import Ema, Update, make_optimizer, mixed_precision


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
    init: str | None = None             # start from these weights (a run folder, .safetensors, a state_dict file)
    freeze: tuple[str, ...] = ()        # fnmatch patterns of parameters that stay fixed
    log: tuple[str, ...] = ()           # logs beside metrics.jsonl/csv: "tensorboard" (logs.py)


def default_recipe(data: str) -> str:
    kind = data.partition(":")[0]
    return {"digits": "digits", "cifar10": "cifar10", "cifar100": "cifar10", "folder": "imagenet",
            "labels": "imagenet"}.get(kind, "digits")


def default_out(spec: RunSpec) -> Path:
    """runs/NETWORK-DATA, or the next free -2, -3 ...; with resume, the latest existing."""
    name = (spec.network or Path(spec.target.split(":")[0]).stem) + "-" + spec.data.partition(":")[0]
    base = Path("runs") / name
    candidates = [base] + [Path(f"{base}-{i}") for i in range(2, 1000)]
    existing = [c for c in candidates if rundir.exists(c)]
    if spec.resume:
        return existing[-1] if existing else base
    return next((c for c in candidates if c not in existing), base)


def run(spec: RunSpec) -> dict[str, Any]:
    threads = torch.get_num_threads()
    if spec.threads:
        torch.set_num_threads(spec.threads)
    deterministic = torch.are_deterministic_algorithms_enabled()
    job = None
    try:
        world = distributed.join(spec.device)
        finished = False
        try:
            job = Run(spec, world)
            summary = job.train()
            finished = True
            return summary
        finally:
            if job is not None:
                job.release()
                job = None
            distributed.leave(world, finished)
    finally:
        torch.use_deterministic_algorithms(deterministic)  # a notebook keeps its own settings
        torch.set_num_threads(threads)


def resolve_recipe(spec: RunSpec, out: Path) -> Recipe:
    if spec.resume and (out / "recipe.toml").is_file() and spec.recipe is None:
        return load_recipe(out / "recipe.toml", spec.overrides)
    return load_recipe(spec.recipe or default_recipe(spec.data), spec.overrides)


# How often, at most, the training rows are read off the device when nothing else needs them
# (a validation, a checkpoint, the warm-up's error): each read waits for the device to finish.
READ_EVERY_S = 1.0


@dataclass
class _Pending:
    """A training row whose loss and error are still on the device."""

    iteration: int
    lr: float
    images_per_s: float
    time_s: float
    sums: torch.Tensor          # float64 [loss * images, wrong, images], summed over processes


class Run:
    """One training run: set up from its spec, stepped until it stops, its files written.

    Each step leaves its batch's loss and error on the device; they are read to the host, as
    metric rows, only when something needs them (a validation, a checkpoint, the warm-up, the
    end) or READ_EVERY_S has passed, so a GPU is not made to wait every iteration."""

    def __init__(self, spec: RunSpec, world: distributed.World):
        self.spec, self.world = spec, world
        self.started = time.perf_counter()
        # every process must use rank 0's folder, picked before any of them makes it
        self.out = Path(distributed.same_text(world, str(spec.out if spec.out is not None else default_out(spec))))
        self.lock = rundir.claim(self.out, spec.resume) if world.main else None
        try:
            self.recipe = resolve_recipe(spec, self.out)
            self.device = world.device
            self.setup()
        except BaseException:
            self.release()
            raise

    def release(self) -> None:
        """Let go of the run folder (another run may write it from now on) and of the DDP
        wrapper, which holds the process group: it must go before the group does."""
        if self.lock is not None:
            self.lock.release()
        for holder in ("trained", "update"):
            self.__dict__.pop(holder, None)

    def setup(self) -> None:
        """Data, network, optimizer, batches and schedule; the checkpoint's state when resuming."""
        recipe, world = self.recipe, self.world
        self._choose_algorithms()
        self.data = open_data(self.spec.data, recipe)
        self.graph = graph_for_data(self.spec.target, self.spec.network, self.data, recipe,
                                    input_shape=self.spec.input_shape, params=self.spec.params)
        self.recipe, self.data = for_depth(self.spec, recipe, self.data, self.graph, world.main)  # digits-deep
        recipe = self.recipe
        self.preprocess = preprocessing.settle(self.out, self.data, recipe, self.spec.resume)
        self.memory_format = torch.channels_last if recipe["device.channels_last"] else torch.contiguous_format
        self.model = self._build_model()
        self.optimizer = make_optimizer(self.model, recipe)
        self.ema = Ema(self.model, recipe["ema.decay"]) if recipe["ema.decay"] > 0 else None
        self.best = Best(recipe.get("stop.patience"))
        keep_on_device = recipe["data.on_device"] != "no"
        self.batches = TrainBatches(self.data, recipe, Sharding(world.rank, world.size),
                                    self.device if keep_on_device else torch.device("cpu"))
        self.schedule = Schedule.from_recipe(recipe, self.batches.per_epoch)
        self.augment = batch_augment(recipe, self.batches, world)
        self.amp, self.scaler = mixed_precision(recipe["device.amp"], self.device,
                                                warn=world.main and not self.spec.quiet)
        self.run_id = rundir.new_run_id()
        self.earlier_s = 0.0  # the time of the run before its resume
        self.iteration = self._resume()
        if world.main:
            if self.lock is None:
                self.lock = rundir.open_new(self.out)
            write_atomic(self.out / "recipe.toml", rundir.with_run_id(recipe.to_toml(), self.run_id))
            write_atomic(self.out / "preprocess.json", self.preprocess.text())
        distributed.barrier(world)
        self.trained = self._wrap(self.model)
        self.update = Update(self.trained, self.model, self.optimizer, recipe, self.amp, self.scaler)
        auxiliary.attach(self.update, self.graph, recipe)  # GoogLeNet's side classifiers' losses
        resumed_at = self.iteration if self.spec.resume else None
        self.metrics = with_logs(MetricsLog(self.out, self.run_id, keep_through=resumed_at), self.spec.log,
                                 self.out, resumed_at) if world.main else None
        self.progress = Progress(self.schedule.stop, self.iteration, f"{self.name} on {self.spec.data}",
                                 self.spec.quiet or not world.main)
        self.pending: list[_Pending] = []
        self.last_row: dict[str, Any] = {}
        self.speeds: list[float] = []
        self.read_at = self.tick = time.perf_counter()

    @property
    def name(self) -> str:
        return self.graph.graph["name"]

    def _choose_algorithms(self) -> None:
        cuda = self.device.type == "cuda"
        if self.recipe["device.deterministic"]:
            torch.use_deterministic_algorithms(True, warn_only=cuda)
            if cuda:
                torch.backends.cudnn.benchmark = False
        elif cuda:
            torch.backends.cudnn.benchmark = True

    def _build_model(self) -> torch.nn.Module:
        model = build_model(self.graph, self.recipe["seed"], self.recipe["init.zero_init_residual"])
        self._fine_tune(model)
        if self.recipe["device.sync_bn"] and self.world.distributed:
            if self.device.type == "cpu":  # torch's SyncBatchNorm refuses CPU tensors
                from .syncbn import convert

                model = convert(model)
            else:
                model = torch.nn.SyncBatchNorm.convert_sync_batchnorm(model)
        # Module.to takes memory_format at run time (as Tensor.to); torch's overloads leave it out
        return model.to(self.device, memory_format=self.memory_format)  # type: ignore[call-overload]

    def _fine_tune(self, model: torch.nn.Module) -> None:
        """--init and --freeze (a resumed run's weights come from its checkpoint instead)."""
        from .finetune import freeze, start_from

        if self.spec.init and not self.spec.resume:
            lines = start_from(model, self.spec.init).lines()
            if self.world.main and not self.spec.quiet:
                import sys

                print("\n".join(lines), file=sys.stderr)
        if self.spec.freeze:
            freeze(model, list(self.spec.freeze))

    def _resume(self) -> int:
        """The iteration to start from: the checkpoint's when resuming, with its state restored."""
        if not self.spec.resume:
            return 0
        record, tensors = checkpoint.load(self.out)
        if self.world.main:
            self.run_id = rundir.resumed_run_id(self.out, record)
        checkpoint.restore(record, tensors, self.model, self.optimizer)
        self.schedule.state = record["schedule"]
        earlier = record.get("wall_s")
        self.earlier_s = float(earlier) if isinstance(earlier, (int, float)) and 0 <= earlier < 1e9 else 0.0
        if self.ema is not None:
            self.ema.restore(tensors, record["iteration"])
        self.best.restore(record.get("best"))
        if self.scaler is not None and record.get("grad_scaler"):
            self.scaler.load_state_dict(record["grad_scaler"])
        return record["iteration"]

    def _wrap(self, model: torch.nn.Module) -> torch.nn.Module:
        """The module that trains: DDP over several processes, compiled when asked."""
        if self.world.distributed:
            model = torch.nn.parallel.DistributedDataParallel(
                model, device_ids=[self.device.index] if self.device.type == "cuda" else None)
        if self.recipe["device.compile"]:
            # for a module torch.compile returns an OptimizedModule (an nn.Module); typed as a callable
            model = torch.compile(model)  # type: ignore[assignment]
        return model

    def train(self) -> dict[str, Any]:
        """Train to the schedule's stop (or `stop_after` more iterations); the run's summary."""
        stop = self.schedule.stop
        if self.spec.stop_after is not None:
            stop = min(stop, self.iteration + self.spec.stop_after)
        self.trained.train()
        try:
            self._iterate(stop)
            self.read_rows()
        except BaseException:
            with contextlib.suppress(Exception):
                self.read_rows()  # an interrupted run keeps the rows it can still read
            raise
        finally:
            self.progress.close()
            if self.metrics is not None:
                self.metrics.close()
        return self.finish()

    def _iterate(self, stop: int) -> None:
        while self.iteration < stop and not self.best.exhausted:
            epoch, first = divmod(self.iteration, self.batches.per_epoch)
            for x, y in self.batches.epoch(epoch, first):
                self.step(x, y)
                if self._due(self.recipe["eval.every"]):
                    self.validate()
                if self._due(self.recipe["checkpoint.every"]) or self.best.exhausted:
                    self.checkpoint()
                if self.iteration >= stop or self.best.exhausted:
                    return

    def _due(self, every: int) -> bool:
        return self.iteration % every == 0 or self.iteration == self.schedule.stop

    def step(self, x: torch.Tensor, y: torch.Tensor) -> None:
        """One iteration: forward, backward, update. The batch's loss and error stay on the device."""
        x, y = x.to(self.device, non_blocking=True), y.to(self.device, non_blocking=True)  # data.on_device = "no"
        if self.augment is not None:  # mixup, cutmix, erasing, randaugment
            x, y = self.augment(x, y, self.iteration)
        if self.memory_format is torch.channels_last:
            x = x.contiguous(memory_format=torch.channels_last)
        lr = self.schedule.rate(self.iteration)
        for group in self.optimizer.param_groups:
            group["lr"] = lr * group.get("lr_scale", 1.0)  # optimizer.layer_decay's
        loss, wrong = self.update(x, y)
        if self.ema is not None:
            self.ema.update(self.model)
        # float64, as the host adds: loss * images is the same number whenever it is read
        images = torch.full((), float(len(y)), dtype=torch.float64, device=self.device)
        sums = distributed.all_sum(self.world, torch.stack(
            [loss.detach().double() * len(y), wrong.double(), images]))
        self.iteration += 1
        now = time.perf_counter()
        speed = self.recipe["batch.size"] / max(now - self.tick, 1e-9)
        self.tick = now
        self.speeds.append(speed)
        self.pending.append(_Pending(self.iteration, lr, speed, now - self.started, sums))
        if self.schedule.wants_train_error:  # the warm-up reads every iteration's error
            self.read_rows()
            self.schedule.after_iteration(self.iteration - 1, self.last_row["error"])
        elif now - self.read_at >= READ_EVERY_S:
            self.read_rows()

    def read_rows(self) -> None:
        """Read the pending iterations' losses and errors off the device (one wait) and write their rows."""
        if not self.pending:
            return
        sums = torch.stack([p.sums for p in self.pending]).tolist()
        per_epoch = self.batches.per_epoch
        for p, (loss_sum, wrong_sum, count) in zip(self.pending, sums):
            self.last_row = {"iteration": p.iteration, "epoch": round(p.iteration / per_epoch, 4),
                             "split": "train", "loss": loss_sum / count, "error": wrong_sum / count, "lr": p.lr,
                             "images_per_s": round(p.images_per_s, 1), "time_s": round(p.time_s, 3)}
            if self.metrics is not None:
                self.metrics.write(self.last_row)
        row = self.last_row
        self.progress.step(row["iteration"], row["loss"], row["error"], row["lr"], row["images_per_s"])
        self.pending.clear()
        self.read_at = time.perf_counter()

    def validate(self) -> None:
        """Errors on the validation split (when there is one): rows (the EMA's too), the plateau
        schedule, the best weights, a line."""
        self.read_rows()
        val = self._validate_row(self.trained, "val")
        if val:
            if self.ema is not None:
                self._validate_row(self.ema.module, "val_ema")
            self.schedule.after_validation(val["error"])
            if self.best.see(val["error"], self.iteration) and self.world.main:
                checkpoint.save_weights(self.out / "best.safetensors", self.model,
                                        {"network": self.name, "iteration": str(self.iteration)})
            train, lr = self.last_row, self.last_row["lr"]
            self.progress.say(f"iter {self.iteration:>6}/{self.schedule.stop}  loss {train['loss']:.4f}  "
                              f"train err {100 * train['error']:5.2f}%  val err {100 * val['error']:5.2f}%  "
                              f"lr {lr:.3g}  {self.speeds[-1]:,.0f} img/s")
        self.tick = time.perf_counter()  # validation time is not training speed

    def _validate_row(self, model: torch.nn.Module, split: str) -> dict[str, Any]:
        """A model's validation errors, written as a row of `split`."""
        eval_batch = self.recipe.get("batch.eval_size") or max(self.recipe["batch.size"], 256)
        val = validation.validate(model, self.data, self.recipe, self.world, self.device, eval_batch, self.amp,
                        self.memory_format)
        if val and self.metrics is not None:
            epoch = round(self.iteration / self.batches.per_epoch, 4)
            self.metrics.write({"iteration": self.iteration, "epoch": epoch, "split": split,
                                "loss": val["loss"], "error": val["error"], "top5_error": val["top5_error"],
                                "lr": self.last_row["lr"],
                                "time_s": round(time.perf_counter() - self.started, 3)})
        return val

    def checkpoint(self) -> None:
        """Save the run's state (rank 0), its rows through this iteration written first."""
        self.read_rows()
        if self.world.main:
            checkpoint.save(self.out, self.iteration, self.model, self.optimizer, self._state(),
                            self.ema.tensors() if self.ema is not None else None, self.recipe["checkpoint.keep"])
        distributed.barrier(self.world)
        self.tick = time.perf_counter()

    def _state(self) -> dict[str, Any]:
        per_epoch = self.batches.per_epoch
        return {"run_id": self.run_id, "wall_s": round(self.earlier_s + time.perf_counter() - self.started, 3),
                "schedule": self.schedule.state, "best": self.best.state, "seed": self.recipe["seed"],
                "epoch": self.iteration // per_epoch, "batch_in_epoch": self.iteration % per_epoch,
                "per_epoch": per_epoch, "world_size": self.world.size,
                "grad_scaler": self.scaler.state_dict() if self.scaler is not None else None}

    def finish(self) -> dict[str, Any]:
        """The summary; on rank 0 also the final weights (when finished), the plot and summary.json."""
        summary = self.summary()
        if self.metrics is None:  # not rank 0, the only one that keeps the log
            return summary
        if summary["finished"]:
            about = {"network": self.name, "iteration": str(self.iteration), "preprocess": self.preprocess.text()}
            checkpoint.save_weights(self.out / "weights.safetensors", self.model, about)
            if self.ema is not None:
                checkpoint.save_weights(self.out / "ema.safetensors", self.ema.module, about)
        rows = self.metrics.rows
        if any(r["split"] == "train" for r in rows):
            from .plot import plot_errors

            plot_errors([(self.name, rows)], self.out / "errors.png",
                        title=f"{self.name} on {self.spec.data}: training (dashed), validation (bold)")
        write_atomic(self.out / "summary.json",
                     json.dumps({k: v for k, v in summary.items() if k != "history"}, indent=1) + "\n")
        return summary

    def summary(self) -> dict[str, Any]:
        rows = self.metrics.rows if self.metrics is not None else []
        stop = self.schedule.stop
        train_rows = [r for r in rows if r["split"] == "train"]
        val_rows = [r for r in rows if r["split"] == "val"]
        tail = train_rows[-max(1, min(len(train_rows), stop // 20 or 1)):] if train_rows else []
        steady = sorted(self.speeds[len(self.speeds) // 10:] or self.speeds)
        return {
            "network": self.name,
            "data": describe(self.data),
            "recipe": self.recipe.name,
            "run_dir": str(self.out),
            "iterations": self.iteration,
            "stop": stop,
            "finished": self.iteration >= stop or self.best.exhausted,
            "stopped_early": self.best.exhausted,
            "epochs": round(self.iteration / self.batches.per_epoch, 3),
            "world_size": self.world.size,
            "device": str(self.device),
            "final": {
                "train_error": sum(r["error"] for r in tail) / len(tail) if tail else None,
                "train_loss": sum(r["loss"] for r in tail) / len(tail) if tail else None,
                "val_error": val_rows[-1]["error"] if val_rows else None,
                "val_top5_error": val_rows[-1]["top5_error"] if val_rows else None,
            },
            "best_val_error": min((r["error"] for r in val_rows), default=None),
            "best_iteration": self.best.state["iteration"],
            "images_per_s": steady[len(steady) // 2] if steady else None,
            "wall_s": round(self.earlier_s + time.perf_counter() - self.started, 2),
            "skipped_images": len(self.data.skipped),
            "files": run_files(self.out, (
                "recipe.toml", "preprocess.json", "metrics.jsonl", "metrics.csv", "checkpoint.json",
                "weights.safetensors", *(("ema.safetensors",) if self.ema is not None else ()),
                *(("best.safetensors",) if self.best.state["iteration"] is not None else ()),
                "errors.png", "summary.json")) if self.world.main else {},
            "history": rows,
        }
