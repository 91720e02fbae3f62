"""`--log tensorboard`: event files in the run folder holding the numbers of metrics.jsonl, read
back with TensorBoard's own reader; a resumed run's events end as an uninterrupted run's."""

import json
import sys
from pathlib import Path

import numpy as np
import pytest

import resdsl
from resdsl.core.extras import MissingExtraError
from resdsl.train.metrics import read_rows

from .cli import cli
from .train_support import tiny_file


def events(run_dir):
    """{tag: [(step, value)]} of the run folder's event files, read by TensorBoard's reader."""
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    acc = EventAccumulator(str(run_dir), size_guidance={"scalars": 0})
    acc.Reload()
    return {tag: [(e.step, e.value) for e in acc.Scalars(tag)] for tag in acc.Tags()["scalars"]}


def expected(rows):
    """The same numbers from metrics.jsonl, as TensorBoard stores them (float32)."""
    table: dict[str, list] = {}
    for row in rows:
        for key, value in row.items():
            if key not in ("iteration", "split", "run") and isinstance(value, (int, float)):
                table.setdefault(f"{row['split']}/{key}", []).append((row["iteration"], float(np.float32(value))))
    return table


def test_tensorboard_events_hold_the_metric_rows(tmp_path):
    net = tiny_file(tmp_path)
    result = cli("train", f"{net}:tiny", "--data", "digits", "--iterations", "6", "--batch-size", "16",
                  "--eval-every", "3", "--quiet", "--threads", "1", "--log", "tensorboard",
                  "-o", tmp_path / "r")
    assert result.returncode == 0, result.output
    rows = read_rows(tmp_path / "r" / "metrics.jsonl")
    assert [r["split"] for r in rows].count("val") == 2  # CSV/JSONL stay
    assert (tmp_path / "r" / "metrics.csv").is_file()
    found = events(tmp_path / "r")
    assert found == expected(rows)
    assert [s for s, _ in found["train/loss"]] == list(range(1, 7)) and [s for s, _ in found["val/error"]] == [3, 6]
    files = json.loads((tmp_path / "r" / "summary.json").read_text())["files"]
    listed = [name for name in files if name.startswith("events.out.tfevents.")]
    assert listed and sorted(listed) == sorted(p.name for p in (tmp_path / "r").glob("events.out.tfevents.*"))
    assert all(Path(files[name]) == tmp_path / "r" / name for name in listed)
    from .test_output_schemas import errors

    assert errors("train-summary-v1.json", json.loads((tmp_path / "r" / "summary.json").read_text())) == []
    assert errors("train-summary-v1.json", {**json.loads((tmp_path / "r" / "summary.json").read_text()),
                                            "files": {"events.txt": "x"}})  # no other name


def test_a_resumed_run_writes_the_events_of_an_uninterrupted_one(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    args = dict(iterations=6, batch_size=16, eval_every=3, checkpoint_every=3, log=["tensorboard"], threads=1)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "a", stop_after=5, **args)  # checkpoint at 3
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "a", resume=True, **args)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "b", **args)
    resumed, whole = events(tmp_path / "a"), events(tmp_path / "b")
    # iterations 4 and 5 were written twice: TensorBoard keeps only the resumed run's
    for tag in ("train/loss", "train/error", "train/lr", "val/error"):
        assert resumed[tag] == whole[tag], tag
    assert resumed == expected(read_rows(tmp_path / "a" / "metrics.jsonl"))


def test_an_unknown_log_is_refused():
    result = cli("train", "resnet20", "--log", "wandb")
    assert result.returncode == 2 and "Invalid value for '--log'" in result.output and "wandb" in result.output


def test_without_tensorboard_the_run_is_refused_before_it_starts(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if not installed
    result = cli("train", "resnet20", "--log", "tensorboard", "-o", tmp_path / "r")
    assert result.returncode == 1 and "E913" in result.output and "resdsl[tensorboard]" in result.output
    assert not (tmp_path / "r").exists()


def test_from_python_an_unknown_or_missing_log_is_refused_before_the_run_folder(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="unknown log 'wandb'"):
        resdsl.train("resnet20", out=tmp_path / "a", log=["wandb"])
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    with pytest.raises(MissingExtraError, match="tensorboard"):
        resdsl.train("resnet20", out=tmp_path / "b", log=["tensorboard"])
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
