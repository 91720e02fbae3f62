"""Pictures of every bundled network, checked for clashes: `python scripts/viz_layout_check.py
[PATTERN] [--level block,layer] [--fold]`.

Draws each network (or those matching a shell pattern: 'regnet*') at each level asked, top to
bottom and left to right, runs Graphviz's dot and reads back where it put things
(tests/graphviz_layout.clashes): boxes overlapping, texts over boxes or texts, arrows through a
box or over a text. The test suite checks the block level of every network; this also takes the
layer level, where deep networks are slow to lay out (ResNet-1202: minutes; pick with PATTERN).
Prints each clash; exits 1 if any.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import resdsl
from resdsl.language.catalog import network_names
from resdsl.viz import diagram

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the geometry lives with the tests
from tests.graphviz_layout import clashes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pattern", nargs="?", help="only networks matching this shell pattern")
    parser.add_argument("--level", default="block", help="levels, comma-separated (default: block)")
    parser.add_argument("--fold", action="store_true", help="at the layer level, fold BN and ReLU")
    args = parser.parse_args()
    found, start = 0, time.perf_counter()
    names = network_names(args.pattern)
    for name in names:
        graph = resdsl.graph(name)
        for level in args.level.split(","):
            for direction in ("TB", "LR"):
                fold = args.fold and level == "layer"
                problems = clashes(diagram(graph, level, fold=fold, direction=direction))
                found += len(problems)
                for problem in problems:
                    print(f"{name} {level} {direction}: {problem}")
    print(f"{len(names)} networks, {found} clashes, {time.perf_counter() - start:.0f} s")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
