"""Trained networks and their data, as `resdsl train` leaves them: the graph built for the data,
the module with the run's weights, and the validation images normalised as training saw them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import networkx as nx
import torch

from ..train.checkpoint import load_weights
from ..train.data import Dataset, open_data
from ..train.loop import default_recipe
from ..train.network import graph_for_data
from ..train.pipeline import Sharding, eval_batches
from ..train.recipe import Recipe, load_recipe

if TYPE_CHECKING:
    from ..targets.checked import Chosen


def recipe_for(data: str, recipe: str | Path | None = None) -> Recipe:
    """The recipe named, or the one `resdsl train` would use for this data."""
    return load_recipe(recipe if recipe is not None else default_recipe(data))


def trained_network(target: str | Chosen, weights: str | Path, data: Dataset, recipe: Recipe, *,
                    network: str | None = None, input_shape=None,
                    params: dict | None = None) -> tuple[nx.DiGraph, torch.nn.Module]:
    """The graph (built for the data as training built it) and the module with `weights`."""
    from ..torch.backend import build_module
    from ..train.network import FitError

    graph = graph_for_data(target, network, data, recipe, input_shape=input_shape, params=params)
    model = build_module(graph)
    try:
        model.load_state_dict(load_weights(weights))
    except RuntimeError as err:  # as `resdsl eval` says it
        raise FitError(f"{weights} does not fit network {graph.graph['name']}: "
                       f"{str(err).splitlines()[0]}", graph.graph.get("span"),
                       hint="give the network (and --input / --param) the weights were trained as") from None
    return graph, model.eval()


def validation_batches(data: Dataset, recipe: Recipe, split: str = "val",
                       batch: int = 256) -> list[torch.Tensor]:
    """The images of a split, normalised as in evaluation, in batches (labels dropped)."""
    return [x for x, _ in eval_batches(data, data.split(split), recipe, Sharding(0, 1),
                                       torch.device("cpu"), batch)]


def open_for(data: str, recipe: Recipe) -> Dataset:
    return open_data(data, recipe)


@torch.no_grad()
def split_error(model: torch.nn.Module, data: Dataset, recipe: Recipe, split: str = "test",
                batch: int = 256) -> float:
    """Top-1 error of a module on a split, in eval mode."""
    model.eval()
    wrong = count = 0
    for x, y in eval_batches(data, data.split(split), recipe, Sharding(0, 1), torch.device("cpu"), batch):
        wrong += int((model(x).argmax(1) != y).sum())
        count += len(y)
    return wrong / count
