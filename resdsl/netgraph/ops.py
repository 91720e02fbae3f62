"""The op table: the one place an op is defined.

Each entry gives an op's arguments, its shape rule, its cost rule (multiply-adds and
parameters), its diagram label and its PyTorch builder. Builders are handed torch by the torch
backend (the `lib` argument: resdsl.torch.modules) and never import it, so `check`, `flops` and
`viz` never pay for it. Shapes are tuples: (C, H, W) for feature maps, (N,) for vectors.
"""

from __future__ import annotations

import math
import operator
from dataclasses import dataclass, field
from typing import Any, Callable

Shape = tuple[int, ...]
REQUIRED = object()


class OpShapeError(Exception):
    """A shape rule's complaint; the elaborator attaches the layer's span."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str  # int | float | rate (a float or linear_decay(p)) | bool | size (int or HxW) | symbol (a bare word)
    default: Any = REQUIRED
    doc: str = ""


@dataclass(frozen=True)
class Op:
    name: str
    doc: str
    args: tuple[Arg, ...] = ()
    shape: Callable[[dict, list[Shape]], Shape] = lambda a, s: s[0]
    macs: Callable[[dict, list[Shape], Shape], int] = lambda a, s, o: 0
    params: Callable[[dict, list[Shape], Shape], int] = lambda a, s, o: 0
    label: Callable[[dict], str] = None  # type: ignore[assignment]
    # (args, in_shapes, lib) -> a module or function; `lib` is resdsl.torch.modules (torch, nn, F and
    # our own modules), passed in so that the op table never imports torch
    torch: Callable[[dict, list[Shape], Any], Any] | None = None
    # the same, overwriting its input; the torch backend uses it where nothing else reads that
    torch_inplace: Callable[[dict, list[Shape], Any], Any] | None = None
    flattens: bool = False  # the torch backend flattens a feature-map input to a vector first
    arity: int = 1  # inputs; 0 for the input placeholder, -1 for "two or more"
    internal: bool = False  # made by the compiler (shortcuts, input), not written in source
    weighted: bool = False  # counts towards a network's depth ("34-layer"), as convs and fcs do
    ports: tuple[str, ...] = ()  # a merge's inputs in order: "residual" (the branch), "shortcut"
    residual: bool = False  # a residual merge: the shortcut policy shapes its shortcut
    defaults: Callable[[dict], dict] = field(default=lambda a: a)

    def arg(self, name: str) -> Arg | None:
        return next((a for a in self.args if a.name == name), None)

    def describe(self, args: dict) -> str:
        return self.label(args) if self.label else self.name


# -- shape helpers -----------------------------------------------------------------------------

def feature_map(shape: Shape, op: str) -> tuple[int, int, int]:
    if len(shape) != 3:
        raise OpShapeError(f"{op} needs a feature map CxHxW but gets a vector of {shape[0]}",
                           hint="put spatial layers before 'avgpool' and 'fc'")
    return shape  # type: ignore[return-value]


def sliding(size: int, kernel: int, stride: int, padding: int, dilation: int = 1,
            ceil: bool = False) -> int:
    span = size + 2 * padding - dilation * (kernel - 1) - 1
    if not ceil:
        return span // stride + 1
    out = -(-span // stride) + 1
    # as PyTorch: the last window must start inside the input or its left padding
    return out - 1 if (out - 1) * stride >= size + padding else out


def window_shape(op: str, c: int, h: int, w: int, a: dict) -> Shape:
    kh, kw = a["kernel"]
    sh, sw = a["stride"]
    ph, pw = a["padding"]
    d = a.get("dilation", 1)
    ceil = a.get("ceil", False)
    out = (sliding(h, kh, sh, ph, d, ceil), sliding(w, kw, sw, pw, d, ceil))
    if min(out) < 1:
        raise OpShapeError(
            f"{op} {kh}x{kw}, stride {sh}, padding {ph} shrinks the {h}x{w} input to nothing",
            hint="use a larger input, a smaller kernel or stride, or fewer down-sampling stages")
    return (c, *out)


def _pair(v) -> tuple[int, int]:
    return tuple(v) if isinstance(v, tuple) else (v, v)  # type: ignore[return-value]


def window_defaults(a: dict, stride_is_kernel: bool) -> dict:
    """Fill stride and padding: convs default to stride 1, pools to their kernel; padding keeps
    the size at stride 1 ('same' for odd kernels)."""
    a = dict(a)
    a["kernel"] = _pair(a["kernel"])
    if a.get("stride") is None:
        a["stride"] = a["kernel"] if stride_is_kernel else 1
    a["stride"] = _pair(a["stride"])
    if a.get("padding") is None:
        d = a.get("dilation", 1)
        a["padding"] = tuple((k - 1) // 2 * d for k in a["kernel"])
    a["padding"] = _pair(a["padding"])
    return a


def _size(t: tuple[int, int]) -> str:
    return f"{t[0]}x{t[1]}"


# -- conv --------------------------------------------------------------------------------------

def _conv_shape(a: dict, ins: list[Shape]) -> Shape:
    c, h, w = feature_map(ins[0], "conv")
    g = a["groups"]
    if c % g or a["out"] % g:
        raise OpShapeError(f"conv with groups: {g} needs channels divisible by {g}, "
                           f"but has {c} in and {a['out']} out")
    return (a["out"], *window_shape("conv", c, h, w, a)[1:])


def _conv_params(a: dict, ins: list[Shape], out: Shape) -> int:
    kh, kw = a["kernel"]
    return a["out"] * (ins[0][0] // a["groups"]) * kh * kw + (a["out"] if a["bias"] else 0)


def _conv_macs(a: dict, ins: list[Shape], out: Shape) -> int:
    kh, kw = a["kernel"]
    return math.prod(out) * (ins[0][0] // a["groups"]) * kh * kw


def _conv_label(a: dict) -> str:
    text = f"{_size(a['kernel'])} conv, {a['out']}"
    if a["stride"] != (1, 1):
        text += f", /{a['stride'][0]}" if a["stride"][0] == a["stride"][1] else f", /{_size(a['stride'])}"
    if a["groups"] > 1:
        text += f", groups {a['groups']}"
    return text


def _conv_torch(a: dict, ins: list[Shape], lib):
    return lib.nn.Conv2d(ins[0][0], a["out"], a["kernel"], stride=a["stride"], padding=a["padding"],
                     dilation=a["dilation"], groups=a["groups"], bias=a["bias"])


CONV = Op(
    "conv", "2-D convolution (no bias unless `bias: true`; padding keeps the size at stride 1)",
    args=(Arg("kernel", "size", doc="kernel size, 3x3 or 3"), Arg("out", "int", doc="output channels"),
          Arg("stride", "size", None), Arg("padding", "size", None), Arg("groups", "int", 1),
          Arg("dilation", "int", 1), Arg("bias", "bool", False)),
    shape=_conv_shape, macs=_conv_macs, params=_conv_params, label=_conv_label, torch=_conv_torch,
    weighted=True,
    defaults=lambda a: window_defaults(a, stride_is_kernel=False),
)


# -- normalisation and activations -------------------------------------------------------------

def _bn_torch(a: dict, ins: list[Shape], lib):
    return lib.nn.BatchNorm2d(ins[0][0]) if len(ins[0]) == 3 else lib.nn.BatchNorm1d(ins[0][0])


BN = Op("bn", "batch normalization (a scale and a shift per channel)",
        params=lambda a, s, o: 2 * s[0][0], label=lambda a: "BN", torch=_bn_torch)


def _activation(name: str, label: str, doc: str) -> Op:
    # torch functions, not modules: nothing to save, and a call costs less than a module's
    def build(a: dict, ins: list[Shape], lib):
        return getattr(lib.torch, name)

    def build_inplace(a: dict, ins: list[Shape], lib):
        return getattr(lib.torch, name + "_")

    return Op(name, doc, label=lambda a: label, torch=build, torch_inplace=build_inplace)


RELU = _activation("relu", "ReLU", "rectified linear unit")  # labelled as papers write it
SIGMOID = _activation("sigmoid", "Sigmoid", "logistic sigmoid")


# -- pooling -----------------------------------------------------------------------------------

def _pool(name: str, module: str, doc: str, global_ok: bool) -> Op:
    def shape(a: dict, ins: list[Shape]) -> Shape:
        c, h, w = feature_map(ins[0], name)
        if a["kernel"] is None:
            return (c, 1, 1)
        return window_shape(name, c, h, w, a)

    def label(a: dict) -> str:
        if a["kernel"] is None:
            return "global avg pool"
        text = f"{_size(a['kernel'])} {name[:3]} pool"
        return text + (f", /{a['stride'][0]}" if a["stride"] != (1, 1) else "")

    def build(a: dict, ins: list[Shape], lib):
        if a["kernel"] is None:
            return lib.nn.AdaptiveAvgPool2d((1, 1))
        extra = {"count_include_pad": False} if module == "AvgPool2d" else {}
        return getattr(lib.nn, module)(a["kernel"], stride=a["stride"], padding=a["padding"],
                                   ceil_mode=a["ceil"], **extra)

    def defaults(a: dict) -> dict:
        if a["kernel"] is None:
            return a
        return window_defaults(a, stride_is_kernel=True)

    return Op(name, doc,
              args=(Arg("kernel", "size", None if global_ok else REQUIRED), Arg("stride", "size", None),
                    Arg("padding", "size", None), Arg("ceil", "bool", False)),
              shape=shape, label=label, torch=build, defaults=defaults)


MAXPOOL = _pool("maxpool", "MaxPool2d", "max pooling (stride defaults to the kernel size)", False)
AVGPOOL = _pool("avgpool", "AvgPool2d", "average pooling; without a kernel, global average pooling", True)


# -- classifier --------------------------------------------------------------------------------

def _fc_torch(a: dict, ins: list[Shape], lib):
    return lib.nn.Linear(math.prod(ins[0]), a["out"], bias=a["bias"])


FC = Op("fc", "fully connected layer; a feature map is flattened first",
        args=(Arg("out", "int", doc="output features"), Arg("bias", "bool", True)),
        shape=lambda a, s: (a["out"],),
        macs=lambda a, s, o: math.prod(s[0]) * a["out"],
        params=lambda a, s, o: math.prod(s[0]) * a["out"] + (a["out"] if a["bias"] else 0),
        label=lambda a: f"fc {a['out']}", torch=_fc_torch, weighted=True, flattens=True)


def _dropout_torch(a: dict, ins: list[Shape], lib):
    return lib.nn.Dropout(a["p"])


def _dropout_shape(a: dict, ins: list[Shape]) -> Shape:
    if not 0 <= a["p"] <= 1:  # torch's nn.Dropout refuses any other p
        raise OpShapeError(f"dropout's 'p' is the probability of zeroing an element, from 0 to 1, "
                           f"not {a['p']:g}", hint="give a rate such as 0.5")
    return ins[0]


DROPOUT = Op("dropout", "dropout (training only)", args=(Arg("p", "float", 0.5),),
             shape=_dropout_shape, label=lambda a: f"dropout {a['p']}", torch=_dropout_torch)


# -- merges ------------------------------------------------------------------------------------

def _same_shapes(a: dict, ins: list[Shape]) -> Shape:
    first = ins[0]
    for other in ins[1:]:
        if other != first:
            raise OpShapeError(f"the residual branch gives {fmt(first)} but the shortcut gives {fmt(other)}",
                               hint="use 'shortcuts B' to project where dimensions change, or "
                                    "give the branch the shortcut's width and stride")
    return first


def _add_torch(a: dict, ins: list[Shape], lib):
    if a.get("drop"):
        return lib.DropPathAdd(a["drop"])
    return operator.add


def _concat_shape(a: dict, ins: list[Shape]) -> Shape:
    spatial = {s[1:] for s in ins}
    if any(len(s) != 3 for s in ins) or len(spatial) != 1:
        raise OpShapeError("concat needs feature maps of the same height and width, got "
                           + " and ".join(fmt(s) for s in ins))
    return (sum(s[0] for s in ins), *ins[0][1:])


def _concat_torch(a: dict, ins: list[Shape], lib):
    return lib.Concat()


_SOURCE = Arg("source", "symbol", "shortcut", doc="what to merge with: the block's shortcut")

_PROJECT_FROM = Arg("project_from", "symbol", None,
                    doc="a layer of this block that a projection shortcut reads instead of the "
                        "block's input (pre-activation nets project the normalised input)")


def _drop_rate(a: dict, ins: list[Shape]) -> Shape:
    # a schedule (linear_decay) was checked where it was written; its rates are set later
    if isinstance(a["drop"], float) and not 0 <= a["drop"] < 1:
        raise OpShapeError(f"add's 'drop' is the probability of dropping the branch, from 0 up to "
                           f"1 (excluded), not {a['drop']:g}", hint="give a rate such as 0.1")
    return _same_shapes(a, ins)


def _add_label(a: dict) -> str:
    return f"+ (drop {a['drop']:g})" if a["drop"] else "+"


ADD = Op("add", "element-wise sum of the branch and the block's shortcut; with `drop: p`, "
         "stochastic depth: in training the branch is dropped for a fraction p of the samples",
         args=(_SOURCE, Arg("drop", "rate", 0.0, doc="stochastic depth's drop probability, or "
                                                     "linear_decay(p): growing to p at the last block"),
               _PROJECT_FROM),
         shape=_drop_rate, label=_add_label, torch=_add_torch, arity=-1,
         ports=("residual", "shortcut"), residual=True)
# DenseNet's order: the block's input first, then the new features
CONCAT = Op("concat", "channel concatenation of the block's input and the branch (DenseNet)",
            args=(_SOURCE,), shape=_concat_shape, label=lambda a: "concat", torch=_concat_torch,
            arity=-1, ports=("shortcut", "residual"))


# -- squeeze-and-excitation (Hu et al. 2018) --------------------------------------------------

def _se_width(a: dict, ins: list[Shape]) -> int:
    c = feature_map(ins[0], "se")[0]
    if c // a["reduction"] < 1:
        raise OpShapeError(f"se with reduction {a['reduction']} leaves no channels of {c}",
                           hint="use a smaller reduction ratio")
    return c // a["reduction"]


def _se_shape(a: dict, ins: list[Shape]) -> Shape:
    _se_width(a, ins)
    return ins[0]


def _se_torch(a: dict, ins: list[Shape], lib):
    return lib.SqueezeExcite(ins[0][0], _se_width(a, ins))


# its two fcs (1x1 convs on the pooled vector, with bias) count; the pooling and scaling do not
SE = Op("se", "squeeze-and-excitation: global average pool, fc to C/reduction, ReLU, fc to C, "
        "sigmoid, and the channels rescaled by the result",
        args=(Arg("reduction", "int", 16, doc="the reduction ratio r"),),
        shape=_se_shape,
        macs=lambda a, s, o: 2 * s[0][0] * _se_width(a, s),
        params=lambda a, s, o: 2 * s[0][0] * _se_width(a, s) + _se_width(a, s) + s[0][0],
        label=lambda a: f"SE, /{a['reduction']}", torch=_se_torch)


# -- made by the compiler ----------------------------------------------------------------------

def _pad_shape(a: dict, ins: list[Shape]) -> Shape:
    c, h, w = feature_map(ins[0], "zero-padding shortcut")
    s = a["stride"]
    return (a["out"], -(-h // s), -(-w // s))


def _pad_torch(a: dict, ins: list[Shape], lib):
    return lib.ZeroPadShortcut(a["stride"], a["out"] - ins[0][0])


INPUT = Op("input", "the network's input", args=(Arg("shape", "shape"),),
           shape=lambda a, s: tuple(a["shape"]), label=lambda a: f"input {fmt(tuple(a['shape']))}",
           arity=0, internal=True)
PAD_SHORTCUT = Op("pad_shortcut", "option A: strided subsampling and zero-padded channels, no parameters",
                  args=(Arg("stride", "int"), Arg("out", "int")), shape=_pad_shape,
                  label=lambda a: f"pad to {a['out']}" + (f", /{a['stride']}" if a["stride"] > 1 else ""),
                  torch=_pad_torch, internal=True)


def _gate_torch(a: dict, ins: list[Shape], lib):
    return lib.HighwayGate(ins[0][0])


# the transform gate T is a 1x1 conv with bias on the shortcut: its weights and multiply-adds count
GATE = Op("gate", "highway merge: T * branch + (1 - T) * shortcut, T = sigmoid(1x1 conv of the "
          "shortcut, with bias)",
          args=(_SOURCE, _PROJECT_FROM), shape=_same_shapes,
          macs=lambda a, s, o: math.prod(s[1]) * s[1][0],
          params=lambda a, s, o: s[1][0] * s[1][0] + s[1][0],
          label=lambda a: "gate", torch=_gate_torch, arity=-1, internal=True,
          ports=("residual", "shortcut"))

OPS: dict[str, Op] = {op.name: op for op in (
    INPUT, CONV, BN, RELU, SIGMOID, MAXPOOL, AVGPOOL, FC, DROPOUT, ADD, CONCAT, SE, PAD_SHORTCUT,
    GATE)}

# Names from other frameworks, for "did you mean".
ALIASES = {
    "conv2d": "conv", "convolution": "conv", "batchnorm": "bn", "batchnorm2d": "bn",
    "batch_norm": "bn", "linear": "fc", "dense": "fc", "maxpool2d": "maxpool",
    "max_pool": "maxpool", "avgpool2d": "avgpool", "avg_pool": "avgpool", "gap": "avgpool",
    "adaptiveavgpool2d": "avgpool", "cat": "concat", "sum": "add", "plus": "add",
}


def source_ops() -> list[str]:
    """Ops a user may write."""
    return sorted(name for name, op in OPS.items() if not op.internal)


def fmt(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)
