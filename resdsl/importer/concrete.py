"""torch.fx tracing that also computes each value on the example input, so that a forward may
iterate over a split (`for p, h in zip(self.paths, torch.split(x, c // 2, 1))`) and read sizes
(`n, c = x.shape[:2]`): the import is of the network at one input size, whose sizes are numbers.

A branch on a tensor's value (`if x.sum() > 0`) is still refused, as fx refuses it: taking the
branch the example takes would import a network that differs on other inputs.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import fx, nn

_MISSING = object()
# a tensor's attributes that are numbers at a fixed input size
_SIZES = ("shape", "size", "dim", "ndim", "ndimension", "numel")


class ConcreteProxy(fx.Proxy):
    """A proxy that knows its value on the example input."""

    def concrete(self) -> Any:
        return self.node.meta.get("concrete", _MISSING)

    def __iter__(self):
        value = self.concrete()
        if isinstance(value, (tuple, list)):
            return iter([self[i] for i in range(len(value))])
        return super().__iter__()

    def __len__(self) -> int:
        value = self.concrete()
        if isinstance(value, (tuple, list, torch.Tensor)):
            return len(value)
        return super().__len__()

    def __getattr__(self, name: str):
        if name in _SIZES:
            value = self.concrete()
            if isinstance(value, torch.Tensor):
                return getattr(value, name)
        return super().__getattr__(name)


class ConcreteTracer(fx.Tracer):
    """Traces `root` as fx does, computing every value on `example` as it goes."""

    def __init__(self, example: torch.Tensor):
        super().__init__()
        self.example = example
        self.running = False  # computing a value: modules run as themselves, not traced

    def call_module(self, m: nn.Module, forward, args, kwargs):
        if self.running:
            return forward(*args, **kwargs)
        return super().call_module(m, forward, args, kwargs)

    def getattr(self, attr, attr_val, parameter_proxy_cache):
        if self.running:
            return attr_val
        return super().getattr(attr, attr_val, parameter_proxy_cache)

    def proxy(self, node: fx.Node) -> fx.Proxy:
        return ConcreteProxy(node, self)

    def create_proxy(self, kind, target, args, kwargs, name=None, type_expr=None,
                     proxy_factory_fn=None):
        made = super().create_proxy(kind, target, args, kwargs, name, type_expr, proxy_factory_fn)
        self.running = True
        try:
            with torch.no_grad():
                made.node.meta["concrete"] = self._run(kind, target, args, kwargs)
        except Exception:  # a value that cannot be computed alone: the proxy stays symbolic
            pass
        finally:
            self.running = False
        return made

    def _run(self, kind: str, target: Any, args: tuple, kwargs: dict) -> Any:
        args, kwargs = fx.node.map_aggregate((args, kwargs), _value)
        if kind == "placeholder":
            return self.example
        if kind == "get_attr":
            owner, _, attr = str(target).rpartition(".")
            return getattr(self.root.get_submodule(owner), attr)
        if kind == "call_function":
            return target(*args, **kwargs)
        if kind == "call_method":
            return getattr(args[0], target)(*args[1:], **kwargs)
        if kind == "call_module":
            module: nn.Module = self.root.get_submodule(target)
            return module(*args, **kwargs)
        raise ValueError(kind)


def _value(item: Any) -> Any:
    if isinstance(item, ConcreteProxy):
        value = item.concrete()
        if value is _MISSING:
            raise LookupError(item.node.name)
        return value
    return item
