"""`resdsl eval`: trained weights on a data split: top-1 and top-5 error, per-class error and
the most frequent confusions, as a dict ready for JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ..core.preprocess import Preprocess, of_weights
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
    """Errors of `weights` (a .safetensors state_dict, e.g. a run's weights.safetensors, or the run
    folder) on a split. `recipe` (by default the run's recipe.toml beside the weights, else the data's
    usual one) fixes the validation split and the evaluation crop; the run's preprocess.json
    beside the weights (core/preprocess.py), when there is one, the normalisation and crop."""
    from .loop import default_recipe

    weights = Path(weights)
    if weights.is_dir():  # a run folder: its final weights
        weights = weights / "weights.safetensors"
    beside = weights.parent / "recipe.toml"
    chosen = recipe or (beside if beside.is_file() else default_recipe(data))
    record = of_weights(weights)
    resolved = load_recipe(chosen, _as_recipe(record))
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
    # (true, predicted) pairs counted sparsely: 30,000 classes must not ask for a 30,000^2 matrix
    pairs: dict[int, int] = {}
    wrong5 = 0
    with torch.no_grad():
        for x, y in eval_batches(dataset, part, resolved, Sharding(), dev, batch):
            scores = model(x).float()
            top = scores.topk(min(5, classes), dim=1).indices
            wrong5 += int((~(top == y[:, None]).any(1)).sum())
            found, counts = torch.unique(y.cpu() * classes + top[:, 0].cpu(), return_counts=True)
            for pair, count in zip(found.tolist(), counts.tolist()):
                pairs[pair] = pairs.get(pair, 0) + count
    report = _report(graph.graph["name"], weights, dataset, split, pairs, wrong5, top_confusions)
    return {**report, "preprocess": record.to_json() if record is not None else None}


def _as_recipe(record: Preprocess | None) -> dict[str, Any]:
    """A preprocessing record as the recipe keys the evaluation reads (they replace the recipe's)."""
    if record is None:
        return {}
    keys = {"augment.mean": list(record.mean), "augment.std": list(record.std),
            "augment.crop": record.crop, "augment.eval_crop": record.crop,
            "augment.eval_resize": record.resize}
    return {key: value for key, value in keys.items() if value is not None}


def _report(network: str, weights: Path, dataset, split: str, pairs: dict[int, int], wrong5: int,
            top_confusions: int) -> dict[str, Any]:
    names = dataset.classes
    classes = len(names)
    total = sum(pairs.values())
    if total == 0:
        from .data import DataError

        raise DataError(f"{dataset.spec}: the '{split}' split has no images to evaluate")
    per_class = [0] * classes
    right = [0] * classes
    for pair, count in pairs.items():
        true, predicted = divmod(pair, classes)
        per_class[true] += count
        right[true] += count if true == predicted else 0
    confused = sorted(((count, pair) for pair, count in pairs.items() if pair // classes != pair % classes),
                      key=lambda item: (-item[0], item[1]))[:top_confusions]
    matrix = None
    if classes <= 100:
        matrix = [[0] * classes for _ in range(classes)]
        for pair, count in pairs.items():
            matrix[pair // classes][pair % classes] = count
    return {
        "network": network,
        "weights": str(weights),
        "data": describe(dataset),
        "split": split,
        "images": total,
        "top1_error": 1 - sum(right) / total,
        "top5_error": wrong5 / total,
        "per_class_error": {names[c]: (1 - right[c] / per_class[c]) if per_class[c] else None
                            for c in range(classes)},
        "confusions": [{"true": names[pair // classes], "predicted": names[pair % classes], "count": count}
                       for count, pair in confused],
        "confusion_matrix": matrix,
    }
