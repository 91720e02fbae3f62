"""The degradation experiment on a GPU, timed: generated data in CIFAR-10's python format (the
real format, made here: no download), `resdsl experiment degradation` with autocast, and the
wall time. For a session that is lent a GPU:

    .venv/bin/python scripts/gpu_degradation.py --amp bf16 --iterations 2000

Prints the command's own output and `gpu_degradation: N runs in S s`. On a CPU (to check the
script), `--device cpu --iterations 2 --images 300 --amp none`.
"""

from __future__ import annotations

import argparse
import pickle
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def cifar_format(folder: Path, images: int, seed: int = 0) -> Path:
    """data_batch_1..5 and test_batch: random pixels plus a class pattern (a bright 8x8 square
    whose place is the class), so that the nets have something to learn."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    per = max(1, images // 5)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        labels = rng.integers(0, 10, per)
        pixels = rng.integers(0, 128, (per, 3, 32, 32), dtype=np.uint8)
        for i, label in enumerate(labels):
            top, left = 8 * (label // 4), 8 * (label % 4)
            pixels[i, :, top:top + 8, left:left + 8] = 250
        batch = {b"data": pixels.reshape(per, 3072), b"labels": [int(v) for v in labels]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    names = [f"class{i}".encode() for i in range(10)]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}, protocol=2))
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=50000, help="training images to generate")
    parser.add_argument("--iterations", type=int, default=2000)
    parser.add_argument("--amp", default="bf16", choices=["none", "bf16", "fp16"])
    parser.add_argument("--device", default="cuda")
    parser.add_argument("--seeds", default="0,1")
    parser.add_argument("--jobs", type=int, default=1, help="runs at a time (1 on one GPU)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = cifar_format(Path(tmp) / "cifar", args.images)
        command = [sys.executable, "-m", "resdsl", "experiment", "degradation", "--data",
                   f"cifar10:{data}", "--iterations", str(args.iterations), "--amp", args.amp,
                   "--device", args.device, "--seeds", args.seeds, "--jobs", str(args.jobs),
                   "--validation", str(max(10, args.images // 10)), "-o", str(Path(tmp) / "out")]
        started = time.perf_counter()
        result = subprocess.run(command)
        wall = time.perf_counter() - started
    runs = 4 * len(args.seeds.split(","))
    print(f"gpu_degradation: {runs} runs of {args.iterations} iterations ({args.amp}, "
          f"{args.device}) in {wall:.0f} s, exit {result.returncode}")
    return result.returncode


if __name__ == "__main__":
    sys.exit(main())
