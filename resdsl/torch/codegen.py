"""The forward of a compiled network, written as Python source: one line per layer.

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = torch.relu_(x)  # relu
        ...
        x1 = getattr(self.layer1, "0").conv1(x)
        ...
        x = x1 + x  # layer1.0.add

Straight-line code, as a hand-written forward: no loop over the graph at run time. Values live in
a few reused variables (`x`, `x1`, ...): a layer's result takes the variable of an input read for
the last time, so no tensor outlives its last reader, without a `del` line per layer (fewer lines
also compile faster, which is most of what building a 1,202-layer network costs beyond its
weights). Module calls name their layer by its path; function calls carry it as a comment.
"""

from __future__ import annotations

import keyword
import operator
import re
from typing import Any, Callable

import networkx as nx
import torch
from torch import nn

from ..core.escape import python_literal
from ..netgraph.builder import inputs_of, layer_nodes
from ..netgraph.ops import OPS

_INFIX = {operator.add: "+"}  # written as Python writes them: `a + b`

# The source is run, so no user text may reach it as written: node ids, dotted names (the
# language's and the IR schema's rule), appear as attribute names, strings and comments; output
# names only through repr().
_NODE_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*")


def forward_source(graph: nx.DiGraph, layers: dict[str, nn.Module | Callable]) -> str:
    """`def forward(self, x): ...` for a typed graph, calling `layers` (node id -> the module
    registered under that path, or a torch function)."""
    outputs = graph.graph["outputs"]
    # a value is read by each successor, and by the return if it is an output
    reads = {node: graph.out_degree(node) for node in graph}
    for output in outputs:
        reads[output["node"]] += 1
    names = _Names()
    value: dict[str, str] = {}  # node -> the variable holding its result
    lines = ["def forward(self, x):"]
    for node in layer_nodes(graph):
        if not _NODE_ID.fullmatch(node):
            raise ValueError(f"node id {node!r} is not a dotted name: it cannot be written as code")
        data = graph.nodes[node]
        if data["op"] == "input":
            value[node] = names.new()  # `x`
            continue
        sources = inputs_of(graph, node)
        args = [value[s] for s in sources]
        if OPS[data["op"]].flattens and len(data["in_shapes"][0]) > 1:
            args[0] = f"torch.flatten({args[0]}, 1)"
        call = _call(node, layers[node], args)
        freed = []
        for source in sources:
            reads[source] -= 1
            if reads[source] == 0:
                freed.append(value[source])
        freed.sort(key=_Names.index)  # keep the lowest: the main path stays in `x`
        target = freed[0] if freed else names.new()
        for name in freed[1:]:
            names.release(name)
        value[node] = target
        lines.append(f"    {target} = {call}")
        if reads[node] == 0:  # nothing reads it: its variable is free again at once
            names.release(target)
    if len(outputs) == 1:
        lines.append(f"    return {value[outputs[0]['node']]}")
    else:  # stage taps: a dict of tensors
        items = ", ".join(f"{python_literal(o['name'])}: {value[o['node']]}" for o in outputs)
        lines.append(f"    return {{{items}}}")
    return "\n".join(lines) + "\n"


def _call(node: str, layer: Any, args: list[str]) -> str:
    if isinstance(layer, nn.Module):
        return f"{module_path(node)}({', '.join(args)})"
    if layer in _INFIX:
        return f" {_INFIX[layer]} ".join(args) + f"  # {node}"
    if getattr(torch, layer.__name__, None) is layer:
        return f"torch.{layer.__name__}({', '.join(args)})  # {node}"
    raise TypeError(f"no source for {layer!r} (layer {node})")


def module_path(node: str) -> str:
    """`layer1.0.conv1` -> `getattr(self.layer1, "0").conv1`: the attribute path to a submodule
    (numbered parts, as in torchvision's containers, and Python keywords such as a layer named
    `lambda` are names but not attributes Python can spell)."""
    path = "self"
    for part in node.split("."):
        if part.isidentifier() and not keyword.iskeyword(part):
            path = f"{path}.{part}"
        else:
            path = f'getattr({path}, {python_literal(part)})'
    return path


class _Names:
    """Variables for live values: `x`, then `x1`, `x2`, ... the lowest free one first."""

    def __init__(self):
        self.free: set[int] = set()
        self.count = 0

    def new(self) -> str:
        if self.free:
            index = min(self.free)
            self.free.remove(index)
        else:
            index, self.count = self.count, self.count + 1
        return "x" if index == 0 else f"x{index}"

    def release(self, name: str) -> None:
        self.free.add(self.index(name))

    @staticmethod
    def index(name: str) -> int:
        return int(name[1:] or 0)
