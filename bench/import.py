"""Time `resdsl import` (trace, fold, compile and compare) on ResNet-50 and the 1,202-layer CIFAR
ResNet, each compiled by resdsl: the time per layer should stay about the same (linear growth).

    python bench/import.py [--repeat 1] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

import resdsl
from resdsl.importer.build import imported_text
from resdsl.importer.fold import fold
from resdsl.importer.trace import trace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--threads", type=int, help="torch's threads (1 on a machine shared with other work)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    print(f"{'network':12} {'layers':>6} {'trace+fold s':>12} {'checked s':>9} {'ms/layer':>8}")
    for name in ("resnet20", "resnet50", "resnet110", "resnet1202"):
        model = resdsl.load(name).eval()
        x = torch.randn(1, *model.graph.graph["input"])
        layers = model.graph.number_of_nodes()
        best = best_checked = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            fold(trace(model, x, name))
            best = min(best, time.perf_counter() - start)
            start = time.perf_counter()
            imported_text(model, x, name)
            best_checked = min(best_checked, time.perf_counter() - start)
        print(f"{name:12} {layers:6} {best:12.2f} {best_checked:9.2f} {1000 * best / layers:8.2f}",
              flush=True)


if __name__ == "__main__":
    main()
