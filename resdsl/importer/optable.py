"""The op table read backwards: which op a torch module or function computes, and its arguments.

Nothing here lists ops. Each entry's own torch builder (ops.py) is run on sample arguments, and
what it returns — a module class or a torch function — is mapped back to the entry; a function
also answers under its other spellings (`torch.relu`, `F.relu`, `x.relu()`, `nn.ReLU`). A module's
arguments are read from its attributes and checked by building the entry again from them: where
the rebuilt module prints otherwise, the language cannot say that module.
"""

from __future__ import annotations

import functools
import itertools
import operator
from dataclasses import dataclass
from typing import Any, Callable

from ..netgraph.opkit import REQUIRED, Arg
from ..netgraph.ops import OPS

# a sample of each kind of argument, to run a builder with (one value a kind, a second for bools)
_SAMPLES: dict[str, tuple[Any, ...]] = {
    "int": (4,), "int0": (0,), "float": (0.5,), "rate": (0.0, 0.1), "size": (1,), "bool": (True, False),
    "symbol": (None,), "shape": ((4, 8, 8),),
}
_SHAPE = [(4, 8, 8)]

# torch's names for an argument, where they differ from the table's
_ATTRIBUTES: dict[str, tuple[str, ...]] = {
    "kernel": ("kernel_size",), "out": ("out_channels", "out_features"),
    "groups": ("num_groups", "groups"), "ceil": ("ceil_mode",), "include_pad": ("count_include_pad",),
    "width": ("reduced",), "drop": ("p",), "size": ("output_size",),
}
# the sum also comes as an in-place sum (`out += identity`) and as torch's own functions
_MERGE_SPELLINGS = {operator.add: ("iadd", "add", "add_"), operator.mul: ("imul", "mul", "mul_")}


@dataclass(frozen=True)
class Found:
    op: str
    module: bool  # a module class (its arguments are read from it) or a function


def _variants(args: tuple[Arg, ...]) -> list[dict]:
    """Sample arguments for a builder: every combination of the bools and of the optional ones
    left out or given."""
    choices = []
    for arg in args:
        values = list(_SAMPLES.get(arg.kind, (None,)))
        if arg.default is not REQUIRED and arg.default not in values and arg.kind != "bool":
            values = [arg.default, *values]
        choices.append([(arg.name, v) for v in values])
    return [dict(combo) for combo in itertools.islice(itertools.product(*choices), 64)]


def _built(op, lib) -> list[Any]:
    made = []
    for build in (op.torch, op.torch_inplace):
        if build is None:
            continue
        for sample in _variants(op.args):
            try:
                args = op.defaults(sample)
                made.append(build(args, _SHAPE * max(op.arity, 1), lib))
            except Exception:  # a sample this op refuses (a kernel larger than the map): skip it
                continue
    return made


@functools.lru_cache(maxsize=1)
def reverse_table() -> dict[Any, Found]:
    """torch module classes and functions -> the op of the table that builds them."""
    from ..torch import modules as lib

    found: dict[Any, Found] = {}
    for op in OPS.values():
        if op.name == "input":
            continue
        for made in _built(op, lib):
            if isinstance(made, lib.nn.Module):
                found.setdefault(type(made), Found(op.name, True))
            else:
                for spelling in _spellings(made, lib):
                    found.setdefault(spelling, Found(op.name, False))
    return found


@functools.lru_cache(maxsize=None)
def ops_building(cls: Any) -> frozenset[str]:
    """Every op whose torch builder makes a module of class `cls`."""
    from ..torch import modules as lib

    return frozenset(op.name for op in OPS.values() if op.name != "input"
                     and any(type(made) is cls for made in _built(op, lib)))


