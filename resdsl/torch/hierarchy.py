"""The module tree of a compiled network, read from its node ids.

A node id is the path its layer gets in PyTorch (`layer1.0.conv1`), so every proper prefix of one
(`layer1`, `layer1.0`) is a container. Nothing here knows what a stage or a block is: a container
is whatever the ids group, at any depth (a timm-style `conv1.0`..`conv1.6`, a branch inside a
block). Each container is one of

- *callable*: it reads its inputs and makes exactly one value that the rest of the network
  reads, so it can be a module with a forward of its own, called from its parent's (forward
  hooks on it fire, torch.fx may keep it as a leaf). If its items are modules chained one into
  the next, it is an `nn.Sequential` (a stage of blocks, a `downsample` of conv and BN);
  otherwise it gets a generated straight-line forward (a block).
- a *holder*: several values leave it, so no single call can stand for it; it is a plain
  `nn.Module` for names only, and its layers are called from the nearest callable container
  above it, as before.

The network itself is the root: callable, with the graph's outputs as its results.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import networkx as nx

from ..core.names import prefixes
from ..netgraph.builder import inputs_of, layer_nodes

ROOT = ""


@dataclass
class Container:
    path: str  # "" for the network itself
    inputs: list[str]  # the values it reads from outside, in the order it first reads them
    outputs: list[str]  # its values read outside it (or returned by the network)
    first: str  # its first layer in source order
    items: list[str] = field(default_factory=list)  # callable only: what its forward computes
    kind: str = "holder"  # "network", "sequential", "generated" or "holder"

    @property
    def callable(self) -> bool:
        return self.kind != "holder"

    @property
    def output(self) -> str:
        return self.outputs[0]


@dataclass
class ModuleTree:
    containers: dict[str, Container]  # by path, in the order they first appear in the source
    nodes: list[str]  # the layers, topological order (no input node)

    def value_of(self, item: str) -> str:
        """The value an item makes: a layer's own, or a callable container's one output."""
        container = self.containers.get(item)
        return container.output if container is not None else item

    def sources_of(self, graph: nx.DiGraph, item: str) -> list[str]:
        container = self.containers.get(item)
        return list(container.inputs) if container is not None else inputs_of(graph, item)


def module_tree(graph: nx.DiGraph, is_module) -> ModuleTree:
    """The containers of a graph's node ids and what each one's forward computes.

    `is_module(node)` says whether a layer is an `nn.Module` (a function, such as a ReLU, cannot
    sit in an `nn.Sequential`)."""
    order = layer_nodes(graph)
    entry = next(n for n in order if graph.nodes[n]["op"] == "input")
    nodes = [n for n in order if n != entry]
    returned = [o.node for o in graph.graph["outputs"]]
    members: dict[str, list[str]] = {}
    for node in nodes:
        for path in prefixes(node):
            members.setdefault(path, []).append(node)
    containers = {ROOT: Container(ROOT, [entry], list(dict.fromkeys(returned)), entry,
                                      kind="network")}
    returned_set = set(returned)
    for path, inside in members.items():
        within = set(inside)
        inputs = dict.fromkeys(s for m in inside for s in inputs_of(graph, m) if s not in within)
        outputs = [m for m in inside
                   if m in returned_set or any(t not in within for t in graph.succ[m])]
        container = Container(path, list(inputs), outputs, inside[0])
        if len(outputs) == 1 and inputs:
            container.kind = "generated"
        containers[path] = container
    tree = ModuleTree(containers, nodes)
    _assign_items(graph, tree)
    for container in containers.values():
        if container.kind == "generated" and _is_chain(graph, tree, container, is_module):
            container.kind = "sequential"
    return tree


def _assign_items(graph: nx.DiGraph, tree: ModuleTree) -> None:
    """Each layer and callable container goes to the forward of the nearest callable container
    above it; within one forward, items in an order that computes every input first."""
    containers = tree.containers
    for node in tree.nodes:
        chain = [ROOT] + [p for p in prefixes(node) if containers[p].callable]
        for depth, path in enumerate(chain):
            item = chain[depth + 1] if depth + 1 < len(chain) else node
            items = containers[path].items
            if not items or items[-1] != item:  # consecutive layers of one item: once
                items.append(item)
    for container in containers.values():
        if container.callable:
            container.items = _ordered(graph, tree, list(dict.fromkeys(container.items)))


def _ordered(graph: nx.DiGraph, tree: ModuleTree, items: list[str]) -> list[str]:
    """The items in topological order of what they read, ties in source order. Usually that is
    already their order; an item whose first layer comes early but which reads a later one (a
    container's input computed between its own layers) moves after it."""
    made_by = {tree.value_of(item): index for index, item in enumerate(items)}
    needs = {index: {made_by[s] for s in tree.sources_of(graph, item) if s in made_by}
             for index, item in enumerate(items)}
    if all(all(n < i for n in needed) for i, needed in needs.items()):
        return items
    waiting = {i: len(needed) for i, needed in needs.items()}
    readers: dict[int, list[int]] = {}
    for i, needed in needs.items():
        for n in needed:
            readers.setdefault(n, []).append(i)
    ready = [i for i, count in waiting.items() if count == 0]
    heapq.heapify(ready)
    result = []
    while ready:
        i = heapq.heappop(ready)
        result.append(items[i])
        for reader in readers.get(i, ()):
            waiting[reader] -= 1
            if waiting[reader] == 0:
                heapq.heappush(ready, reader)
    if len(result) != len(items):
        raise AssertionError("containers read each other's values in a cycle")
    return result


def _is_chain(graph: nx.DiGraph, tree: ModuleTree, container: Container, is_module) -> bool:
    """Modules only, each reading only the one before it (the first the container's input), the
    last making the container's output: what `nn.Sequential` computes."""
    if len(container.inputs) != 1:
        return False
    previous = container.inputs[0]
    for item in container.items:
        if item not in tree.containers and not is_module(item):
            return False
        if tree.sources_of(graph, item) != [previous]:
            return False
        previous = tree.value_of(item)
    return previous == container.output


def owner(tree: ModuleTree, path: str) -> str:
    """The nearest callable container above a layer or container: whose forward calls it."""
    for parent in reversed(prefixes(path)):
        if tree.containers[parent].callable:
            return parent
    return ROOT


def relative(path: str, container: str) -> str:
    """`layer1.0.conv1` seen from `layer1.0`: `conv1`."""
    return path[len(container) + 1:] if container else path
