"""Extra logs beside metrics.jsonl and metrics.csv (`--log tensorboard`): every metric row is
also handed to each of them, so they hold the same numbers.

TensorBoard: event files in the run folder itself (`tensorboard --logdir runs` shows each run
folder as a run), one scalar per numeric field of a row, tagged `SPLIT/FIELD` (`train/loss`,
`val/error`, `val_ema/top5_error`, ...) at the row's iteration. A resumed run drops the events
after its checkpoint's iteration, as metrics.jsonl drops those rows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

LOGS = ("tensorboard",)

# row fields that are not scalars to plot: the step, the split (in the tag) and the run's id
NOT_SCALARS = ("iteration", "split", "run")


class TensorboardLog:
    def __init__(self, run_dir: Path, keep_through: int | None):
        from torch.utils.tensorboard import SummaryWriter

        # purge_step: events at or after it (a resumed run writes them again) are dropped
        self.writer = SummaryWriter(str(run_dir), flush_secs=5,
                                    purge_step=None if keep_through is None else keep_through + 1)

    def write(self, row: dict[str, Any]) -> None:
        step = row["iteration"]
        for key, value in row.items():
            if key not in NOT_SCALARS and isinstance(value, (int, float)) and not isinstance(value, bool):
                self.writer.add_scalar(f"{row['split']}/{key}", value, step)

    def close(self) -> None:
        self.writer.close()


class TeeLog:
    """The run's MetricsLog, each row also written to the extra logs."""

    def __init__(self, metrics: Any, extra: list[Any]):
        self.metrics, self.extra = metrics, extra

    @property
    def rows(self) -> list[dict[str, Any]]:
        return self.metrics.rows

    def write(self, row: dict[str, Any]) -> None:
        self.metrics.write(row)
        for log in self.extra:
            log.write(row)

    def close(self) -> None:
        self.metrics.close()
        for log in self.extra:
            log.close()


def check_logs(logs: tuple[str, ...]) -> None:
    """Before a run starts: every log known and its library installed (E913 names the extra)."""
    unknown = [name for name in logs if name not in LOGS]
    if unknown:
        raise ValueError(f"unknown log {unknown[0]!r}: the logs are {', '.join(LOGS)}")
    if logs:
        from ..core.extras import require

        require("a run with --log tensorboard", "log:tensorboard")


def run_files(out: Path, names: tuple[str, ...]) -> dict[str, str]:
    """The summary's `files`: the run folder's files by name, then TensorBoard's event files
    there (`events.out.tfevents.*`, one per run of the folder: a resumed run adds one)."""
    events = sorted(p.name for p in out.glob("events.out.tfevents.*") if p.is_file())
    return {name: str(out / name) for name in (*names, *events)}


def with_logs(metrics: Any, logs: tuple[str, ...], run_dir: Path, keep_through: int | None) -> Any:
    """`metrics` itself when no extra log is asked for, else a TeeLog over it."""
    if not logs:
        return metrics
    check_logs(logs)
    return TeeLog(metrics, [TensorboardLog(run_dir, keep_through)])
