"""`resdsl eval --ten-crop` and `--scales`: errors of trained weights under the paper's testing
(sec. 3.4), on a split of `digits`, `cifar10:PATH` or `folder:PATH`.

Order matters for `--scales`: the network's graph is built at every scale first, from the source
alone, and a scale it cannot take is reported at the layer that fails, before any image is read.
Images come at their own size (a folder's files as they are, resized per image), normalised as
training normalised them; ten-crop resizes each image's shorter side to `resize` (by default the
network's input side x 8/7, the paper's 256 for 224) and crops the network's input size.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Iterator

import networkx as nx
import torch

from ..analysis.allocation import check_activations
from ..core.errors import ResdslError
from ..targets import Chosen, choose
from .scales import graphs_at_scales

# the channels each data kind gives, known without reading it (for the scale check)
_CHANNELS = {"digits": 1, "cifar10": 3, "folder": 3}
HOW = "-n NAME or FILE:NAME"  # how to choose one network of several, on the command line


def check_scales(target: str | Chosen, data: str, recipe, scales: list[int], network: str | None = None,
                 input_shape=None, params: dict | None = None) -> dict[int, nx.DiGraph]:
    """The graph at each scale, or the diagnostics of every scale the network cannot take;
    reads the network's source only."""
    chosen = choose(target, network, how=HOW)
    graph = chosen.graph(input_shape, params)
    channels = _CHANNELS.get(data.partition(":")[0]) if recipe["data.input"] == "data" else None
    if input_shape is None and channels is not None and channels != graph.graph["input"][0]:
        graph = chosen.graph((channels, *graph.graph["input"][1:]), params)
    return graphs_at_scales(graph, lambda shape: chosen.graph(shape, params), scales)


class ViewError(ResdslError):
    code = "E937"


VIEW_BATCH = 64  # images a view is computed for at once (in-memory data)


def check_resize(graph: nx.DiGraph, resize: int | None) -> None:
    """--ten-crop --resize N: the crops must fit in the resized image, and the resized batch in
    the activation limit (a float32 image of N x N per image), before any image is read."""
    from ..core.errors import LimitError
    from ..core.limits import LIMITS

    channels, height, width = graph.graph["input"]
    if resize is None:
        return
    if resize < min(height, width):
        raise ViewError(f"--resize {resize} is smaller than the crops of {height}x{width} "
                         f"network '{graph.graph['name']}' takes", graph.graph.get("span"),
                        hint=f"give --resize {min(height, width)} or more")
    needed = VIEW_BATCH * channels * resize * resize * 4
    if resize > LIMITS.spatial or needed > LIMITS.activation_bytes:
        raise LimitError(f"--resize {resize} makes images of {resize}x{resize} or more: {needed:,} bytes "
                         f"for a batch of {VIEW_BATCH}, over the limit of {LIMITS.activation_bytes:,}",
                         graph.graph.get("span"), code="E609",
                         hint="give a smaller --resize, or raise the limit with RESDSL_MAX_ACTIVATION_BYTES")


def native_batches(data, split, batch: int = 64) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """A split at the images' own size, normalised: in-memory data in batches, a folder's files
    one at a time (their sizes differ)."""
    mean = torch.tensor(data.mean).view(1, -1, 1, 1)
    std = torch.tensor(data.std).view(1, -1, 1, 1)
    if split.images is not None:
        for start in range(0, len(split), batch):
            x = split.images[start:start + batch].float() / data.scale
            yield (x - mean) / std, split.labels[start:start + batch]
        return
    from PIL import Image

    for path, label in zip(split.files, split.labels.tolist()):
        with Image.open(path) as img:
            rgb = img.convert("RGB")
        pixels = torch.frombuffer(bytearray(rgb.tobytes()), dtype=torch.uint8)
        x = pixels.view(rgb.height, rgb.width, 3).permute(2, 0, 1).float().div_(255)[None]
        yield (x - mean) / std, torch.tensor([label])


def view_errors(model: torch.nn.Module, graph: nx.DiGraph, batches, *, ten_crop: bool = False,
                scales: list[int] | None = None, resize: int | None = None) -> dict[str, Any]:
    """Top-1 and top-5 error of a module (compiled from `graph`, eval mode) under ten-crop or
    multi-scale testing."""
    from .views import fully_convolutional, multi_scale_logits, resized, ten_crop_logits

    size = tuple(graph.graph["input"][1:])
    resize = resize or math.ceil(min(size) * 8 / 7)
    model.eval()
    network = fully_convolutional(graph, model) if scales else None
    wrong1 = wrong5 = count = 0
    for x, y in batches:
        if scales:
            scores = multi_scale_logits(network, x, scales)
        elif ten_crop:
            scores = ten_crop_logits(model, resized(x, resize), size)
        else:
            with torch.no_grad():
                scores = model(x)
        top = scores.topk(min(5, scores.shape[1]), dim=1).indices
        wrong1 += int((top[:, 0] != y).sum())
        wrong5 += int((~(top == y[:, None]).any(1)).sum())
        count += len(y)
    how = (f"fully convolutional at scales {','.join(map(str, scales))}" if scales else
           f"ten crops of {'x'.join(map(str, size))} from images resized to {resize}" if ten_crop
           else "one view")
    return {"testing": how, "images": count, "top1_error": wrong1 / count,
            "top5_error": wrong5 / count}


def evaluate_views(target: str, weights: str | Path, data: str, *, split: str | None = None,
                   recipe=None, ten_crop: bool = False, scales: list[int] | None = None,
                   resize: int | None = None, network: str | None = None, input_shape=None,
                   params: dict | None = None) -> dict[str, Any]:
    """`resdsl eval --ten-crop | --scales`: the scale check, then the data, then the errors."""
    from ..core.preprocess import of_weights
    from .trained import open_for, recipe_for, trained_network

    beside = Path(weights).parent / "recipe.toml"
    chosen = recipe_for(data, recipe if recipe is not None else (beside if beside.is_file() else None))
    opened = choose(target, network, how=HOW)  # once: the scale check and the module share it
    if scales:
        graphs = check_scales(opened, data, chosen, scales, None, input_shape, params)  # before any data
        for graph in graphs.values():
            check_activations(graph, VIEW_BATCH, "testing")
    if ten_crop:
        check_resize(opened.graph(input_shape, params), resize)
    dataset = open_for(data, chosen)
    record = of_weights(weights)  # the run's normalisation, as `resdsl eval` takes it
    if record is not None:
        dataset.mean, dataset.std = list(record.mean), list(record.std)
    split = split or ("test" if data.startswith("cifar10") else "val")  # as `resdsl eval`
    graph, model = trained_network(opened, weights, dataset, chosen, input_shape=input_shape,
                                   params=params)
    result = view_errors(model, graph, native_batches(dataset, dataset.split(split), VIEW_BATCH),
                         ten_crop=ten_crop, scales=scales, resize=resize)
    return {"network": graph.graph["name"], "weights": str(weights), "split": split, **result}
