"""Modules that compute an op of the table under a class of their own: a squeeze-and-excitation,
an ECA or an option-A shortcut written by hand is recognised by what it computes, and imported
whole as that op (`se`, `eca`, the zero-padding shortcut) instead of traced through; so is a
subclass of a norm the table builds, alone or with its activation (timm's `GroupNorm`,
`BatchNormAct2d`: `bn` then `relu`).

A module is recognised when the op, built from arguments its shapes, weights and attributes
suggest, has the same state_dict keys and shapes, loads the module's weights, and (followed by
the activation, where there is one) gives the same output on the input the model hands the
module. Nothing is taken on its class name.
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

import torch
from torch import nn

from ..netgraph.merge_ops import eca_kernel
from ..netgraph.opkit import REQUIRED
from ..netgraph.ops import OPS, ops_with
from .optable import Found, attribute_args, reverse_table

Shape = tuple[int, ...]
Chain = list[tuple[str, dict]]  # an op taking the module's weights, then activations


def _pad_shortcut(state: dict, ins: Shape, out: Shape) -> Iterator[dict]:
    if state or len(ins) != 3 or len(out) != 3 or ins == out or out[1] == 0:
        return
    yield {"stride": -(-ins[1] // out[1]), "out": out[0]}


def _se(state: dict, ins: Shape, out: Shape) -> Iterator[dict]:
    if set(state) != {"fc1.weight", "fc1.bias", "fc2.weight", "fc2.bias"} or ins != out:
        return
    channels, width = ins[0], int(state["fc1.weight"].shape[0])
    widths: list[dict] = [{}] if channels // 16 == width else []
    widths += [{"reduction": channels // width}] if channels % width == 0 else []
    for given in [*widths, {"width": width}]:
        for act in ("relu", "silu"):
            for gate in ("sigmoid", "hardsigmoid"):
                yield {**given, "act": act, "gate": gate}


def _eca(state: dict, ins: Shape, out: Shape) -> Iterator[dict]:
    if set(state) != {"conv.weight"} or state["conv.weight"].dim() != 3 or ins != out:
        return
    weight = state["conv.weight"]
    kernel = int(weight.shape[-1])
    if eca_kernel(ins[0]) == kernel:
        yield {"kernel": None}
    yield {"kernel": kernel}


# op -> the arguments to try for a module, simplest first
_PROPOSALS: dict[str, Callable[[dict, Shape, Shape], Iterator[dict]]] = {
    "pad_shortcut": _pad_shortcut, "se": _se, "eca": _eca}


def _chains(module: nn.Module, state: dict, ins: Shape, out: Shape) -> Iterator[Chain]:
    for name, propose in _PROPOSALS.items():
        for args in propose(state, ins, out):
            yield [(name, args)]
    base = _base_op(module)
    if base is None:
        return
    # a subclass (a norm, a linear layer): the ops of its role, by its attributes
    for op in ops_with(role=OPS[base.op].role):
        read = attribute_args(op, module, ins)
        if read is None:
            continue
        yield [(op, read)]
        for act in ops_with(role="activation"):
            if all(a.default is not REQUIRED for a in OPS[act].args):
                yield [(op, read), (act, {})]


def _base_op(module: nn.Module) -> Found | None:
    """The op of a torch class `module`'s class derives from, where the table builds that class
    or one derived from it (torchvision's LayerNorm2d and the table's both derive nn.LayerNorm)."""
    for base in type(module).__mro__[1:]:
        if base is nn.Module:
            return None
        for cls, found in reverse_table().items():
            if found.module and isinstance(cls, type) and issubclass(cls, base):
                return found
    return None


def recognised(model: nn.Module, example: torch.Tensor) -> dict[str, Chain]:
    """module path -> the ops (and their arguments) for each module of `model` that computes an op of the
    table though the table does not build its class; the outermost where they nest."""
    seen: dict[str, list[Any]] = {}
    hooks = [module.register_forward_hook(partial(_record, seen, path), with_kwargs=True)
             for path, module in model.named_modules() if path and _candidate(module)]
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(example)
    except Exception:  # the trace says why the model does not run
        return {}
    finally:
        for hook in hooks:
            hook.remove()
        model.train(was_training)
    found: dict[str, Chain] = {}
    for path in sorted(seen, key=lambda p: p.count(".")):
        if len(seen[path]) != 1 or seen[path][0] is None or any(path.startswith(f + ".") for f in found):
            continue  # called at several places, not on one tensor, or inside one recognised
        hit = _match(model.get_submodule(path), *seen[path][0])
        if hit is not None:
            found[path] = hit
    return found


def _candidate(module: nn.Module) -> bool:
    cls = type(module)
    return cls not in reverse_table() and not cls.__module__.startswith("torch.")


def _record(seen: dict, path: str, _module: nn.Module, args: tuple, kwargs: dict, output: Any) -> None:
    one = (len(args) == 1 and not kwargs and isinstance(args[0], torch.Tensor)
           and isinstance(output, torch.Tensor))
    # copies: an in-place sum or activation later in the forward changes the tensors themselves
    seen.setdefault(path, []).append((args[0].clone(), output.clone()) if one else None)


def _match(module: nn.Module, x: torch.Tensor, y: torch.Tensor) -> Chain | None:
    state = module.state_dict()
    ins, out = tuple(x.shape[1:]), tuple(y.shape[1:])
    for chain in _chains(module, state, ins, out):
        try:
            full = [(op, OPS[op].defaults({**_defaults(op), **args})) for op, args in chain]
            if _computes(full, state, x, y):
                return full
        except Exception:  # arguments this op refuses for these shapes
            continue
    return None


def _defaults(op: str) -> dict:
    return {a.name: a.default for a in OPS[op].args if a.default is not REQUIRED}


def _computes(chain: Chain, state: dict, x: torch.Tensor, y: torch.Tensor) -> bool:
    from ..torch import modules as lib

    (name, args), *after = chain
    op, ins = OPS[name], tuple(x.shape[1:])
    if tuple(op.shape(args, [ins])) != tuple(y.shape[1:]):
        return False
    build: Any = op.torch
    built = build(args, [ins], lib)
    if {k: v.shape for k, v in built.state_dict().items()} != {k: v.shape for k, v in state.items()}:
        return False
    built.load_state_dict(state)
    with torch.no_grad():
        value = built.eval()(x)
        for act, act_args in after:
            activation: Any = OPS[act].torch
            value = activation(act_args, [ins], lib)(value)
    return torch.allclose(value, y, rtol=1e-4, atol=1e-5)
