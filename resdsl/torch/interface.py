"""timm's model methods on a compiled network: `num_classes`, `num_features`, `get_classifier`,
`reset_classifier`, `forward_features`, `forward_head`, and the graph of the module as it is now.

`forward_features` and `forward_head` are generated as `forward` is (codegen.py): the first is the
network's forward up to the last feature map, the second its global pool and classifier, so
`forward_head(forward_features(x))` computes what `forward(x)` does.
"""

from __future__ import annotations

import copy
from typing import Callable

import networkx as nx
from torch import nn

from ..netgraph.infer import infer
from ..netgraph.outputs import with_outputs
from .codegen import forward_source, module_path
from .heads import FeatureInfo, Head, classifier
from .hierarchy import ROOT, module_tree


def head_source(graph: nx.DiGraph, layers: dict, called_alone: Callable) -> str:
    """`forward_features` and `forward_head` of a network ending in global pool and classifier;
    "" for any other ending."""
    head = classifier(graph)
    if head is None or not all(isinstance(layers[n], nn.Module) for n in head.between):
        return ""
    body = with_outputs(graph, [head.features])
    tree = module_tree(body, lambda node: called_alone(body, node, layers[node]))
    source = forward_source(body, tree, ROOT, layers).replace("def forward(", "def forward_features(", 1)
    between = [f"    x = {module_path(node)}(x)" for node in head.between]
    return source + "\n" + "\n".join([
        "def forward_head(self, x, pre_logits: bool = False):",
        f"    x = torch.flatten({module_path(head.pool)}(x), 1)", *between,
        "    if pre_logits:",
        "        return x",
        f"    return {module_path(head.fc)}(x)", ""])


class TimmInterface(nn.Module):
    """What timm's models offer beyond `forward`, for a network with a graph (`self.graph`)."""

    graph: nx.DiGraph  # the compiling class provides it
    feature_info: FeatureInfo  # the feature maps it offers (a backbone: those it returns)
    pretrained_cfg: dict

    def _head(self) -> Head:
        head = classifier(self.graph)
        if head is None:
            raise ValueError(f"{self.graph.graph['name']} does not end in global average "
                                 "pooling and one fc: it has no classifier to get or reset")
        return head

    @property
    def num_features(self) -> int:
        """The channels of the last feature map (what the classifier reads)."""
        return self.graph.nodes[self._head().features]["out_shape"][0]

    @property
    def num_classes(self) -> int:
        """The classifier's outputs, as the module is now (0 after `reset_classifier(0)`)."""
        fc = self.get_classifier()
        return fc.out_features if isinstance(fc, nn.Linear) else 0

    def get_classifier(self) -> nn.Module:
        return self.get_submodule(self._head().fc)

    def reset_classifier(self, num_classes: int) -> None:
        """A fresh classifier of `num_classes` outputs (0: none, `forward` gives the pooled
        features), on the old one's device and dtype; the graph follows."""
        fc = self._head().fc
        old = self.get_submodule(fc)
        parent, _, name = fc.rpartition(".")
        new = nn.Linear(self.num_features, num_classes) if num_classes > 0 else nn.Identity()
        if isinstance(old, nn.Linear):
            new = new.to(old.weight)
        setattr(self.get_submodule(parent) if parent else self, name, new)

    def current_graph(self) -> nx.DiGraph:
        """The graph of the module as it is: the compiled graph, or where a classifier was
        replaced by another `nn.Linear` (`reset_classifier`, `model.fc = nn.Linear(...)`), a copy
        with that classifier. Raises ValueError when a layer changed in another way."""
        graph = self.graph
        changed = [node for node, data in graph.nodes(data=True)
                   if data["op"] != "input" and _params_of(self, node) != data["params"]]
        if not changed:
            return graph
        graph = copy.deepcopy(graph)
        for node in changed:
            module = _module_at(self, node)
            data = graph.nodes[node]
            if data["op"] == "fc" and isinstance(module, nn.Linear):
                data["args"] = {**data["args"], "out": module.out_features,
                                "bias": module.bias is not None}
                continue
            raise ValueError(f"layer '{node}' is no longer the one compiled from the source "
                             f"({module!r}); the report can only describe the source: "
                             "model.report(source=True)")
        # expectations describe the network as written, not the module it became
        graph.graph["checks"] = [c for c in graph.graph["checks"] if c.kind == "budget"]
        return infer(graph)


def _module_at(root: nn.Module, node: str) -> nn.Module | None:
    try:
        return root.get_submodule(node)
    except AttributeError:
        return None


def _params_of(root: nn.Module, node: str) -> int:
    module = _module_at(root, node)
    return 0 if module is None else sum(p.numel() for p in module.parameters())
