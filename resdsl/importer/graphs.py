"""Two layer graphs compared: the check of a folding, and of a round trip."""

from __future__ import annotations


def graph_difference(ours, theirs, ordered: bool = False) -> str:
    """The first difference between two graphs (node ids, ops, arguments, edges), or "";
    `ordered`: the layers in the same order too (as a state_dict lists them)."""
    if (list if ordered else sorted)(ours.nodes) != (list if ordered else sorted)(theirs.nodes):
        missing = [n for n in theirs.nodes if n not in ours.nodes][:2]
        extra = [n for n in ours.nodes if n not in theirs.nodes][:2]
        return f"layers differ: missing {missing}, extra {extra}" if missing or extra else \
            "the layers come in another order"
    for node in ours.nodes:
        for key in ("op", "args"):
            if ours.nodes[node][key] != theirs.nodes[node][key]:
                return f"{node}'s {key} differ: {ours.nodes[node][key]} and {theirs.nodes[node][key]}"
    if sorted(ours.edges) != sorted(theirs.edges):
        return "the layers are wired otherwise"
    return ""
