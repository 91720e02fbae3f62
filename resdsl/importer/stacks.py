"""Maps stacked along a new axis, as selective kernels compute their attention across paths
(timm's SelectiveKernel): `torch.stack(paths, 1)`, its `.sum(1)`, a pooled vector viewed as
(paths, C) and softmaxed across the paths, the stack times those weights, summed again. The
language has no such axis; it says the same with one value a path: the sum is `add`, the softmax
across paths is `softmax groups: k` followed by a `split k, i` a path, the product is one `mul`
a path. ResNeSt's split attention (timm's SplitAttn) makes its paths by viewing one map as
(k, C/k, h, w) (`split k, i` a path) and softmaxes across them with RadixSoftmax's view (1, k,
C/k), transpose(1, 2), softmax(1), flattened and viewed back as a map (or a (k, C/k) view):
`softmax groups: k` too. ShuffleNet's shuffle is a view on such an axis too:
`x.view(n, g, c // g, h, w)`, `.transpose(1, 2)`, viewed back as a map, is `channel_shuffle g`.

A stack is kept as the layers it holds; only the calls above read one. Any other use of a
stacked value is not said (the trace reports it).
"""

from __future__ import annotations

import operator
from typing import Any, cast

import torch
from torch import fx

from .optable import attribute_args

_STACK = {torch.stack, "stack"}
_SUM = {torch.sum, "sum"}
_SOFTMAX = {torch.softmax, torch.nn.functional.softmax, "softmax"}
_VIEW = {"view", "reshape", torch.reshape}
_MUL = {operator.mul, torch.mul, "mul"}
_PERMUTE = {torch.permute, "permute"}
_TRANSPOSE = {torch.transpose, "transpose"}
_CONTIGUOUS = {"contiguous"}
_FLATTEN = {torch.flatten, "flatten"}


