"""The paper's Figure 7: the standard deviation of each 3x3 layer's response.

"The responses are the outputs of each 3x3 layer, after BN and before other nonlinearity
(ReLU/addition)" (sec. 4.2). Which node that is, the graph says (`taps.response_nodes`); a copy
of the graph whose outputs are those nodes compiles to a module that returns them, so no forward
hooks are involved. The std of a layer is taken over every element of its response (samples,
channels, positions) on the data given, in eval mode, accumulated in float64.
"""

from __future__ import annotations

from typing import Iterable

import networkx as nx
import torch
from torch import nn

from ..torch.backend import build_module
from .taps import response_nodes, with_outputs


def response_module(graph: nx.DiGraph, model: nn.Module) -> tuple[nn.Module, list[str]]:
    """A module returning the responses of `model` (compiled from `graph`) as a dict keyed by
    node id, with `model`'s weights; and those node ids in network order."""
    nodes = response_nodes(graph)
    if not nodes:
        raise ValueError(f"network '{graph.graph['name']}' has no 3x3 convolution")
    taps: nn.Module = build_module(with_outputs(graph, nodes))
    weights = model.state_dict()
    taps.load_state_dict({key: weights[key] for key in taps.state_dict()})
    if len(nodes) == 1:  # one output: the module returns the tensor itself
        taps = _Named(taps, nodes[0])
    return taps, nodes


class _Named(nn.Module):
    def __init__(self, inner: nn.Module, name: str):
        super().__init__()
        self.inner, self.name = inner, name

    def forward(self, x):
        return {self.name: self.inner(x)}


@torch.no_grad()
def response_stds(graph: nx.DiGraph, model: nn.Module,
                  batches: Iterable[torch.Tensor]) -> dict[str, float]:
    """The std of each 3x3 layer's response over `batches` of inputs, in network order."""
    taps, nodes = response_module(graph, model)
    taps.eval()
    sums = {n: torch.zeros((), dtype=torch.float64) for n in nodes}
    squares = {n: torch.zeros((), dtype=torch.float64) for n in nodes}
    count = {n: 0 for n in nodes}
    for images in batches:
        for node, value in taps(images).items():
            value = value.double()
            sums[node] += value.sum()
            squares[node] += (value * value).sum()
            count[node] += value.numel()
    if not any(count.values()):
        raise ValueError("no data to measure responses on")
    stds = {}
    for n in nodes:
        mean = sums[n] / count[n]
        stds[n] = float(torch.sqrt(torch.clamp(squares[n] / count[n] - mean * mean, min=0)))
    return stds
