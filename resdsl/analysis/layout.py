"""Layout: where a network down-samples (the paper's first 1x1 or torchvision's 3x3) and which
shortcuts its blocks have."""

from __future__ import annotations

import networkx as nx

from ..netgraph.shortcuts import POLICIES
from .costs import Grouped, branch_nodes, group, kernel_text

_ORDINALS = ("first", "second", "third", "fourth", "fifth")


# -- layout: where down-sampling happens, which shortcuts there are ------------------------------

def downsampling(graph: nx.DiGraph, grouped: Grouped | None = None) -> list[dict]:
    """Each block that changes the spatial size, and which layer of its residual branch strides.

    `place` names that layer as the paper does: "the first 1x1 conv", "the 3x3 conv"."""
    grouped = grouped or group(graph)
    found = []
    for part in grouped.parts:
        for block, members in part.blocks.items():
            branch = branch_nodes(grouped.nodes, members)
            for node in branch:
                data = grouped.nodes[node]
                stride = data["args"].get("stride")
                if isinstance(stride, tuple) and max(stride) > 1:
                    found.append({"block": block, "node": node, "layer": node[len(block) + 1:],
                                  "op": data["op"], "kernel": kernel_text(data["args"]),
                                  "stride": stride[0], "place": _place(grouped.nodes, node, branch)})
    return found


def _place(nodes: dict, node: str, branch: list[str]) -> str:
    """`the first 1x1 conv` (one of several like it in the block) or `the 3x3 conv` (the only one)."""
    def kind(n):
        return nodes[n]["op"], nodes[n]["args"].get("kernel")

    alike = [n for n in branch if kind(n) == kind(node)]
    position = alike.index(node)
    which = "" if len(alike) == 1 else (
        _ORDINALS[position] if position < len(_ORDINALS) else f"#{position + 1}") + " "
    return f"the {which}{kernel_text(nodes[node]['args'])} {nodes[node]['op']}"


SHORTCUT_KINDS = ("identity", "projection", "zero-padding", "concat", "gate", "none")


def shortcut_kinds(graph: nx.DiGraph, grouped: Grouped | None = None) -> dict[str, list[str]]:
    """Blocks by the shortcut they have: identity, projection, zero-padding, the input
    concatenated (DenseNet), a gated merge (highway), or none."""
    grouped = grouped or group(graph)
    kinds: dict[str, list[str]] = {}
    for part in grouped.parts:
        for block, members in part.blocks.items():
            kinds.setdefault(_shortcut_kind(graph, grouped.nodes, members), []).append(block)
    return {kind: kinds[kind] for kind in SHORTCUT_KINDS if kind in kinds}


def _shortcut_kind(graph: nx.DiGraph, nodes: dict, members: list[str]) -> str:
    """What a block's shortcut carries (a projection, option A's padding) or, when it carries the
    input as it is, how the merge takes it (added, concatenated, gated)."""
    for node in members:
        for source, edge in graph.pred[node].items():
            if edge.get("role") != "shortcut":
                continue
            if nodes[source]["scope"].get("branch") == "shortcut":
                return "zero-padding" if nodes[source]["op"] == "pad_shortcut" else "projection"
            return {"concat": "concat", "gate": "gate"}.get(nodes[node]["op"], "identity")
    return "none"


def kind_words(kind: str) -> str:
    """How a shortcut kind reads after a count: `3 projection`, `16 without a shortcut`."""
    return "without a shortcut" if kind == "none" else kind


def layout(graph: nx.DiGraph, grouped: Grouped | None = None) -> dict:
    """Which layout a network has: where each down-sampling block strides, and its shortcuts."""
    grouped = grouped or group(graph)
    down = downsampling(graph, grouped)
    places = {(e["place"], e["layer"], e["stride"]) for e in down}
    if len(places) == 1:
        (place, layer, stride), = places
        stride_text = (f"stride {stride} on {place} ({layer}) of "
                       + ", ".join(e["block"] for e in down))
    elif down:
        stride_text = "; ".join(f"stride {e['stride']} on {e['node']}" for e in down)
    else:
        stride_text = "no block changes the spatial size"
    kinds = shortcut_kinds(graph, grouped)
    policy = graph.graph.get("shortcuts", "B")
    doc = POLICIES[policy].doc if policy in POLICIES else ""
    counts = ", ".join(
        f"{len(blocks)} {kind_words(kind)}"
        + (f" ({', '.join(blocks)})" if kind != "identity" and len(blocks) <= 6 else "")
        for kind, blocks in kinds.items())
    return {
        "downsampling": down,
        "shortcuts": {"option": policy, "doc": doc, "blocks": kinds},
        "summary": [f"down-sampling: {stride_text}",
                    f"shortcuts {policy} ({doc}): {counts or 'no blocks'}"],
    }


def short_layout(graph: nx.DiGraph, grouped: Grouped | None = None) -> str:
    """One phrase for a family table: `shortcuts B, stride on the 3x3 conv`."""
    places = {e["place"] for e in downsampling(graph, grouped)}
    text = f"shortcuts {graph.graph.get('shortcuts', 'B')}"
    if len(places) == 1:
        text += f", stride on {places.pop()}"
    elif places:
        text += ", strides vary"
    return text
