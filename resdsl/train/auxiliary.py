"""Training a network with auxiliary classifiers (GoogLeNet's `aux1`/`aux2`, Inception-v3's
`AuxLogits`): in training the compiled module returns every head's scores, by name, and the loss
is the main classifier's plus each head's weighted by its weight (Szegedy et al. 2014 weigh
GoogLeNet's two by 0.3; TF-slim trains Inception-v3 with 0.4). The weight is the one the source's
`auxiliary ..., weight: W` gives, or the recipe's `loss.auxiliary_weight` over it. Validation and
evaluation run the module in eval mode, where it returns the main scores alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import networkx as nx
import torch

from ..core.errors import ResdslError

# the loss of one output: (scores, labels) -> (the scores errors are counted from, the loss)
Loss = Callable[[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]


class NoWeightError(ResdslError):
    """A network with auxiliary heads to train, and no weight for their losses."""

    code = "E1050"


@dataclass(frozen=True)
class Head:
    name: str      # the output's name: the key of its scores in the training-mode dict
    weight: float  # its loss's weight in the training loss


def heads(graph: nx.DiGraph, recipe) -> list[Head]:
    """The network's auxiliary heads and their loss weights (the recipe's over the source's)."""
    override = recipe.get("loss.auxiliary_weight")
    found = []
    for output in graph.graph["outputs"]:
        if not output.auxiliary:
            continue
        weight = override if override is not None else output.weight
        if weight is None:
            raise NoWeightError(
                f"network {graph.graph['name']} has the auxiliary head {output.name}, and nothing says "
                "how much its loss weighs in training", graph.graph.get("span"),
                hint=f"write `auxiliary {output.name}, weight: 0.3` in the network (GoogLeNet's weight), "
                     "or give the recipe key loss.auxiliary_weight (--set loss.auxiliary_weight=0.3)")
        found.append(Head(output.name, float(weight)))
    return found


def check_heads(graph: nx.DiGraph, classes: int, recipe=None) -> None:
    """Each auxiliary head scores the data's classes, as the main classifier does, and has a loss
    weight (when `recipe` is given): said before a run starts."""
    if recipe is not None:
        heads(graph, recipe)
    for output in graph.graph["outputs"]:
        shape = tuple(graph.nodes[output.node]["out_shape"])
        if output.auxiliary and shape != (classes,):
            what = f"scores {shape[0]} classes" if len(shape) == 1 else "does not end in class scores"
            raise ResdslError(f"network {graph.graph['name']}'s auxiliary head {output.name} {what}, "
                              f"and the data has {classes}", graph.graph.get("span"),
                              hint="end the head with `fc classes`, as the main classifier", code="E933")


class AuxiliaryLoss:
    """The training loss of a network that returns {main: scores, head: scores, ...}: the main
    output's loss plus each head's weight times its loss, each computed by `each`."""

    def __init__(self, main: str, heads: list[Head], each: Loss):
        self.main, self.heads, self.each = main, heads, each

    def __call__(self, outputs, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if not isinstance(outputs, dict):  # a module in eval mode returns its main scores alone
            return self.each(outputs, labels)
        scores, loss = self.each(outputs[self.main], labels)
        for head in self.heads:
            loss = loss + head.weight * self.each(outputs[head.name], labels)[1]
        return scores, loss


def attach(update, graph: nx.DiGraph, recipe) -> None:
    """Make `update` (a loop's Update) train the auxiliary heads too, when the network has any."""
    found = heads(graph, recipe)
    if not found:
        return
    main = next(o for o in graph.graph["outputs"] if not o.auxiliary)  # the one check_fit allows
    check_heads(graph, graph.nodes[main.node]["out_shape"][0])
    update.loss = AuxiliaryLoss(main.name, found, update.loss)
