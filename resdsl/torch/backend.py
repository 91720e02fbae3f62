"""The torch backend: a typed graph to an `nn.Module` with a generated forward.

`torch_codegen` writes the forward once, as straight-line Python (`x = self.conv1(x)`), and it is
compiled into a class of its own: no interpreter walks the graph on each call. Submodules sit
under the graph's node ids, so `state_dict()` keys are the module paths the source names, for
the bundled ResNets exactly torchvision's (`layer1.0.conv1.weight`, `layer2.0.downsample.0.weight`,
`fc.bias`). `model.code` is the forward's source; `torch.fx.symbolic_trace(model)` gives an fx
graph for fx passes.

Not torch.fx's own code generation: building an fx graph of a 1,202-layer network and generating
code from it took longer than making its weights (bench/forward.py measures construction).
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import linecache
import re
import weakref
from typing import Callable

import networkx as nx
import torch
from torch import nn

from ..analysis.allocation import check_parameters
from ..core.errors import ExportError, raise_all
from ..netgraph.builder import inputs_of, layer_nodes
from ..netgraph.ops import OPS
from . import modules
from .codegen import forward_source
from .init import init_weights
from .modules import attach

# Ops whose result is a tensor of their own, which an activation may overwrite when nothing
# else reads it (as torchvision's ReLU(inplace=True) overwrites a BN's output); none of them
# needs its result for the backward pass.
_FRESH_RESULT = {"conv", "bn", "fc", "add", "concat"}


def build_module(graph: nx.DiGraph, *, zero_init_residual: bool = False) -> "CompiledNetwork":
    """The network of a typed graph, with the paper's initial weights."""
    check_parameters(graph)  # before torch allocates them
    with _collector_paused():
        layers = build_layers(graph)
        check_module_names(graph, layers)
        network = network_class(class_name(graph.graph["name"]), forward_source(graph, layers))()
        for path, layer in layers.items():  # in source order, so state_dict() reads like the source
            if isinstance(layer, nn.Module):
                attach(network, path, layer)
        init_weights(network, residual_bns(graph) if zero_init_residual else ())
    return network


@contextlib.contextmanager
def _collector_paused():
    """Each module holds a dozen dicts, so building a deep network makes tens of thousands of
    containers, none of them garbage; Python's cycle collector would walk them all again and again
    (a sixth of the construction time of ResNet-1202). It runs as usual afterwards."""
    if not gc.isenabled():  # the caller's choice: leave it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build_layers(graph: nx.DiGraph) -> dict[str, nn.Module | Callable]:
    """What computes each node, from the op table: a module, or a torch function."""
    returned = {o["node"] for o in graph.graph["outputs"]}
    layers = {}
    for node in layer_nodes(graph):
        data = graph.nodes[node]
        op = OPS[data["op"]]
        if data["op"] == "input":
            continue
        in_place = op.torch_inplace is not None and _may_overwrite_input(graph, node, returned)
        layers[node] = (op.torch_inplace if in_place else op.torch)(data["args"], data["in_shapes"], modules)
    return layers


def check_module_names(graph: nx.DiGraph, layers: dict[str, nn.Module | Callable]) -> None:
    """Every module path torch can register: none of its parts may be the name of something an
    `nn.Module` already has (`forward`, `train`, `to`, `parameters`, ...), which torch refuses."""
    taken = set(dir(nn.Module())) | set(vars(CompiledNetwork))
    stages = graph.graph.get("stage_spans", {})  # stage path -> where it is written
    errors, reported = [], set()
    for node, layer in layers.items():
        if not isinstance(layer, nn.Module):
            continue
        parts = node.split(".")
        for depth, part in enumerate(parts, 1):
            path = ".".join(parts[:depth])
            if part not in taken or path in reported:
                continue
            reported.add(path)  # a stage's name once, not once per layer in it
            if path == node:
                what, span = "layer", graph.nodes[node].get("span")
            else:
                what, span = ("stage", stages[path]) if path in stages else ("block", None)
            errors.append(ExportError(
                f"a {what} named '{part}' cannot be compiled to PyTorch: every nn.Module already "
                f"has an attribute '{part}'", span or graph.nodes[node].get("span"),
                hint=f"rename it, e.g. '{part}_1'", code="E912"))
    raise_all(errors)


class CompiledNetwork(nn.Module):
    """A network compiled by resdsl: each one is a class of its own, with a generated forward."""

    code: str  # the forward's source

    def __reduce__(self):
        # the class was made at run time, so pickle cannot find it by name: rebuild it from its
        # source (deepcopy goes the same way)
        return _restore, (type(self).__name__, self.code), self.__getstate__()


_serial = itertools.count()


def network_class(name: str, forward: str) -> type[CompiledNetwork]:
    """A `CompiledNetwork` subclass whose forward is `forward`'s source, compiled."""
    filename = f"<resdsl {name} {next(_serial)}>"
    namespace = {"torch": torch}
    exec(compile(forward, filename, "exec"), namespace)
    cls = type(name, (CompiledNetwork,), {"forward": namespace["forward"], "code": forward,
                                         "__module__": __name__})
    # tracebacks, pdb and inspect show the generated lines, for as long as the class lives (a
    # search over thousands of networks should not keep thousands of sources)
    linecache.cache[filename] = (len(forward), None, forward.splitlines(True), filename)
    weakref.finalize(cls, linecache.cache.pop, filename, None)
    return cls


@functools.lru_cache(maxsize=64)  # copies of one network share a class
def _restored_class(name: str, forward: str) -> type[CompiledNetwork]:
    return network_class(name, forward)


def _restore(name: str, forward: str) -> CompiledNetwork:
    cls = _restored_class(name, forward)
    return cls.__new__(cls)  # pickle then sets its state: modules, parameters, buffers


def _may_overwrite_input(graph: nx.DiGraph, node: str, returned: set[str]) -> bool:
    (source,) = inputs_of(graph, node)
    return (graph.out_degree(source) == 1 and source not in returned
            and graph.nodes[source]["op"] in _FRESH_RESULT)


def residual_bns(graph: nx.DiGraph) -> list[str]:
    """The BN that ends each residual branch: the one feeding an `add` as its residual input."""
    bns = []
    for node in layer_nodes(graph):
        if graph.nodes[node]["op"] != "add":
            continue
        for source, _, role in graph.in_edges(node, data="role"):
            if role == "residual" and graph.nodes[source]["op"] == "bn":
                bns.append(source)
    return bns


def class_name(network: str) -> str:
    """`resnet34_a` -> `Resnet34A`: the name `print(model)` shows."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", network) if w]
    name = "".join(w[0].upper() + w[1:] for w in words) or "Network"
    return name if name[0].isalpha() else "Net" + name
