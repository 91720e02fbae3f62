"""Training runs end to end on a tiny network: the run folder, determinism, SIGKILL and
resume, evaluation."""

import json
import signal
import subprocess
import sys
import time

import pytest
import tomllib
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.checkpoint import CheckpointError

from .cli import cli
from .train_support import same_weights, tiny_file

FAST = dict(iterations=30, batch_size=32, eval_every=10, checkpoint_every=10)


def test_run_folder_holds_everything_and_a_seed_fixes_the_weights(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    summary = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "a", **FAST)
    run = tmp_path / "a"
    for name in ("recipe.toml", "metrics.jsonl", "metrics.csv", "checkpoint.json",
                 "weights.safetensors", "errors.png", "summary.json"):
        assert (run / name).is_file(), name
    assert (run / "errors.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    resolved = tomllib.loads((run / "recipe.toml").read_text())
    assert resolved["stop"] == {"iterations": 30} and resolved["batch"]["size"] == 32
    rows = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows if r["split"] == "train"] == list(range(1, 31))
    assert [r["iteration"] for r in rows if r["split"] == "val"] == [10, 20, 30]
    assert len((run / "metrics.csv").read_text().splitlines()) == len(rows) + 1
    assert summary["history"] == rows and summary["finished"] and summary["iterations"] == 30
    assert summary["final"]["val_error"] == rows[-1]["error"] < 0.9  # chance is 0.9
    assert json.loads((run / "summary.json").read_text())["final"] == summary["final"]
    again = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "b", **FAST)
    assert same_weights(load_file(run / "weights.safetensors"), load_file(tmp_path / "b" / "weights.safetensors"))
    assert [r["loss"] for r in again["history"]] == [r["loss"] for r in rows]
    other = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "c", seed=1, **FAST)
    assert [r["loss"] for r in other["history"]] != [r["loss"] for r in rows]


def test_sigkill_then_resume_ends_with_the_uninterrupted_weights(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    args = dict(iterations=200, batch_size=128, eval_every=50, checkpoint_every=10)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "whole", **args)
    flags = [f"--{k.replace('_', '-')}={v}" for k, v in args.items()]
    command = [sys.executable, "-m", "resdsl", "train", f"{net}:tiny", "--data", "digits",
               "--out", str(tmp_path / "cut"), "--quiet", *flags]
    env = {**__import__("os").environ, "OMP_NUM_THREADS": "1"}
    proc = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    pointer = tmp_path / "cut" / "checkpoint.json"
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if pointer.is_file() and json.loads(pointer.read_text() or "{}").get("iteration", 0) >= 20:
            break
        time.sleep(0.01)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, proc.stderr.read().decode()
    killed_at = json.loads(pointer.read_text())["iteration"]
    assert 20 <= killed_at < 200 and not (tmp_path / "cut" / "weights.safetensors").exists()
    rows = (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()
    assert len(rows) >= killed_at  # everything up to the kill was kept
    result = cli("train", f"{net}:tiny", "--out", str(tmp_path / "cut"), "--resume", "--quiet", "--json")
    assert result.returncode == 0, result.output
    assert json.loads(result.output)["iterations"] == 200
    assert same_weights(load_file(tmp_path / "whole" / "weights.safetensors"),
                        load_file(tmp_path / "cut" / "weights.safetensors"))
    whole = [json.loads(r) for r in (tmp_path / "whole" / "metrics.jsonl").read_text().splitlines()]
    resumed = [json.loads(r) for r in (tmp_path / "cut" / "metrics.jsonl").read_text().splitlines()]
    assert [(r["split"], r["iteration"], r["loss"]) for r in resumed] == \
           [(r["split"], r["iteration"], r["loss"]) for r in whole]


def test_resume_without_a_run_is_an_error(tmp_path):
    with pytest.raises(CheckpointError, match="nothing to resume"):
        resdsl.train("resnet20", "digits", out=tmp_path / "none", resume=True)


def test_eval_reports_the_errors_of_the_trained_weights(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    summary = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "r", **FAST)
    weights = tmp_path / "r" / "weights.safetensors"
    result = cli("eval", f"{net}:tiny", "-w", str(weights), "--json")
    assert result.returncode == 0, result.output
    report = json.loads(result.output)
    assert report["split"] == "val" and report["images"] == 297
    assert report["top1_error"] == pytest.approx(summary["final"]["val_error"])
    assert report["top5_error"] <= report["top1_error"]
    matrix = torch.tensor(report["confusion_matrix"])
    assert int(matrix.sum()) == 297
    assert 1 - matrix.diag().sum().item() / 297 == pytest.approx(report["top1_error"])
    human = cli("eval", f"{net}:tiny", "-w", str(weights))
    assert "top-1 error" in human.output and "most confused" in human.output
    wrong = cli("eval", f"{net}:tiny_rgb", "-w", str(weights), "--input", "1x8x8")
    assert wrong.returncode == 1 and "does not fit network tiny_rgb" in wrong.output


def test_gpu_options_run_on_the_cpu_too(tmp_path):
    net = tiny_file(tmp_path)
    summary = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "amp", amp="bf16", channels_last=True,
                           iterations=4, batch_size=16, eval_every=4, checkpoint_every=4)
    assert summary["finished"] and all(r["loss"] == r["loss"] for r in summary["history"])  # no NaN


