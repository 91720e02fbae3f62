"""How long `resdsl viz` takes on deep networks, against Graphviz on the bare layer graph.

    PYTHONPATH=. python bench/viz_bench.py            # about a minute
    PYTHONPATH=. python bench/viz_bench.py --full     # adds ResNet-1202 layer by layer (minutes)

Per row: the boxes drawn, seconds to build the DOT source (pure Python), seconds for `dot -Tsvg`
on it, and the peer measured in the same run: `dot -Tsvg` on the bare layer graph of the same
network (one unlabelled node per layer, no clusters), the drawing anyone gets from a graph dump.
"""

from __future__ import annotations

import argparse
import time

import graphviz

import resdsl
from resdsl.viz import diagram, drawing
from resdsl.viz.dot import render

CASES = [  # network, level, collapse identical blocks
    ("resnet34", "block", True),
    ("resnet34", "layer", True),
    ("resnet152", "layer", True),
    ("resnet110", "layer", True),
    ("resnet1202", "block", True),
    ("resnet1202", "block", False),
    ("resnet1202", "stage", True),
]
FULL = [("resnet1202", "layer", True)]


def graph(name: str):
    return resdsl.graph(name)


def bare(g) -> graphviz.Digraph:
    dot = graphviz.Digraph()
    for node in g.nodes:
        dot.node(node)
    for u, v in g.edges:
        dot.edge(u, v)
    return dot


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="also ResNet-1202 layer by layer")
    args = parser.parse_args()
    peers: dict[str, float] = {}
    print(f"{'network':<11} {'level':<12} {'layers':>6} {'boxes':>6} {'DOT s':>7} {'dot s':>7} "
          f"{'bare dot s':>10} {'ratio':>6}")
    for name, level, collapse in CASES + (FULL if args.full else []):
        g = graph(name)
        dot, build = timed(lambda: diagram(g, level, collapse=collapse))
        boxes = len(drawing(g, level, collapse).boxes)
        svg, draw = timed(lambda: render(dot, "svg"))
        if name not in peers:
            peers[name] = timed(lambda: render(bare(g), "svg"))[1]
        shown = f"{level}{'' if collapse else ' (all)'}"
        print(f"{name:<11} {shown:<12} {g.number_of_nodes():>6} {boxes:>6} {build:>7.2f} {draw:>7.2f} "
              f"{peers[name]:>10.2f} {(build + draw) / peers[name]:>6.2f}", flush=True)


if __name__ == "__main__":
    main()
