"""DistributedDataParallel through torch's own launcher: 2 gloo processes on the CPU train the
same weights as 1 process with the same global batch (BN synchronized over the processes)."""

import json
import os
import subprocess
import sys

import torch
from safetensors.torch import load_file

from resdsl.train.distributed import strip_launch_flags

from .train_support import tiny_file


def test_launcher_flags_are_not_handed_on():
    argv = ["train", "x.rdsl", "--nproc-per-node", "2", "--lr=0.1", "--master-port=1234", "--nnodes", "1"]
    assert strip_launch_flags(argv) == ["train", "x.rdsl", "--lr=0.1"]


def test_two_gloo_processes_equal_one_with_the_same_global_batch(tmp_path):
    # With BN, each process would normalize its own half-batch unless BN is synchronized:
    # --sync-bn (on the CPU resdsl's own SyncBatchNorm, as torch's is CUDA-only).
    net = tiny_file(tmp_path)
    flags = ["--iterations", "6", "--batch-size", "32", "--eval-every", "3", "--checkpoint-every", "3",
             "--lr", "0.2"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    results = {}
    for name, extra in (("one", []), ("two", ["--nproc-per-node", "2", "--sync-bn"])):
        proc = subprocess.run([sys.executable, "-m", "resdsl", "train", f"{net}:tiny", "--data", "digits",
                               "--out", str(tmp_path / name), *flags, *extra],
                              env=env, capture_output=True, text=True, timeout=300)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        results[name] = proc
    # rank 0 alone logged and wrote the files
    assert results["two"].stdout.count("run folder") == 1
    summary = json.loads((tmp_path / "two" / "summary.json").read_text())
    assert summary["world_size"] == 2
    one, two = (load_file(tmp_path / n / "weights.safetensors") for n in ("one", "two"))
    assert one.keys() == two.keys()
    start = resdsl_initial_weights(net)
    for key in one:
        if not key.endswith("num_batches_tracked"):
            assert not torch.equal(one[key], start[key]), key  # it trained (running statistics too)
        assert torch.allclose(one[key], two[key], rtol=1e-5, atol=1e-6), key
    rows = [json.loads(line) for line in (tmp_path / "two" / "metrics.jsonl").read_text().splitlines()]
    ref = [json.loads(line) for line in (tmp_path / "one" / "metrics.jsonl").read_text().splitlines()]
    assert [r["iteration"] for r in rows] == [r["iteration"] for r in ref]
    assert all(abs(a["loss"] - b["loss"]) < 1e-5 for a, b in zip(rows, ref))
    val_two = [r for r in rows if r["split"] == "val"]
    val_one = [r for r in ref if r["split"] == "val"]
    assert [r["error"] for r in val_two] == [r["error"] for r in val_one]  # sharded validation adds up


def resdsl_initial_weights(net):
    from resdsl.train.network import build_model, graph_for

    return build_model(graph_for(f"{net}:tiny", None), 0).state_dict()
