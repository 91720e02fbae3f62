"""`resdsl eval`: trained weights on a data split: top-1 and top-5 error, per-class error and
the most frequent confusions, as a dict ready for JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from . import checkpoint
from .data import describe, open_data
from .distributed import pick_device
from .network import FitError, build_model, graph_for_data
from .pipeline import Sharding, eval_batches
from .recipe import load_recipe


def default_split(data_spec: str) -> str:
    """CIFAR-10 has its test batch; digits and folders their validation split."""
    return "test" if data_spec.startswith("cifar10") else "val"


def evaluate(network: str, weights: str | Path, data: str = "digits", *, network_name: str | None = None,
             split: str | None = None, recipe: str | Path | None = None, input_shape=None,
             params: dict | None = None, device: str | None = None, batch: int = 256,
             top_confusions: int = 10) -> dict[str, Any]:
    """Errors of `weights` (a .safetensors state_dict, e.g. a run's weights.safetensors) on a
    split. `recipe` (by default the run's recipe.toml beside the weights, else the data's
    usual one) fixes the validation split and the evaluation crop."""
    from .loop import default_recipe

    weights = Path(weights)
    beside = weights.parent / "recipe.toml"
    chosen = recipe or (beside if beside.is_file() else default_recipe(data))
    resolved = load_recipe(chosen)
    dataset = open_data(data, resolved)
    split = split or default_split(data)
    part = dataset.split(split)
    graph = graph_for_data(network, network_name, dataset, resolved, input_shape=input_shape, params=params)
    model = build_model(graph, 0)
    state = checkpoint.load_weights(weights)
    try:
        model.load_state_dict(state, strict=True)
    except RuntimeError as err:
        raise FitError(f"{weights} does not fit network {graph.graph['name']}: "
                       f"{str(err).splitlines()[0]}", graph.graph.get("span"),
                       hint="evaluate the network (and --input / --param) the weights were trained as") from None
    dev = pick_device(device)
    model = model.to(dev).eval()
    classes = len(dataset.classes)
    confusion = torch.zeros(classes, classes, dtype=torch.int64)
    wrong5 = 0
    with torch.no_grad():
        for x, y in eval_batches(dataset, part, resolved, Sharding(), dev, batch):
            scores = model(x).float()
            top = scores.topk(min(5, classes), dim=1).indices
            wrong5 += int((~(top == y[:, None]).any(1)).sum())
            pairs = y.cpu() * classes + top[:, 0].cpu()
            confusion += torch.bincount(pairs, minlength=classes * classes).view(classes, classes)
    total = int(confusion.sum())
    correct = int(confusion.diag().sum())
    per_class = confusion.sum(1)
    off = confusion.clone()
    off.fill_diagonal_(0)
    flat = off.flatten()
    order = flat.argsort(descending=True)[:top_confusions]
    names = dataset.classes
    return {
        "network": graph.graph["name"],
        "weights": str(weights),
        "data": describe(dataset),
        "split": split,
        "images": total,
        "top1_error": 1 - correct / total,
        "top5_error": wrong5 / total,
        "per_class_error": {names[c]: (1 - int(confusion[c, c]) / int(per_class[c])) if per_class[c] else None
                            for c in range(classes)},
        "confusions": [{"true": names[int(i) // classes], "predicted": names[int(i) % classes],
                        "count": int(flat[i])} for i in order if flat[i] > 0],
        "confusion_matrix": confusion.tolist() if classes <= 100 else None,
    }
