"""Round trip of every bundled network: compile it, import the module, compile the text again,
and compare the two graphs (node ids, ops, arguments, edges, outputs). Prints one row per network:
the imported text's lines, whether the graphs are the same, the seconds it took, and the first
difference.

    python scripts/import_roundtrip.py [--only NAME,...] [--skip resnet1202,preact_resnet1001] [--threads 1]
"""

from __future__ import annotations

import argparse
import time

import torch

import resdsl
from resdsl.core.errors import ResdslError
from resdsl.importer.fold import fold
from resdsl.importer.graphs import graph_difference
from resdsl.importer.trace import trace


def round_trip(name: str) -> tuple[int, str]:
    model = resdsl.load(name).eval()
    graph = model.graph
    shape = graph.graph["input"]
    text = fold(trace(model, torch.randn(1, *shape), name))
    again = resdsl.graph_from_text(text, name)
    found = graph_difference(again, graph, ordered=True)
    # an auxiliary head's loss weight is training's, not the module's: not compared
    if not found and _outputs(again) != _outputs(graph):
        found = f"the outputs differ: {again.graph['outputs']} and {graph.graph['outputs']}"
    return text.count("\n"), found


def _outputs(graph) -> list[tuple[str, str, bool]]:
    return [(o.name, o.node, o.auxiliary) for o in graph.graph["outputs"]]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names")
    parser.add_argument("--skip", default="", help="comma-separated names")
    parser.add_argument("--threads", type=int, help="torch's threads (1 on a machine shared with other work)")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    names = args.only.split(",") if args.only else resdsl.list_networks()
    names = [n for n in names if n not in args.skip.split(",")]
    same = 0
    for name in names:
        start = time.perf_counter()
        try:
            lines, diff = round_trip(name)
        except ResdslError as err:
            lines, diff = 0, "; ".join(e.message for e in err.errors)[:160]
        except Exception as err:  # report and go on: the table is the point
            lines, diff = 0, f"{type(err).__name__}: {str(err).splitlines()[0][:140]}"
        same += not diff
        print(f"{name:24} {lines:5} {'same' if not diff else 'DIFFERS':8} "
              f"{time.perf_counter() - start:6.1f}s  {diff}", flush=True)
    print(f"{same} of {len(names)} the same graph")


if __name__ == "__main__":
    main()
