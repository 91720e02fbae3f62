"""The training loss: cross-entropy (the paper's) or binary cross-entropy (one-vs-all per class,
as "ResNet strikes back" trains), on class indices or on class probabilities (mixup, CutMix).

Label smoothing turns a target t into t * (1 - eps) + eps / classes (torch's cross_entropy does
this itself). For BCE, `loss.bce_threshold` then makes each class's target 1 where it is above
the threshold and 0 elsewhere (timm's target threshold), so a class mixed in at a small share
counts as present.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


class Loss:
    def __init__(self, recipe):
        self.kind = recipe["loss.kind"]
        self.smoothing = recipe["loss.label_smoothing"]
        self.threshold = recipe.get("loss.bce_threshold")

    def __call__(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.kind == "ce":
            return F.cross_entropy(scores, target, label_smoothing=self.smoothing)
        return self.binary(scores, target)

    def binary(self, scores: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        classes = scores.shape[1]
        if target.dim() == 1:
            target = F.one_hot(target, classes).float()
        if self.smoothing:
            target = target * (1 - self.smoothing) + self.smoothing / classes
        if self.threshold is not None:
            target = (target > self.threshold).float()
        # the mean over classes and images
        return F.binary_cross_entropy_with_logits(scores.float(), target.float())
