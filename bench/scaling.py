"""How the front end scales with the size of a network: `python bench/scaling.py`.

Times parse + elaborate + infer (in process, best of a few rounds) for the shapes that were once
quadratic: N unnamed layers in one body (the unique-id search for `relu`, `relu_1`, ...; issue
15: 20,000 took 67 s), and a stage of N blocks (CIFAR ResNet-1202). Prints each time and the ratio
of 10 N to N (20,000 to 2,000 unnamed layers): linear elaboration gives about 10.
"""

from __future__ import annotations

import argparse
import time

import resdsl


def unnamed_layers(count: int) -> str:
    return "network n {\n    input 3x8x8\n    conv 3x3, 4\n" + "    relu\n" * count + "}\n"


def stage_of_blocks(count: int) -> str:
    return ("block b(w) { conv 3x3, w; bn; relu; conv 3x3, w; bn; add shortcut; relu }\n"
            f"network n {{\n    input 3x8x8\n    conv 3x3, 4\n    stage s: b(4) x {count}\n}}\n")


def seconds(text: str, rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        resdsl.graph_from_text(text)
        best = min(best, time.perf_counter() - start)
    return best


def main(rounds: int) -> list[tuple]:
    resdsl.graph_from_text(unnamed_layers(10))  # the parser's tables, once
    rows = []
    # a stage repeats at most RESDSL_MAX_REPEAT (10,000) blocks: 1,000 against 10,000 there
    for shape, make, sizes in (("unnamed layers", unnamed_layers, (2_000, 20_000)),
                               ("blocks in a stage", stage_of_blocks, (1_000, 10_000))):
        small, large = seconds(make(sizes[0]), rounds), seconds(make(sizes[1]), max(1, rounds - 1))
        rows.append((shape, sizes, small, large, large / small))
    return rows


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    print(f"{'shape':<18} {'N':>6} {'10 N':>7} {'at N':>8} {'at 10 N':>8} {'ratio':>6}")
    for shape, (small_n, large_n), small, large, ratio in main(args.rounds):
        print(f"{shape:<18} {small_n:>6,} {large_n:>7,} {small:>7.3f}s {large:>7.3f}s {ratio:>6.1f}")
    print("linear: a ratio of about 10; quadratic: about 100")
