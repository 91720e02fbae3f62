"""Maps stacked along a new axis, as selective kernels compute their attention across paths
(timm's SelectiveKernel): `torch.stack(paths, 1)`, its `.sum(1)`, a pooled vector viewed as
(paths, C) and softmaxed across the paths, the stack times those weights, summed again. The
language has no such axis; it says the same with one value a path: the sum is `add`, the softmax
across paths is `softmax groups: k` followed by a `split k, i` a path, the product is one `mul`
a path.

A stack is kept as the layers it holds; only the calls above read one. Any other use of a
stacked value is not said (the trace reports it).
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import torch
from torch import fx

if TYPE_CHECKING:
    from .trace import _Reader

_STACK = {torch.stack, "stack"}
_SUM = {torch.sum, "sum"}
_SOFTMAX = {torch.softmax, torch.nn.functional.softmax, "softmax"}
_VIEW = {"view", "reshape", torch.reshape}
_MUL = {operator.mul, torch.mul, "mul"}


class Stacks:
    def __init__(self, reader: "_Reader"):
        self.reader = reader
        self.layers: dict[fx.Node, list[str]] = {}  # a stack -> the layer of each of its items
        self.grouped: dict[fx.Node, tuple[str, int]] = {}  # a map viewed as (k, C/k, ...) -> (it, k)

    def read(self, node: fx.Node) -> bool:
        """Read `node` if it makes or uses a stack; False where it does neither."""
        target, args = node.target, node.args
        if target in _STACK and _dim(node, 1) == 1 and isinstance(args[0], (list, tuple)):
            items = [self.reader.values.get(a) for a in args[0]]
            if all(isinstance(i, str) for i in items) and len(_shape(node)) == 4:
                self.layers[node] = [str(i) for i in items]
                return True
        first = args[0] if args else None
        if target in _SUM and first in self.layers and _dim(node, 1) in (1, -4):
            self._add(node, self.layers[first])
            return True
        if target in _VIEW and first in self.reader.values and len(_shape(node)) == 4:
            source = self.reader.values[first]
            channels = self.reader.out.layers[source].out_shape
            k = _shape(node)[0]
            if channels and channels[0] % k == 0 and _shape(node)[1:] == (channels[0] // k, *channels[1:]):
                self.grouped[node] = (source, k)
                return True
        if target in _SOFTMAX and first in self.grouped and _dim(node, 1) == 1:
            self._softmax(node, *self.grouped[first])
            return True
        if target in _MUL and len(args) == 2 and all(a in self.layers for a in args):
            left, right = (self.layers[a] for a in args)  # type: ignore[index]
            if len(left) == len(right):
                self.layers[node] = [self._made(node, "mul", {}, [a, b]) for a, b in zip(left, right)]
                return True
        return False

    def _add(self, node: fx.Node, items: list[str]) -> None:
        made = items[0] if len(items) == 1 else self._made(node, "add", {}, items)
        self.reader.values[node] = made

    def _softmax(self, node: fx.Node, source: str, k: int) -> None:
        weights = self._made(node, "softmax", {"groups": k}, [source])
        self.layers[node] = [self._made(node, "split", {"parts": k, "index": i}, [weights])
                             for i in range(k)]

    def _made(self, node: fx.Node, op: str, args: dict, inputs: list[str]) -> str:
        reader = self.reader
        scope = _scope(node)
        shapes = [reader.out.layers[i].out_shape for i in inputs]
        shape = shapes[0][:1] + shapes[0][1:] if op != "split" else (shapes[0][0] // args["parts"], *shapes[0][1:])
        if op == "mul":
            shape = max(shapes, key=lambda s: s[1:])
        layer_id = reader._unnamed(scope, op)
        reader._layer(node, op, args, layer_id, module=False, scope=scope, inputs=inputs, shape=shape)
        reader.values.pop(node, None)  # the node is a stack: no one layer stands for it
        return layer_id


def _dim(node: fx.Node, position: int) -> object:
    return node.kwargs.get("dim", node.args[position] if len(node.args) > position else None)


def _shape(node: fx.Node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape[1:]) if meta is not None and hasattr(meta, "shape") else ()


def _scope(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return str(next(reversed(stack))).partition("@")[0] if stack else ""
