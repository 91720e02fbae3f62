"""The forwards of a compiled network, written as Python source: one line per layer.

    def forward(self, x):              # the network's
        x = self.conv1(x)
        x = self.bn1(x)
        x = torch.relu_(x)  # relu
        x = self.maxpool(x)
        x = self.layer1(x)             # a stage: nn.Sequential of blocks
        ...

    def forward(self, x):              # a block's (layer1.0), called by its stage
        x1 = self.conv1(x)
        ...
        x = self.downsample(x)
        x = x1 + x  # add

Each callable container of the module tree (hierarchy.py) gets one, calling its own layers and
containers by their paths relative to it. Straight-line code, as a hand-written forward: no loop
over the graph at run time. Values live in a few reused variables (`x`, `x1`, ...): a result
takes the variable of an input read for the last time, so no tensor outlives its last reader,
without a `del` line per layer. Module calls name their layer by its path; function calls carry
it as a comment.
"""

from __future__ import annotations

import keyword
import operator
from typing import Any, Callable

import networkx as nx
import torch
from torch import nn

from ..core.escape import python_literal
from ..core.names import NODE_ID
from ..netgraph.ops import OPS
from .hierarchy import ROOT, ModuleTree, relative

_INFIX = {operator.add: "+", operator.mul: "*"}  # written as Python writes them: `a + b`

# The source is run, so no user text may reach it as written: node ids, dotted names (the
# language's and the IR schema's rule, NODE_ID), appear as attribute names, strings and comments;
# output names only through repr().


def forward_source(graph: nx.DiGraph, tree: ModuleTree, path: str,
                   layers: dict[str, nn.Module | Callable], *, listed: bool = False) -> str:
    """`def forward(self, x): ...` of one callable container (`ROOT`: the network), calling
    `layers` (node id -> the module registered under that path, or a torch function);
    `listed`: the network's several outputs as a list, not a dict."""
    container = tree.containers[path]
    steps = []
    for item in container.items:
        if not NODE_ID.fullmatch(item):
            raise ValueError(f"node id {item!r} is not a dotted name: it cannot be written as code")
        steps.append((item, tree.sources_of(graph, item), tree.value_of(item)))
    training: list[tuple[str | None, str]] = []
    if path == ROOT:
        returns = [(o.name, o.node) for o in graph.graph["outputs"] if not o.auxiliary]
        training = [(o.name, o.node) for o in graph.graph["outputs"] if o.auxiliary]
    else:
        returns = [(None, container.output)]
    return straight_line(container.inputs, steps, returns,
                         lambda item, args: _call(graph, tree, path, item, layers, args),
                         listed=listed, training=training)


def straight_line(inputs: list[str], steps: list[tuple[str, list[str], str]],
                  returns: list[tuple[str | None, str]],
                  call: Callable[[str, list[str]], str], *, listed: bool = False,
                  training: list[tuple[str | None, str]] | None = None) -> str:
    """A forward computing `steps` (item, the values it reads, the value it makes) in order from
    `inputs`, returning one value, or a dict of named ones (`listed`: a list); in training, with
    `training` (auxiliary heads), a dict of all of them."""
    reads: dict[str, int] = {}
    for _, sources, _ in steps:
        for source in sources:
            reads[source] = reads.get(source, 0) + 1
    for _, value in returns + (training or []):
        reads[value] = reads.get(value, 0) + 1
    side = _training_only(steps, returns) if training else set()
    names = _Names()
    value_of: dict[str, str] = {}  # value -> the variable holding it
    for value in inputs:
        value_of[value] = names.new()
    lines = [f"def forward(self, {', '.join(value_of[v] for v in inputs)}):"]
    for item, sources, made in steps:
        args = [value_of[s] for s in sources]
        freed = []
        for source in sources:
            reads[source] -= 1
            if reads[source] == 0:
                freed.append(value_of[source])
        freed.sort(key=_Names.index)  # keep the lowest: the main path stays in `x`
        target = freed[0] if freed else names.new()
        for name in freed[1:]:
            names.release(name)
        value_of[made] = target
        guard = " if self.training else None" if made in side else ""  # evaluation skips it
        lines.append(f"    {target} = {call(item, args)}{guard}")
        if reads.get(made, 0) == 0:  # nothing reads it: its variable is free again at once
            names.release(target)
    if training:  # torchvision's GoogLeNet: the side classifiers' outputs in training only
        named = [(name or "out", value) for name, value in returns + training]
        items = ", ".join(f"{python_literal(name)}: {value_of[value]}" for name, value in named)
        lines += ["    if self.training:", f"        return {{{items}}}"]
    if len(returns) == 1 and not listed:
        lines.append(f"    return {value_of[returns[0][1]]}")
    elif listed:  # timm's features_only: a list of feature maps
        lines.append(f"    return [{', '.join(value_of[value] for _, value in returns)}]")
    else:  # stage taps: a dict of tensors
        items = ", ".join(f"{python_literal(name)}: {value_of[value]}" for name, value in returns)
        lines.append(f"    return {{{items}}}")
    return "\n".join(lines) + "\n"


def _training_only(steps: list[tuple[str, list[str], str]],
                   returns: list[tuple[str | None, str]]) -> set[str]:
    """The values no returned value depends on: those only the auxiliary heads read."""
    needed = {value for _, value in returns}
    for _, sources, made in reversed(steps):
        if made in needed:
            needed.update(sources)
    return {made for _, _, made in steps} - needed


def _call(graph: nx.DiGraph, tree: ModuleTree, path: str, item: str,
          layers: dict[str, Any], args: list[str]) -> str:
    name = relative(item, path)
    if item in tree.containers:
        return f"{module_path(name)}({', '.join(args)})"
    data = graph.nodes[item]
    if OPS[data["op"]].flattens and len(data["in_shapes"][0]) > 1:
        args = [f"torch.flatten({args[0]}, 1)", *args[1:]]
    layer = layers[item]
    if isinstance(layer, nn.Module):
        return f"{module_path(name)}({', '.join(args)})"
    if isinstance(layer, nn.Parameter):  # a learned scale per channel (`layer_scale`)
        spread = ".view(-1, 1, 1)" if layer.dim() < len(data["in_shapes"][0]) else ""
        return f"{args[0]} * {module_path(name)}{spread}"
    if layer in _INFIX:
        return f" {_INFIX[layer]} ".join(args) + f"  # {name}"
    function = layer.__name__
    if getattr(torch, function, None) is layer:
        return f"torch.{function}({', '.join(args)})  # {name}"
    if getattr(torch.nn.functional, function, None) is layer:
        return f"torch.nn.functional.{function}({', '.join(args)})  # {name}"
    raise TypeError(f"no source for {layer!r} (layer {item})")


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