def test_command_line_shows_progress_takes_overrides_and_refuses_misfits(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    out = tmp_path / "cli"
    result = cli("train", f"{net}:tiny", "--out", str(out), "--iterations", "4",
                 "--batch-size", "16", "--eval-every", "2", "--set", "optimizer.nesterov=true",
                 "--set", "schedule.milestones=[2]", "--set", "schedule.unit=iterations", "--lr", "0.05")
    assert result.returncode == 0, result.output
    assert "iter      2/4" in result.stderr and "val err" in result.stderr
    assert "tiny on digits: 4 iterations" in result.stdout
    resolved = tomllib.loads((out / "recipe.toml").read_text())
    assert resolved["optimizer"]["nesterov"] is True and resolved["optimizer"]["lr"] == 0.05
    lrs = [json.loads(r)["lr"] for r in (out / "metrics.jsonl").read_text().splitlines()]
    assert lrs[0] == 0.05 and lrs[-1] == pytest.approx(0.005)  # /10 at the milestone
    misfit = cli("train", f"{net}:tiny", "--input", "3x32x32", "--out", str(tmp_path / "x"))
    assert misfit.returncode == 1
    assert "error[E933]: network tiny was built for 3x32x32 images but digits gives 1x8x8" in misfit.stderr
    assert not (tmp_path / "x").exists()  # nothing was started
    bad = cli("train", f"{net}:tiny", "--set", "optimizer.lr=fast")
    assert bad.returncode == 1 and "'optimizer.lr': 'fast' is not of type 'number'" in bad.stderr


def test_cifar10_and_folder_data_train_through_the_loop(tmp_path, one_thread):
    from .train_support import cifar_batches, image_folder

    net = tiny_file(tmp_path)
    cifar = cifar_batches(tmp_path / "c", per_batch=20)
    summary = resdsl.train(f"{net}:tiny_rgb", f"cifar10:{cifar}", recipe="cifar10", out=tmp_path / "rc",
                           iterations=3, batch_size=16, validation=20, eval_every=3, checkpoint_every=3)
    assert summary["finished"] and summary["data"]["val"] == 20 and summary["data"]["test"] == 20
    folder = image_folder(tmp_path / "f", per_class=4)
    summary = resdsl.train(f"{net}:tiny_rgb", f"folder:{folder}", out=tmp_path / "rf", params={"classes": 3},
                           iterations=2, batch_size=4, validation=3, eval_every=2, checkpoint_every=2,
                           workers=0, augment__crop=32, augment__scale=[32, 40], augment__eval_resize=36)
    assert summary["finished"] and summary["data"]["shape"] == [3, 32, 32]
    assert summary["final"]["val_error"] is not None


def test_a_step_leaves_its_loss_on_the_device_until_a_row_is_read(tmp_path, one_thread, monkeypatch):
    """No host read inside a training step: the rows of a 30-iteration run validated every 10 are
    read in three batches of ten, before each validation, and hold the same numbers."""
    from resdsl.train import loop

    net = tiny_file(tmp_path)
    reads, in_step = [], []
    real_item, real_tolist, real_step, real_read = (torch.Tensor.item, torch.Tensor.tolist,
                                                      loop.Run.step, loop.Run.read_rows)
    stepping = []

    def item(self):
        if stepping:
            in_step.append("item")
        return real_item(self)

    def tolist(self):
        if stepping:
            in_step.append("tolist")
        return real_tolist(self)

    def step(self, x, y):
        stepping.append(1)
        try:
            return real_step(self, x, y)
        finally:
            stepping.pop()

    def read_rows(self):
        if self.pending:
            reads.append([p.iteration for p in self.pending])
        return real_read(self)

    monkeypatch.setattr(torch.Tensor, "item", item)
    monkeypatch.setattr(torch.Tensor, "tolist", tolist)
    monkeypatch.setattr(loop.Run, "step", step)
    monkeypatch.setattr(loop.Run, "read_rows", read_rows)
    monkeypatch.setattr(loop, "READ_EVERY_S", 1e9)
    summary = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "a", **FAST)
    assert in_step == []
    assert reads == [list(range(1, 11)), list(range(11, 21)), list(range(21, 31))]
    train = [r for r in summary["history"] if r["split"] == "train"]
    assert [r["iteration"] for r in train] == list(range(1, 31))
    assert all(0 < r["loss"] < 10 and 0 <= r["error"] <= 1 for r in train)
