"""bench/gpu_check.py, the script the lead runs on a lent GPU: what can be checked without one."""

import os
import subprocess
import sys

import pytest

from . import torch_support  # noqa: F401  (one torch thread per test worker)
from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import gpu_check  # noqa: E402


def run_script(*args, env=None):
    return subprocess.run([sys.executable, str(ROOT / "bench" / "gpu_check.py"), *args],
                          capture_output=True, text=True, cwd=ROOT, env={**os.environ, **(env or {})},
                          timeout=600)


def test_without_cuda_it_says_so_and_exits_2(monkeypatch, capsys):
    import torch

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)  # as CUDA_VISIBLE_DEVICES=""
    status = gpu_check.main([])
    out = capsys.readouterr().out
    assert status == 2, out
    assert out.startswith("NOT RUN: CUDA is not available")


def test_table_and_exit_status():
    rows = [gpu_check.Row("outputs", "correctness", True, "rel. err 1e-6"),
            gpu_check.Row("ratio resnet50 fwd", "target", False, "1.100")]
    assert gpu_check.table(rows).splitlines()[2:] == [
        "outputs             PASS    rel. err 1e-6", "ratio resnet50 fwd  MISS    1.100"]
    assert gpu_check.exit_status(rows) == 4  # a missed speed target is not a broken backend
    rows.append(gpu_check.Row("fwd+bwd", "correctness", False, "NaN loss"))
    assert gpu_check.exit_status(rows) == 1
    assert gpu_check.exit_status(rows[:1]) == 0


def test_a_check_that_raises_is_a_failure_with_its_message():
    rows = []
    gpu_check.check(rows, "boom", "correctness", lambda: 1 / 0)
    assert rows[0].verdict == "FAIL" and rows[0].detail == "ZeroDivisionError: division by zero"


@pytest.mark.slow
def test_cpu_dry_run_passes_its_correctness_checks():
    result = run_script("--cpu-dry-run")
    assert result.returncode in (0, 4), result.stdout + result.stderr  # CPU timings may miss
    _progress, table, _summary = result.stdout.split("\n\n")
    rows = table.splitlines()[2:]  # below the header and its rule
    correctness = [row for row in rows if not row.startswith("ratio ")]
    assert len(correctness) == 3 and all("  PASS  " in row for row in correctness), result.stdout
    assert sum(row.startswith("ratio cifar_resnet56") for row in rows) == 4


@pytest.mark.parametrize("backward", [False, True], ids=["forward", "forward+backward"])
def test_compiled_modules_run_the_references_aten_ops(backward):
    import forward  # bench/forward.py

    resnet50 = forward.same_work("resnet50", backward)
    assert resnet50.startswith("the same ") and " but " not in resnet50
    # the CIFAR reference calls F.relu out of place; ours overwrites: 2 ReLUs in each of the
    # 3 x 9 blocks of ResNet-56, and the stem's
    assert forward.same_work("cifar_resnet56", backward).endswith(
        " but aten.relu_.default for aten.relu.default x55")
