"""The torch backend: a typed graph to an `nn.Module` (a `torch.fx.GraphModule`).

torch.fx generates the forward once, as straight-line Python (`layer1_0_conv1 = ...`): no
interpreter walks the graph on each call. Submodules sit under the graph's node ids, so
`state_dict()` keys are the module paths the source names, for the bundled ResNets exactly
torchvision's (`layer1.0.conv1.weight`, `layer2.0.downsample.0.weight`, `fc.bias`).
"""

from __future__ import annotations

import re

import networkx as nx
import torch
from torch import fx, nn

from .graph import inputs_of, layer_nodes
from .ops import OPS
from .torch_init import init_weights
from .torch_modules import attach

NODE_KEY = "resdsl_node"  # in an fx node's meta: the graph node it computes

# Ops whose result is a tensor of their own, which an activation may overwrite when nothing
# else reads it (as torchvision's ReLU(inplace=True) overwrites a BN's output); none of them
# needs its result for the backward pass.
_FRESH_RESULT = {"conv", "bn", "fc", "add", "concat"}


def build_module(graph: nx.DiGraph, *, zero_init_residual: bool = False) -> fx.GraphModule:
    """The network of a typed graph, with the paper's initial weights."""
    fx_graph, modules = to_fx(graph)
    module = fx.GraphModule(nn.Module(), fx.Graph(), class_name=class_name(graph.graph["name"]))
    for path, layer in modules.items():  # in source order, so state_dict() reads like the source
        attach(module, path, layer)
    module.graph = fx_graph  # generates the forward
    init_weights(module, residual_bns(graph) if zero_init_residual else ())
    return module


def to_fx(graph: nx.DiGraph) -> tuple[fx.Graph, dict[str, nn.Module]]:
    """An fx graph with one node per layer, and the modules it calls, keyed by node id."""
    fx_graph = fx.Graph()
    modules: dict[str, nn.Module] = {}
    values: dict[str, fx.Node] = {}
    outputs = graph.graph["outputs"]
    returned = {o["node"] for o in outputs}
    for node in layer_nodes(graph):
        data = graph.nodes[node]
        op = OPS[data["op"]]
        if data["op"] == "input":
            values[node] = fx_graph.placeholder("x")
            continue
        args = tuple(values[i] for i in inputs_of(graph, node))
        if op.flattens and len(data["in_shapes"][0]) > 1:
            args = (fx_graph.call_function(torch.flatten, (args[0], 1)),)
        in_place = op.torch_inplace is not None and _may_overwrite_input(graph, node, returned)
        built = (op.torch_inplace if in_place else op.torch)(data["args"], data["in_shapes"])
        if isinstance(built, nn.Module):
            modules[node] = built
            value = fx_graph.create_node("call_module", node, args, name=node)
        else:
            value = fx_graph.create_node("call_function", built, args, name=node)
        value.meta[NODE_KEY] = node
        values[node] = value
    if len(outputs) == 1:
        fx_graph.output(values[outputs[0]["node"]])
    else:  # stage taps: a dict of tensors
        fx_graph.output({o["name"]: values[o["node"]] for o in outputs})
    fx_graph.lint()
    return fx_graph, modules


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
