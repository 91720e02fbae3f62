"""Metrics appended while a run trains: `metrics.jsonl` (one JSON object a line) and
`metrics.csv` (the same rows), flushed line by line as the loop hands them over (at least every
second, and always before a checkpoint), so a killed run keeps every row up to its last
checkpoint. Rows: `split` is `train` (one per iteration: loss, error and lr of that iteration's
batch, images/s) or `val` (error of the validation split after that iteration)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from ..core.files import write_atomic

COLUMNS = ["iteration", "epoch", "split", "loss", "error", "top5_error", "lr", "images_per_s", "time_s"]


class MetricsLog:
    def __init__(self, run_dir: Path, keep_through: int | None = None):
        """Open the run's metric files; on resume, drop rows after iteration `keep_through`
        (the checkpoint's), which the resumed run writes again."""
        self.jsonl_path = run_dir / "metrics.jsonl"
        self.csv_path = run_dir / "metrics.csv"
        rows = []
        if keep_through is not None and self.jsonl_path.exists():
            for line in self.jsonl_path.read_text().splitlines():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:  # the half-written last line of a killed run
                    continue
                if row["iteration"] <= keep_through:
                    rows.append(row)
        write_atomic(self.jsonl_path, "".join(json.dumps(r) + "\n" for r in rows))
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
        write_atomic(self.csv_path, buffer.getvalue())
        self.rows: list[dict[str, Any]] = rows
        self._jsonl = open(self.jsonl_path, "a")
        self._csv_file = open(self.csv_path, "a", newline="")
        self._csv = csv.DictWriter(self._csv_file, COLUMNS, extrasaction="ignore")

    def write(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        self._jsonl.write(json.dumps(row) + "\n")
        self._jsonl.flush()
        self._csv.writerow(row)
        self._csv_file.flush()

    def close(self) -> None:
        self._jsonl.close()
        self._csv_file.close()


def read_rows(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line in Path(path).read_text().splitlines():
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError:
            continue
    return rows
