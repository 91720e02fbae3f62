"""Testing as the paper did (sec. 3.4): ten crops, and the fully convolutional form at several
scales.

- Ten-crop ("the standard 10-crop testing", after Krizhevsky et al. 2012): the four corners and
  the centre of each image, and their horizontal flips, each of the network's input size; the
  network's score is the mean of its ten logits.
- Multi-scale: the classifier (an fc after global average pooling) is applied as a 1x1
  convolution over the last feature map, the resulting score map averaged over positions, and the
  scores averaged over the scales (images resized so their shorter side is each scale). At the
  network's own size this is exactly its ordinary output (pooling and an fc are both linear), which
  the tests check; `scales.graphs_at_scales` refuses a scale before any image is read.
"""

from __future__ import annotations

import networkx as nx
import torch
import torch.nn.functional as F
from torch import nn

from ..torch.backend import build_module
from .taps import global_head, with_outputs


def ten_crops(images: torch.Tensor, size: tuple[int, int]) -> list[torch.Tensor]:
    """Ten views of a batch (N, C, H, W): top-left, top-right, bottom-left, bottom-right, centre,
    then the same five flipped left-right; each (N, C, h, w)."""
    h, w = size
    height, width = images.shape[-2:]
    if h > height or w > width:
        raise ValueError(f"ten crops of {h}x{w} need images at least that large, got {height}x{width}")
    top, left = int(round((height - h) / 2)), int(round((width - w) / 2))  # torchvision's centre
    corners = [(0, 0), (0, width - w), (height - h, 0), (height - h, width - w), (top, left)]
    crops = [images[..., y:y + h, x:x + w] for y, x in corners]
    return crops + [crop.flip(-1) for crop in crops]


@torch.no_grad()
def ten_crop_logits(model: nn.Module, images: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """The mean of the network's logits over the ten crops of each image: (N, classes)."""
    crops = ten_crops(images, size)
    total: torch.Tensor = model(crops[0].contiguous())
    for crop in crops[1:]:
        total = total + model(crop.contiguous())
    return total / 10


class FullyConvolutional(nn.Module):
    """A network up to its last feature map, then its classifier as a 1x1 convolution whose score
    map is averaged over positions: any input size the trunk takes."""

    def __init__(self, trunk: nn.Module, fc: nn.Linear):
        super().__init__()
        self.trunk = trunk
        self.classifier = nn.Conv2d(fc.in_features, fc.out_features, 1, bias=fc.bias is not None)
        with torch.no_grad():
            self.classifier.weight.copy_(fc.weight[:, :, None, None])
            if fc.bias is not None and self.classifier.bias is not None:  # both or neither
                self.classifier.bias.copy_(fc.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        scores = self.classifier(self.trunk(x))  # (N, classes, h, w): a score per position
        return scores.mean((2, 3))


def fully_convolutional(graph: nx.DiGraph, model: nn.Module) -> FullyConvolutional:
    """The fully convolutional form of a compiled network (its weights shared by copy, its mode
    kept). The graph must end with a global average pool and an fc (`scales.graphs_at_scales`
    says so in the language's terms first)."""
    head = global_head(graph)
    if head is None:
        raise ValueError(f"network '{graph.graph['name']}' does not end with a global average pool and an fc")
    features, _, fc = head
    trunk = build_module(with_outputs(graph, [features]))
    weights = model.state_dict()
    trunk.load_state_dict({key: weights[key] for key in trunk.state_dict()})
    linear = model.get_submodule(fc)
    if not isinstance(linear, nn.Linear):
        raise ValueError(f"layer '{fc}' of network '{graph.graph['name']}' is not compiled to a linear layer")
    converted = FullyConvolutional(trunk, linear)
    return converted.train(model.training)


def resized(images: torch.Tensor, shorter: int) -> torch.Tensor:
    """Images (N, C, H, W) resized (bilinear, antialiased) so their shorter side is `shorter`."""
    height, width = images.shape[-2:]
    ratio = shorter / min(height, width)
    size = (max(shorter, round(height * ratio)), max(shorter, round(width * ratio)))
    if size == (height, width):
        return images
    return F.interpolate(images, size=size, mode="bilinear", antialias=True, align_corners=False)


@torch.no_grad()
def multi_scale_logits(network: FullyConvolutional, images: torch.Tensor,
                       scales: list[int]) -> torch.Tensor:
    """The mean over `scales` of the fully convolutional network's logits: (N, classes)."""
    total: torch.Tensor = network(resized(images, scales[0]))
    for scale in scales[1:]:
        total = total + network(resized(images, scale))
    return total / len(scales)
