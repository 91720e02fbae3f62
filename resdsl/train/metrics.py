"""Metrics appended while a run trains: `metrics.jsonl` (one JSON object a line) and
`metrics.csv` (the same rows), flushed line by line as the loop hands them over (at least every
second, and always before a checkpoint), so a killed run keeps every row up to its last
checkpoint. Rows: `split` is `train` (one per iteration: loss, error and lr of that iteration's
batch, images/s), `val` (error of the validation split after that iteration) or `val_ema` (the
same for the model EMA, when the recipe has one)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ..core.files import write_atomic

SPLITS = ("train", "val", "val_ema")
COLUMNS = ["iteration", "epoch", "split", "loss", "error", "top5_error", "lr", "images_per_s", "time_s"]


class MetricsLog:
    def __init__(self, run_dir: Path, run_id: str, keep_through: int | None = None):
        """Open the run's metric files; on resume, drop rows after iteration `keep_through`
        (the checkpoint's), which the resumed run writes again. Every row names the run."""
        self.jsonl_path = run_dir / "metrics.jsonl"
        self.csv_path = run_dir / "metrics.csv"
        self.run_id = run_id
        rows = []
        if keep_through is not None and self.jsonl_path.exists():
            rows = [r for r in read_log(self.jsonl_path) if r["iteration"] <= keep_through]
        write_atomic(self.jsonl_path, "".join(json.dumps(r) + "\n" for r in rows))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(self.csv_path, buffer.getvalue())
        self.rows: list[dict[str, Any]] = rows
        try:
            self._jsonl = open(self.jsonl_path, "a")
            self._csv_file = open(self.csv_path, "a", newline="")
        except OSError as err:
            from ..core.files import OutputError

            raise OutputError(self.jsonl_path, (err.strerror or str(err)).lower()) from None
        self._csv = csv.DictWriter(self._csv_file, COLUMNS, extrasaction="ignore")

    def write(self, row: dict[str, Any]) -> None:
        row = {**row, "run": self.run_id}
        self.rows.append(row)
        try:
            self._jsonl.write(json.dumps(row) + "\n")
            self._jsonl.flush()
            self._csv.writerow(row)
            self._csv_file.flush()
        except OSError as err:  # a full disk, a folder gone read-only
            from ..core.files import OutputError

            raise OutputError(self.jsonl_path, (err.strerror or str(err)).lower()) from None

    def close(self) -> None:
        self._jsonl.close()
        self._csv_file.close()


def read_rows(path: Path) -> list[dict[str, Any]]:
    """Every complete row of a metrics.jsonl (a killed run's half-written last line left out)."""
    return read_log(Path(path), missing_ok=False)


def read_log(path: Path, missing_ok: bool = True) -> list[dict[str, Any]]:
    """The rows of a run's metrics.jsonl, read as a regular file within RESDSL_MAX_METRICS_BYTES;
    a line that is not a row (a killed run's half-written last line) is left out."""
    from ..core.files import FileProblem, read_limited
    from .limits import TRAIN_LIMITS

    try:
        raw = read_limited(path, TRAIN_LIMITS.metrics_bytes, "RESDSL_MAX_METRICS_BYTES")
    except FileProblem as err:
        if err.kind == "missing" and missing_ok:
            return []
        from .checkpoint import CheckpointError

        raise CheckpointError(f"cannot read {path}: {err.reason}") from None
    rows = []
    for line in raw.decode("utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            continue
        if (isinstance(row, dict) and row.get("split") in SPLITS
                and type(row.get("iteration")) is int):
            rows.append(row)
    return rows