class Stacks:
    def __init__(self, reader: Any):  # trace._Reader: its values, layers and naming
        self.reader = reader
        self.layers: dict[fx.Node, list[str]] = {}  # a stack -> the layer of each of its items
        self.grouped: dict[fx.Node, tuple[str, int]] = {}  # a map viewed as (k, C/k, ...) -> (it, k)
        self.last: dict[fx.Node, str] = {}  # a map permuted channels-last -> the map's layer
        self.shuffled: dict[fx.Node, tuple[str, int]] = {}  # such a view with its axes swapped
        # a (C, 1, 1) vector viewed as (1, k, C/k) (RadixSoftmax) -> (its layer, k, step): 0 viewed,
        # 1 transposed to (k, 1, C/k); then softmaxed across k and flattened: the softmax's layer
        self.radix: dict[fx.Node, tuple[str, int, int]] = {}

    def read(self, node: fx.Node) -> bool:
        """Read `node` if it makes or uses a stack or a view of one; False where it does neither."""
        return self._stacked(node) or self._viewed(node) or self._radix(node) or self._permuted(node)

    def _stacked(self, node: fx.Node) -> bool:
        target, args = node.target, cast(Any, node.args)
        if target in _STACK and _dim(node, 1) == 1 and isinstance(args[0], (list, tuple)):
            items = [self.reader.values.get(a) for a in args[0]]
            if all(isinstance(i, str) for i in items) and len(_shape(node)) == 4:
                self.layers[node] = [str(i) for i in items]
                return True
        first = args[0] if args else None
        if target in _SUM and self._has_items(first) and _dim(node, 1) in (1, -4):
            self._add(node, self._items(node, first))
            return True
        if target in _SOFTMAX and first in self.grouped and _dim(node, 1) == 1:
            self._softmax(node, *self.grouped[first])
            return True
        if target in _MUL and len(args) == 2 and all(self._has_items(a) for a in args):
            left, right = (self._items(node, a) for a in args)
            if len(left) == len(right):
                self.layers[node] = [self._made(node, "mul", {}, [a, b]) for a, b in zip(left, right)]
                return True
        return False

    def _viewed(self, node: fx.Node) -> bool:
        target, args = node.target, cast(Any, node.args)
        first = args[0] if args else None
        if target in _VIEW and first in self.reader.values and len(_shape(node)) == 4:
            source = self.reader.values[first]
            channels = self.reader.out.layers[source].out_shape
            k = _shape(node)[0]
            if channels and channels[0] % k == 0 and _shape(node)[1:] == (channels[0] // k, *channels[1:]):
                self.grouped[node] = (source, k)
                return True
        if target in _TRANSPOSE and first in self.grouped and sorted(args[1:3]) == [1, 2]:
            self.shuffled[node] = self.grouped[first]  # ShuffleNet's view, transpose(1, 2), view
            return True
        if target in _CONTIGUOUS and first in self.shuffled:
            self.shuffled[node] = self.shuffled[first]
            return True
        if target in _VIEW | _FLATTEN and first in self.shuffled:
            source, k = self.shuffled[first]
            if _shape(node) == self.reader.out.layers[source].out_shape:
                self.reader.values[node] = self._made(node, "channel_shuffle", {"groups": k}, [source])
                return True
        return False

    def _has_items(self, value: Any) -> bool:
        return value in self.layers or value in self.grouped

    def _items(self, node: fx.Node, value: Any) -> list[str]:
        """A stack's layers; a map viewed as (k, C/k, ...): its k parts (`split k, i`), once."""
        if value not in self.layers:
            source, k = self.grouped[value]
            self.layers[value] = [self._made(node, "split", {"parts": k, "index": i}, [source])
                                  for i in range(k)]
        return self.layers[value]

    def _radix(self, node: fx.Node) -> bool:
        """RadixSoftmax of one cardinality: view (1, k, C/k), transpose(1, 2), softmax(1),
        reshape to (C,), view as (C, 1, 1): `softmax groups: k` on the (C, 1, 1) map."""
        target, args, shape = node.target, cast(Any, node.args), _shape(node)
        first = args[0] if args else None
        if target in _VIEW and first in self.reader.values and len(shape) == 3 and shape[0] == 1:
            source = self.reader.values[first]
            channels = self.reader.out.layers[source].out_shape
            if channels == (shape[1] * shape[2], 1, 1):
                self.radix[node] = (source, shape[1], 0)
                return True
        if target in _VIEW and first in self.reader.values and len(shape) == 2:
            source = self.reader.values[first]  # viewed as (k, C/k) at once: transposed already
            if self.reader.out.layers[source].out_shape == (shape[0] * shape[1], 1, 1):
                self.radix[node] = (source, shape[0], 1)
                return True
        if first not in self.radix:
            return False
        source, k, step = self.radix[first]
        if step == 0 and target in _TRANSPOSE and sorted(args[1:3]) == [1, 2]:
            self.radix[node] = (source, k, 1)
        elif step == 1 and target in _SOFTMAX and _dim(node, 1) == 1:
            weights = self._made(node, "softmax", {"groups": k}, [source])
            self.radix[node] = (weights, k, 2)
        elif step == 2 and target in _VIEW | _FLATTEN and len(shape) == 1:
            self.radix[node] = (source, k, 3)  # flattened: the same values, in the same order
        elif step == 3 and target in _VIEW and shape == self.reader.out.layers[source].out_shape:
            self.reader.values[node] = source  # viewed back as the map it is
        elif step == 2 and target in _VIEW and len(shape) == 4 and shape[0] == k:
            self.grouped[node] = (source, k)  # viewed as its k paths: (k, C/k, 1, 1)
        else:
            return False
        return True

    def _permuted(self, node: fx.Node) -> bool:
        first: Any = node.args[0] if node.args else None
        if node.target in _PERMUTE and _dims(node) == [0, 2, 3, 1] and first in self.reader.values:
            self.last[node] = self.reader.values[first]  # channels-last: the same map here
            return True
        if node.target in _PERMUTE and _dims(node) == [0, 3, 1, 2] and first in self.last:
            self.reader.values[node] = self.last[first]
            return True
        act = self.reader.elementwise(node) if first in self.last else None
        if act:  # an activation keeps the layout
            self.last[node] = self._made(node, act, {}, [self.last[first]])
            return True
        return False

    def module(self, node: fx.Node, module: torch.nn.Module) -> bool:
        """A module reading a channels-last map (ConvNeXt's block between its permutes): its
        LayerNorm is `layernorm` and its Linear `linear` on the map, under the module's path."""
        first: Any = node.args[0] if node.args else None
        if first not in self.last:
            return False
        op = "layernorm" if isinstance(module, torch.nn.LayerNorm) else \
            "linear" if isinstance(module, torch.nn.Linear) else self.reader.elementwise(node)
        if not op:
            return False
        source = self.last[first]
        args = attribute_args(op, module, self.reader.out.layers[source].out_shape) or {}
        shape = self.reader.out.layers[source].out_shape
        if op == "linear":
            shape = (args["out"], *shape[1:])
        path = str(node.target)
        if op in ("layernorm", "linear"):
            self.reader._layer(node, op, args, path, module=True, inputs=[source], shape=shape)
        else:
            scope = path.rpartition(".")[0]
            self.reader._layer(node, op, {}, self.reader._unnamed(scope, op), module=False,
                               scope=scope, inputs=[source], shape=shape)
        self.last[node] = self.reader.values.pop(node)
        return True

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


def _dims(node: fx.Node) -> list[int]:
    given = node.args[1:] if len(node.args) > 2 else node.args[1] if len(node.args) > 1 else \
        node.kwargs.get("dims", ())
    return [int(d) for d in given] if isinstance(given, (list, tuple)) else []


def _dim(node: fx.Node, position: int) -> object:
    return node.kwargs.get("dim", node.args[position] if len(node.args) > position else None)


def _shape(node: fx.Node) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta")
    return tuple(meta.shape[1:]) if meta is not None and hasattr(meta, "shape") else ()


def _scope(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return str(next(reversed(stack))).partition("@")[0] if stack else ""
