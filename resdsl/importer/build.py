"""From a module to checked text: trace, fold, compile and compare."""

from __future__ import annotations

import re
from dataclasses import dataclass

import torch
from torch import nn

from .check import Comparison, compare
from .errors import MismatchError
from .fold import fold
from .trace import trace


@dataclass
class Result:
    text: str
    comparison: Comparison


def imported_text(model: nn.Module, example: torch.Tensor, name: str, *, approximate: bool = False,
                  header: str = "") -> Result:
    name = network_name(name)
    text = fold(trace(model, example, name), header=header)
    comparison = compare(text, name, model, example)
    if comparison.differences:
        if not approximate:
            raise MismatchError(
                f"the imported {name} differs from the source: " + "; ".join(comparison.differences),
                hint="--approximate writes it anyway, with the differences as comments")
        text = "".join(f"# differs: {d}\n" for d in comparison.differences) + text
    return Result(text, comparison)


def network_name(name: str) -> str:
    """A name the language accepts for the network: `resnet50` from `torchvision.models:resnet50`."""
    word = re.sub(r"\W+", "_", name.rpartition(":")[2].split("(")[0]).strip("_") or "imported"
    return word if word[0].isalpha() else "net_" + word
