"""Run folders: a new run never writes into a folder that holds files, a folder being written is
locked, a resume checks that its files belong to one run, and every file a run reads is a
size-limited regular file (a FIFO is refused, never waited on)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

import resdsl
from resdsl.core.errors import ResdslError
from resdsl.train.checkpoint import CheckpointError
from resdsl.train.rundir import RunFolderLocked, RunFolderMixed, RunFolderTaken

from .cli import cli
from .train_support import tiny_file

FAST = dict(iterations=4, batch_size=32, eval_every=2, checkpoint_every=2)


def _train(net, out, **kwargs):
    return resdsl.train(f"{net}:tiny", "digits", out=out, **{**FAST, **kwargs})


def test_a_finished_run_is_not_rewritten_without_resume(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    out = tmp_path / "run"
    _train(net, out)
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(RunFolderTaken, match="is not empty"):
        _train(net, out, seed=3)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    result = cli("train", f"{net}:tiny", "-o", out, "--iterations", "2", "--batch-size", "32")
    assert result.returncode == 1 and "error[E934]" in result.stderr and "--resume" in result.stderr
    # an empty folder is a new run's
    (tmp_path / "empty").mkdir()
    assert _train(net, tmp_path / "empty")["iterations"] == 4


def test_a_refused_run_leaves_no_folder(tmp_path):
    net = tiny_file(tmp_path)
    result = cli("train", f"{net}:tiny", "--input", "3x32x32", "-o", tmp_path / "x")
    assert result.returncode == 1 and not (tmp_path / "x").exists()


def test_a_folder_being_written_is_locked(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    out = tmp_path / "run"
    _train(net, out)
    holder = subprocess.Popen([sys.executable, "-c", (
        "import fcntl, os, sys, time; fd = os.open(sys.argv[1], os.O_RDWR); "
        "fcntl.flock(fd, fcntl.LOCK_EX); os.write(fd, b'4242'); print('held', flush=True); time.sleep(60)"),
        str(out / ".lock")], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(RunFolderLocked, match=f"'{out}' is being written by another training"):
            _train(net, out, resume=True, iterations=6)
    finally:
        holder.kill()
        holder.wait()
    # the lock goes with the process that held it: the resume works now
    assert _train(net, out, resume=True, iterations=6)["iterations"] == 6


def test_two_trainings_into_one_folder_one_is_refused(tmp_path):
    net = tiny_file(tmp_path)
    command = [sys.executable, "-m", "resdsl", "train", f"{net}:tiny", "--data", "digits", "-o",
               str(tmp_path / "run"), "--iterations", "60", "--batch-size", "32", "--quiet", "--threads", "1"]
    first = subprocess.Popen(command, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    while not (tmp_path / "run" / "recipe.toml").exists() and time.monotonic() < deadline and first.poll() is None:
        time.sleep(0.02)
    second = subprocess.run(command, capture_output=True, text=True)
    first.wait(timeout=300)
    assert first.returncode == 0, first.stderr.read()
    assert second.returncode == 1
    assert "error[E934]" in second.stderr or "error[E935]" in second.stderr, second.stderr
    rows = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows if r["split"] == "train"] == list(range(1, 61))


def test_resume_refuses_files_of_different_runs(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    for name in ("a", "b"):
        _train(net, tmp_path / name, iterations=2)
    (tmp_path / "b" / "recipe.toml").write_bytes((tmp_path / "a" / "recipe.toml").read_bytes())
    with pytest.raises(RunFolderMixed, match="files of different runs"):
        _train(net, tmp_path / "b", resume=True, iterations=4)
    ids = {json.loads(line)["run"] for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()}
    assert len(ids) == 1 and json.loads((tmp_path / "a" / "checkpoint.json").read_text())["run_id"] in ids


def test_resume_without_a_checkpoint_is_e932(tmp_path):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "recipe.toml").write_text("recipe = 1\n")
    result = cli("train", "resnet20", "-o", tmp_path / "run", "--resume")
    assert result.returncode == 1 and "error[E932]: nothing to resume" in result.stderr


@pytest.mark.parametrize("tamper", [
    lambda d: (d / "checkpoint.json").write_text("[]"),
    lambda d: (d / "checkpoint.json").write_text(json.dumps({
        k: v for k, v in json.loads((d / "checkpoint.json").read_text()).items() if k != "schedule"})),
    lambda d: (d / "checkpoint.json").write_text(json.dumps({
        **json.loads((d / "checkpoint.json").read_text()), "iteration": 2.5})),
    lambda d: (d / "checkpoint.json").write_text(json.dumps({
        **json.loads((d / "checkpoint.json").read_text()), "file": "../../../etc/passwd"})),
    lambda d: (d / "checkpoint.json").write_bytes(b"\xff\xfe{"),
    lambda d: (d / "recipe.toml").write_bytes(b"\xff\xfe recipe"),
    lambda d: next((d / "checkpoints").iterdir()).write_bytes(b"\0" * 64),
])
def test_tampered_run_folders_end_in_diagnostics(tmp_path, tamper, one_thread):
    net = tiny_file(tmp_path)
    out = tmp_path / "run"
    _train(net, out, iterations=2)
    tamper(out)
    result = cli("train", f"{net}:tiny", "-o", out, "--resume", "--iterations", "4")
    assert result.returncode == 1, result.output
    assert "error[E93" in result.stderr and "Traceback" not in result.stderr


def _fifo(path):
    os.mkfifo(path)
    return path


def test_fifos_are_refused_not_waited_on(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    recipe = cli("train", f"{net}:tiny", "--recipe", _fifo(tmp_path / "r.toml"))
    assert recipe.returncode == 1 and "pipe (FIFO)" in recipe.stderr
    weights = cli("eval", f"{net}:tiny", "--weights", _fifo(tmp_path / "w.safetensors"))
    assert weights.returncode == 1 and "pipe (FIFO)" in weights.stderr
    out = tmp_path / "run"
    _train(net, out, iterations=2)
    (out / "metrics.jsonl").unlink()
    _fifo(out / "metrics.jsonl")
    with pytest.raises(CheckpointError, match="pipe"):
        _train(net, out, resume=True)


def test_a_recipe_that_is_no_recipe_is_not_quoted(tmp_path):
    secret = tmp_path / "shadow"
    secret.write_text("root:$6$secret-hash:19000:0:99999:7:::\n")
    result = cli("train", "resnet20", "--recipe", secret)
    assert result.returncode == 1 and "secret-hash" not in result.output


def test_outputs_under_a_file_or_device_are_diagnostics(tmp_path):
    (tmp_path / "file").write_text("x")
    for out in (tmp_path / "file" / "run", "/dev/null", "/proc/run"):
        result = cli("train", "resnet20", "-o", out, "--iterations", "1")
        assert result.returncode == 1, (out, result.output)
        assert "error[E9" in result.stderr and "Traceback" not in result.stderr


def test_api_errors_are_resdsl_errors(tmp_path):
    with pytest.raises(ResdslError):
        resdsl.train("resnet20", "digits", out=tmp_path / "file" / "x", resume=True)


def test_a_full_disk_at_a_checkpoint_is_e920(tmp_path, monkeypatch, one_thread):
    from resdsl.core.files import OutputError
    from resdsl.train import metrics

    net = tiny_file(tmp_path)
    original = metrics.MetricsLog.write

    def write(self, row):
        self._jsonl.close()  # what a write then meets is the OS's refusal
        self._jsonl = open("/dev/full", "a")
        return original(self, row)
    monkeypatch.setattr(metrics.MetricsLog, "write", write)
    with pytest.raises(OutputError, match="no space left"):
        _train(net, tmp_path / "run")
