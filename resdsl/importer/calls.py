"""torch function calls that are an op of the table with arguments: functional pools
(`F.max_pool2d(x, 3, 2, 1)`), channel splits (`torch.split`, `chunk`, read item by item) and
channel slices (`x[:, 64:]`). A pool call is turned into the module it stands for and read back
as one, so its arguments are checked the way a module's are."""

from __future__ import annotations

import operator
from typing import Any

import torch
import torch.nn.functional as F
from torch import fx, nn

# each functional pool -> its module class and the names of the call's arguments after the input
_POOLS: dict[Any, tuple[type[nn.Module], tuple[str, ...]]] = {
    F.max_pool2d: (nn.MaxPool2d, ("kernel_size", "stride", "padding", "dilation", "ceil_mode",
                                  "return_indices")),
    F.avg_pool2d: (nn.AvgPool2d, ("kernel_size", "stride", "padding", "ceil_mode",
                                  "count_include_pad", "divisor_override")),
    F.adaptive_avg_pool2d: (nn.AdaptiveAvgPool2d, ("output_size",)),
}
_SOFTMAXES = {torch.softmax, F.softmax, "softmax"}
_SPLITS = {torch.split, torch.chunk, torch.tensor_split, "split", "chunk", "tensor_split"}


def pool_module(node: fx.Node) -> nn.Module | None:
    """The module a functional pool call computes as (`F.max_pool2d(x, 3, 2, 1)` is
    `nn.MaxPool2d(3, 2, 1)`), or None for any other call."""
    found = _POOLS.get(node.target) if node.op == "call_function" else None
    if found is None:
        return None
    cls, names = found
    given = dict(zip(names, node.args[1:]))
    given.update({k: v for k, v in node.kwargs.items() if k in names})
    if given.get("stride", None) in (None, [], ()):  # F's `stride=None` is the kernel's, as a module's
        given.pop("stride", None)
    try:
        return cls(**given)
    except TypeError:  # an argument the module has no place for
        return None


def is_softmax(node: fx.Node) -> bool:
    """`torch.softmax(x, 1)` (`F.softmax`, `x.softmax(1)`) over the channels of a map or the
    features of a vector: the table's `softmax`."""
    if node.target not in _SOFTMAXES:
        return False
    dim = node.kwargs.get("dim", node.args[1] if len(node.args) > 1 else None)
    rank = len(_meta_shape(node.args[0])) if isinstance(node.args[0], fx.Node) else 0
    return isinstance(dim, int) and rank in (2, 4) and dim % rank == 1


def is_split(node: fx.Node) -> bool:
    return node.target in _SPLITS


def channel_parts(node: fx.Node) -> list[tuple[int, int]] | None:
    """The channel ranges a split or chunk of a feature map along its channels gives, from the
    shapes its parts have; None for a split along another axis."""
    dim: Any = node.kwargs.get("dim", node.args[2] if len(node.args) > 2 else 0)
    source = node.args[0]
    rank = len(_meta_shape(source)) if isinstance(source, fx.Node) else 0
    if rank != 4 or dim % 4 != 1:
        return None
    metas = node.meta.get("tensor_meta")
    if not isinstance(metas, (tuple, list)):
        return None
    bounds, start = [], 0
    for meta in metas:
        bounds.append((start, start + int(meta.shape[1])))
        start += int(meta.shape[1])
    return bounds


def part_args(bounds: list[tuple[int, int]], index: int) -> tuple[str, dict]:
    """Part `index` of a split as an op: `split parts, index` where the parts are equal and
    cover the map, else `slice start, end`."""
    index %= len(bounds)  # `parts[-1]`: the last
    sizes = {end - start for start, end in bounds}
    if len(sizes) == 1:
        return "split", {"parts": len(bounds), "index": index}
    start, end = bounds[index]
    return "slice", {"start": start, "end": None if end == bounds[-1][1] else end}


def channel_slice(node: fx.Node) -> tuple[int, int | None] | None:
    """`x[:, a:b]` (and `x[:, a:]`, `x[:, :b]`) of a feature map: the channels it takes."""
    if node.target is not operator.getitem or not isinstance(node.args[0], fx.Node):
        return None
    index = node.args[1]
    if not isinstance(index, tuple) or len(index) < 2 or len(_meta_shape(node.args[0])) != 4:
        return None
    whole = slice(None, None, None)
    if index[0] != whole or any(i not in (whole, Ellipsis) for i in index[2:]):
        return None
    taken = index[1]
    if not isinstance(taken, slice) or taken.step not in (None, 1):
        return None
    channels = int(_meta_shape(node.args[0])[1])
    start, stop, _ = taken.indices(channels)
    if not 0 <= start < stop <= channels:
        return None
    return start, None if stop == channels else stop


def _meta_shape(node: fx.Node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape) if meta is not None and hasattr(meta, "shape") else ()
