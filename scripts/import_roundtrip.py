"""Round trip of every bundled network: compile it, import the module, compile the text again,
and compare the two graphs (node ids, ops, arguments, edges). Prints one row per network: the
imported text's lines, whether the graphs are the same, and the first difference.

    python scripts/import_roundtrip.py [--only NAME,...] [--skip resnet1202,preact_resnet1001]
"""

from __future__ import annotations

import argparse
import time

import torch

import resdsl
from resdsl.core.errors import ResdslError
from resdsl.importer.fold import fold
from resdsl.importer.trace import trace


def difference(ours, theirs) -> str:
    """The first difference between two graphs, or ""."""
    if list(ours.nodes) != list(theirs.nodes):
        missing = [n for n in theirs.nodes if n not in ours.nodes][:2]
        extra = [n for n in ours.nodes if n not in theirs.nodes][:2]
        return f"nodes: missing {missing}, extra {extra}" if missing or extra else "node order"
    for node in ours.nodes:
        for key in ("op", "args"):
            if ours.nodes[node][key] != theirs.nodes[node][key]:
                return f"{node} {key}: {ours.nodes[node][key]} != {theirs.nodes[node][key]}"
    if sorted(ours.edges) != sorted(theirs.edges):
        return "edges"
    return ""


def round_trip(name: str) -> tuple[int, str]:
    model = resdsl.load(name).eval()
    graph = model.graph
    shape = graph.graph["input"]
    text = fold(trace(model, torch.randn(1, *shape), name))
    return text.count("\n"), difference(resdsl.graph_from_text(text, name), graph)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated names")
    parser.add_argument("--skip", default="", help="comma-separated names")
    args = parser.parse_args()
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
