"""The network a run trains: its graph built for the data, checked against it before any
training, compiled to a module, and its parameters grouped for weight decay."""

from __future__ import annotations

from typing import Any

import networkx as nx
import torch

from ..core.errors import ResdslError
from .auxiliary import check_heads
from .data import Dataset


class FitError(ResdslError):
    """The data does not fit the network: shape or number of classes."""

    code = "E933"


def shape_text(shape) -> str:
    return "x".join(str(d) for d in shape)


def graph_for(target, network: str | None, *, input_shape=None, params: dict | None = None) -> nx.DiGraph:
    """The checked graph of the network to train (`target` may be a `resdsl.targets.Chosen`)."""
    from ..targets import checked_graph

    return checked_graph(target, network, input_shape=input_shape, params=params,
                         how="-n NAME or FILE:NAME")


def graph_for_data(target, network: str | None, data: Dataset, recipe, *, input_shape=None,
                   params: dict | None = None) -> nx.DiGraph:
    """The graph, built for the data's image size when the recipe says `data.input = "data"`
    (and no --input says otherwise), then checked to fit the data."""
    if input_shape is None and recipe["data.input"] == "data":
        input_shape = data.shape
    graph = graph_for(target, network, input_shape=input_shape, params=params)
    check_fit(graph, data, adapted=input_shape is not None)
    check_heads(graph, len(data.classes), recipe)
    return graph


def check_fit(graph: nx.DiGraph, data: Dataset, adapted: bool = False) -> None:
    """A clear error before training when images or classes do not match the network."""
    name = graph.graph["name"]
    takes = tuple(graph.graph["input"])
    span = graph.graph.get("span")
    if takes != tuple(data.shape):
        how = "was built for" if adapted else "takes"
        raise FitError(
            f"network {name} {how} {shape_text(takes)} images but {data.spec} gives {shape_text(data.shape)}",
            span, hint=f"build it for the data with --input {shape_text(data.shape)} (or `with input "
                       f"{shape_text(data.shape)}` in the source), or give data of {shape_text(takes)}")
    outputs = [o for o in graph.graph["outputs"] if not o.auxiliary]  # auxiliary.py checks the heads
    if len(outputs) != 1:
        raise FitError(f"network {name} has {len(outputs)} outputs; training needs one classifier output",
                       span)
    out_shape = graph.nodes[outputs[0].node]["out_shape"]
    classes = out_shape[0] if len(out_shape) == 1 else None
    if classes is None:
        raise FitError(f"network {name} ends in a {shape_text(out_shape)} feature map, not class scores",
                       span, hint="end it with avgpool and fc")
    if classes != len(data.classes):
        raise FitError(f"network {name} scores {classes} classes but {data.spec} has {len(data.classes)}",
                       span, hint=f"pass classes={len(data.classes)} (--param classes={len(data.classes)}, "
                                  f"or `with classes: {len(data.classes)}`)")


def build_model(graph: nx.DiGraph, seed: int, zero_init_residual: bool = False) -> torch.nn.Module:
    from ..torch.backend import build_module

    torch.manual_seed(seed)  # the initial weights are the seed's
    return build_module(graph, zero_init_residual=zero_init_residual)


def parameter_groups(model: torch.nn.Module, weight_decay: float,
                     decay_norm_and_bias: bool) -> list[dict[str, Any]]:
    """Weight decay for every weight (the paper's), or only for the weights of ops whose op table
    entry says so (`decay`: convs and fcs, not norms), never for biases. `model` is one resdsl
    compiled: each parameter belongs to the layer (graph node) whose module path starts its name."""
    if decay_norm_and_bias:
        return [{"params": [p for p in model.parameters() if p.requires_grad], "weight_decay": weight_decay}]
    from ..netgraph.ops import OPS
    from ..torch.hierarchy import prefixes

    graph = model.graph
    if not isinstance(graph, nx.DiGraph):
        raise TypeError(f"{type(model).__name__} was not compiled by resdsl: it has no layer graph")
    decay: list[torch.nn.Parameter] = []
    no_decay: list[torch.nn.Parameter] = []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        # a layer's own parameter (`layer_scale`) is named as the layer
        layer = next(path for path in reversed([*prefixes(name), name]) if path in graph)
        decayed = OPS[graph.nodes[layer]["op"]].decay and name.rpartition(".")[2] != "bias"
        (decay if decayed else no_decay).append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
