"""From a module to checked text: trace, fold, compile and compare."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from .check import Comparison, compare
from .errors import MismatchError
from .fold import fold
from .layers import Imported
from .trace import trace


@dataclass
class Result:
    text: str
    comparison: Comparison


def imported_text(model: nn.Module, example: torch.Tensor, name: str, *, approximate: bool = False,
                  header: str = "") -> Result:
    name = network_name(name)
    text = fold(trace(model, example, name), header=header)
    text = as_bundled(text, name, tuple(example.shape[1:]), header) or text
    return _settled(text, name, compare(text, name, model, example), approximate)


def _settled(text: str, name: str, comparison: Comparison, approximate: bool) -> Result:
    """The text, where it is the source's; with its differences as comments if `approximate`."""
    if comparison.differences:
        if not approximate:
            raise MismatchError(
                f"the imported {name} differs from the source: " + "; ".join(comparison.differences),
                hint="--approximate writes it anyway, with the differences as comments")
        text = "".join(f"# differs: {d}\n" for d in comparison.differences) + text
    return Result(text, comparison)


def network_name(name: str) -> str:
    """A name the language accepts for the network: `resnet50` from `torchvision.models:resnet50`."""
    word = re.sub(r"\W+", "_", name.rpartition(":")[2].split("(")[0]).strip("_") or "imported"
    return word if word[0].isalpha() else "net_" + word


def checked_layers(imported: Imported, *, approximate: bool = False, header: str = "") -> Result:
    """The folded text of layers read from a file (no torch module to compare with): compiled
    and compared with the same layers written one by one, graph for graph."""
    from ..language.loader import load_text
    from ..netgraph.infer import totals
    from ..targets import in_scope

    def graph(text: str):
        return in_scope(load_text(text), imported.name, "the imported text").graph(None, {})

    text = fold(imported, header=header)
    text = as_bundled(text, imported.name, imported.input_shape, header) or text
    folded, flat = graph(text), graph(fold(imported, flat=True))
    comparison = Comparison()
    for what in ("params", "macs"):
        comparison.figures.append(f"{what}: {totals(flat)[what]:,} in the file, "
                                  f"{totals(folded)[what]:,} imported")
    found = graph_difference(folded, flat)
    comparison.figures.append(f"graph: {folded.number_of_nodes()} layers, "
                              + ("the file's" if not found else found))
    if found:
        comparison.differences.append(found)
    return _settled(text, imported.name, comparison, approximate)


def as_bundled(text: str, name: str, input_shape: tuple[int, ...], header: str) -> str | None:
    """The call of the bundled network the folded `text` is, if one is (library.py)."""
    from ..language.loader import load_text
    from ..targets import in_scope
    from .library import bundled_text

    try:
        graph = in_scope(load_text(text), name, "the imported text").graph(input_shape, {})
    except Exception:  # the check that follows reports what is wrong with the text
        return None
    return bundled_text(graph, name, header)


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