def _spellings(function: Callable, lib) -> list[Any]:
    """A torch function and its other names: `torch.relu_` is `relu`, as `F.relu`, the method
    name `"relu"` and the module class `nn.ReLU`."""
    if function in _MERGE_SPELLINGS:
        names = _MERGE_SPELLINGS[function]
        return [function, *(getattr(operator, n) for n in names if hasattr(operator, n)),
                *(getattr(lib.torch, n) for n in names if hasattr(lib.torch, n)), *names]
    name = getattr(function, "__name__", "").rstrip("_")
    spelled = [function, name, name + "_"]
    for home in (lib.torch, lib.F):
        spelled += [getattr(home, n) for n in (name, name + "_") if hasattr(home, n)]
    spelled += [cls for cls in vars(lib.nn).values()
                if isinstance(cls, type) and cls.__name__.lower() == name.replace("_", "")]
    return spelled


def read_args(op_name: str, module, in_shape: tuple[int, ...], spelled: dict | None = None) -> dict | None:
    """The op's arguments that build a module computing what `module` does from an input of
    `in_shape`, or None where the table cannot make it (a padding mode, a norm without a shift);
    `spelled` (a compiled module's own arguments) where they build it too (`se width: 16` and
    `se` by its reduction alike)."""
    from ..torch import modules as lib

    op = OPS[op_name]
    args = attribute_args(op_name, module, in_shape)
    if args is None or op.torch is None:
        return None
    wanted = _signature(module)
    if spelled is not None and _built_signature(op, spelled, in_shape, lib) == wanted:
        return dict(spelled)
    if _built_signature(op, args, in_shape, lib) != wanted:
        return None
    for arg in op.args:  # the defaults where they build the same (`se` by its reduction)
        if arg.default is not REQUIRED and args.get(arg.name) != arg.default:
            simpler = {**args, arg.name: arg.default}
            if _built_signature(op, simpler, in_shape, lib) == wanted:
                args = simpler
    return args


def attribute_args(op_name: str, module, in_shape: tuple[int, ...]) -> dict | None:
    """The op's arguments as `module`'s attributes give them (`kernel_size` for `kernel`),
    unchecked; None where the op cannot say the module (a global pool to another size)."""
    args = {arg.name: _attribute(module, arg) for arg in OPS[op_name].args}
    if hasattr(module, "extra_channels"):  # option A's padding says what it adds, not its width
        args["out"] = in_shape[0] + module.extra_channels
    if op_name == "avgpool" and type(module).__name__.startswith("Adaptive"):
        if _pair(module.output_size) != (1, 1):
            return None
        args = {"kernel": None, "stride": None, "padding": None, "ceil": False, "include_pad": True}
    if op_name == "bn":
        args["scale"] = getattr(module, "weight", None) is not None
    return args


def _built_signature(op, args: dict, in_shape: tuple[int, ...], lib) -> tuple | None:
    try:
        return _signature(op.torch(op.defaults(dict(args)), [in_shape], lib))
    except Exception:
        return None


def _signature(module) -> tuple:
    """What a module computes: its class, its settings (`3` and `(3, 3)` alike) and its
    parameters' and buffers' shapes. Working in place changes no value it gives."""
    settings = {k: _plain(_listed(v)) for k, v in vars(module).items()
                if not k.startswith("_") and k not in ("training", "inplace")}
    tensors = {k: tuple(v.shape) for k, v in module.state_dict().items()}
    return type(module).__name__, sorted(settings.items(), key=str), sorted(tensors.items())


def _listed(value):
    return tuple(value) if isinstance(value, list) else value


def _attribute(module, arg: Arg):
    if arg.name == "bias":
        return getattr(module, "bias", None) is not None
    for name in (*_ATTRIBUTES.get(arg.name, ()), arg.name):
        if hasattr(module, name):
            value = getattr(module, name)
            return _pair(value) if arg.kind == "size" else _plain(value)
    return None if arg.default is REQUIRED else arg.default


def _pair(value):
    if isinstance(value, (tuple, list)):
        return tuple(value) if len(set(value)) > 1 or len(value) != 2 else (value[0], value[0])
    return (value, value)


def _plain(value):
    if isinstance(value, tuple) and len(set(value)) == 1:
        return value[0]
    return value
