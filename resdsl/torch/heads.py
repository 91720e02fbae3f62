"""timm's model interface, read from the graph: where the features end and the head begins, the
stage taps a `features_only` model returns, and the input a network expects.

timm's ResNets split `forward` into `forward_features` (to the last feature map) and
`forward_head` (global pooling, then the classifier); `feature_info` lists, for each feature map a
backbone can return, its channels and its reduction (input size / its size). Here both come from
the graph: the head is where a network ends `... -> global average pool [-> dropout] -> fc`,
and the feature maps are the last stage (or stem layer) at each reduction, as timm's.
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from ..netgraph.builder import inputs_of, layer_nodes
from ..netgraph.meta import NetworkMeta
from ..netgraph.ops import OPS


@dataclass(frozen=True)
class Feature:
    """A feature map a backbone can return: timm's `feature_info` entry."""

    module: str  # the node (and module path) whose result it is: `layer1`'s last layer's
    name: str  # the name it is returned under: the stage's (`layer1`), else the layer's
    num_chs: int
    reduction: int


class FeatureInfo:
    """timm's `feature_info`: the feature maps of a network, or those a `features_only` model
    returns (`channels()`, `reduction()`, `module_name()`, one value per feature map)."""

    def __init__(self, features: list[Feature]):
        self.info = list(features)

    def channels(self, idx: int | None = None):
        return self._get("num_chs", idx)

    def reduction(self, idx: int | None = None):
        return self._get("reduction", idx)

    def module_name(self, idx: int | None = None):
        return self._get("name", idx)

    def get_dicts(self) -> list[dict]:
        return [{"module": f.name, "num_chs": f.num_chs, "reduction": f.reduction}
                for f in self.info]

    def _get(self, key: str, idx: int | None):
        if idx is not None:
            return getattr(self.info[idx], key)
        return [getattr(f, key) for f in self.info]

    def __getitem__(self, idx: int) -> dict:
        return self.get_dicts()[idx]

    def __len__(self) -> int:
        return len(self.info)

    def __repr__(self) -> str:
        return f"FeatureInfo({self.get_dicts()})"


def features(graph: nx.DiGraph) -> list[Feature]:
    """Every feature map the network offers, in network order (timm's out_indices number them):
    at each reduction, the last stage's result, or before the first stage the last stem layer."""
    meta = NetworkMeta.of(graph)
    if not meta.stages:
        return []
    height = meta.input[1] if len(meta.input) == 3 else None
    nodes = layer_nodes(graph)
    first = meta.stages[0].first or meta.stages[0].last
    stem = nodes[1:nodes.index(first)] if first in nodes else []  # not the input
    candidates = [(node, node) for node in stem if _reduction(graph, node, height) > 1]
    candidates += [(stage.last, stage.name) for stage in meta.stages]
    last_at: dict[int, tuple[str, str]] = {}  # reduction -> the last candidate there
    for node, name in candidates:
        last_at[_reduction(graph, node, height)] = (node, name)
    return [Feature(node, name, graph.nodes[node]["out_shape"][0], reduction)
            for reduction, (node, name) in last_at.items()]


def _reduction(graph: nx.DiGraph, node: str, height: int | None) -> int:
    shape = graph.nodes[node]["out_shape"]
    if height is None or len(shape) != 3 or not shape[1]:
        return 1
    return round(height / shape[1])


def pick(found: list[Feature], out_indices) -> list[Feature]:
    """The feature maps `out_indices` names (negative indices count from the end, as timm's)."""
    if out_indices is None:
        return found
    picked = []
    for index in out_indices:
        if not -len(found) <= index < len(found):
            raise ValueError(f"out_indices: {index} is out of range; this network has "
                             f"{len(found)} feature maps (0..{len(found) - 1}: "
                             f"{', '.join(f.name for f in found)})")
        picked.append(found[index])
    return picked


def pretrained_cfg(graph: nx.DiGraph) -> dict:
    """timm's `pretrained_cfg` as far as the source states it: the input size, the classes and
    the classifier's module path. No weights ship with resdsl, so there is no `mean`/`std` (the
    normalisation a set of trained weights expects) and no `url`."""
    meta = NetworkMeta.of(graph)
    cfg: dict = {"architecture": meta.name, "input_size": tuple(meta.input)}
    head = classifier(graph)
    if head is not None:
        cfg["num_classes"] = graph.nodes[head.fc]["out_shape"][0]
        cfg["classifier"] = head.fc
    return cfg


@dataclass(frozen=True)
class Head:
    """Where a network ends `... -> global average pool [-> dropout, flatten] -> fc`."""

    features: str  # the last feature map
    pool: str
    between: tuple[str, ...]  # dropout or flatten between pool and classifier (timm's drop_rate)
    fc: str


def classifier(graph: nx.DiGraph) -> Head | None:
    """The head of a network with one output, an fc reading a global average pool through
    dropout or flatten only; None for any other ending (several outputs, a 1x1-conv head)."""
    outputs = graph.graph["outputs"]
    if len(outputs) != 1 or graph.nodes[outputs[0].node]["op"] != "fc":
        return None
    fc = outputs[0].node
    between: list[str] = []
    node = fc
    while True:
        sources = inputs_of(graph, node)
        if len(sources) != 1 or graph.out_degree(sources[0]) != 1:
            return None
        node = sources[0]
        data = graph.nodes[node]
        if data["op"] == "avgpool" and data["args"]["kernel"] is None:
            (features,) = inputs_of(graph, node)
            return Head(features, node, tuple(reversed(between)), fc)
        if OPS[data["op"]].role not in _BETWEEN:
            return None
        between.append(node)


_BETWEEN = ("regularizer", "shape")  # the op table's roles that may sit between pool and fc
