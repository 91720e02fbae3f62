"""Reading values out of the middle of a network through its graph, not through hooks.

A network's outputs are part of its graph (`outputs layer2, layer3` in the language), and the
torch backend returns a dict of tensors when there are several. So any layer's result can be had
by compiling a copy of the graph whose outputs are those layers: the backend then writes a forward
that returns them, and nothing downstream of them is built. No torch here.
"""

from __future__ import annotations

import networkx as nx

from ..netgraph.builder import layer_nodes
from ..netgraph.ops import OPS
from ..netgraph.outputs import global_head, with_outputs

__all__ = ["global_head", "response_nodes", "with_outputs"]


def response_nodes(graph: nx.DiGraph) -> list[str]:
    """The paper's Figure 7 responses: for each 3x3 convolution, in network order, the node whose
    result is that layer's response "after BN and before other nonlinearity (ReLU/addition)" --
    the norm (BN, or any op whose role is norm) that reads the convolution, or the convolution
    itself where no norm follows it.

    Convolutions on a shortcut (projections) are not layers of the stack and are left out."""
    nodes = []
    for node in layer_nodes(graph):
        data = graph.nodes[node]
        if data["op"] != "conv" or tuple(data["args"]["kernel"]) != (3, 3):
            continue
        if data["scope"].get("branch") == "shortcut":
            continue
        readers = list(graph.succ[node])
        if len(readers) == 1 and OPS[graph.nodes[readers[0]]["op"]].role == "norm":
            nodes.append(readers[0])
        else:
            nodes.append(node)
    return nodes
