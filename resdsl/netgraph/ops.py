"""The op table: the one place an op is defined.

Each entry gives an op's arguments, its shape rule, its cost rule (multiply-adds and
parameters), its diagram label and its PyTorch builder. Builders are handed torch by the torch
backend (the `lib` argument: resdsl.torch.modules) and never import it, so `check`, `flops` and
`viz` never pay for it. Shapes are tuples: (C, H, W) for feature maps, (N,) for vectors.
"""
from __future__ import annotations

import math

from .channel_ops import CHANNEL_OPS
from .merge_ops import ADD, CONCAT, GATE, MERGE_OPS
from .opkit import (
    REQUIRED,
    Arg,
    Op,
    OpShapeError,
    Shape,
    feature_map,
    fmt,
    pair,
    size_text,
    sliding,
    window_defaults,
    window_shape,
)

__all__ = ["OPS", "ALIASES", "REQUIRED", "Arg", "Op", "OpShapeError", "Shape", "feature_map",
           "fmt", "sliding", "window_defaults", "window_shape", "source_ops", "ops_with", "ADD",
           "CONCAT", "GATE"]

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
    text = f"{size_text(a['kernel'])} conv, {a['out']}"
    if a["stride"] != (1, 1):
        text += f", /{a['stride'][0]}" if a["stride"][0] == a["stride"][1] else f", /{size_text(a['stride'])}"
    if a["groups"] > 1:
        text += f", groups {a['groups']}"
    if a.get("dilation", 1) > 1:  # selective kernels' second path: a 5x5 view from a 3x3
        text += f", dilation {a['dilation']}"
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
    weighted=True, role="conv", fresh_result=True,
    defaults=lambda a: window_defaults(a, stride_is_kernel=False),
)


# -- normalisation and activations -------------------------------------------------------------

def _bn_torch(a: dict, ins: list[Shape], lib):
    if not a["scale"]:  # no `weight` at all: nothing to train, save or load
        return lib.ShiftOnlyBatchNorm(ins[0][0], eps=a["eps"], momentum=a["momentum"])
    kind = lib.nn.BatchNorm2d if len(ins[0]) == 3 else lib.nn.BatchNorm1d
    return kind(ins[0][0], eps=a["eps"], momentum=a["momentum"])


# eps and momentum as PyTorch means them: momentum is the weight of the new batch's statistics
# (MXNet's and Keras' momentum is 1 minus it). `scale: false` fixes the scale (gamma) at 1, as
# MXNet's fix_gamma (its BatchNorm's default) and Keras' scale=False: only the shift is a
# parameter, so it counts C, not 2C, and the module has no `weight` (MXNet stores a gamma it
# never uses; a converted checkpoint drops it).
BN = Op("bn", "batch normalization (a scale and a shift per channel)",
        args=(Arg("eps", "float", 1e-5, doc="added to the variance"),
              Arg("momentum", "float", 0.1, doc="weight of each batch in the running statistics, "
                  "as PyTorch's (1 - MXNet's momentum)"),
              Arg("scale", "bool", True, doc="a learned scale; false fixes it at 1 (MXNet's "
                  "fix_gamma)")),
        params=lambda a, s, o: (2 if a["scale"] else 1) * s[0][0],
        label=lambda a: "BN" if a["scale"] else "BN, no scale", torch=_bn_torch,
        role="norm", fresh_result=True, decay=False)


def _gn_shape(a: dict, ins: list[Shape]) -> Shape:
    if ins[0][0] % a["groups"]:
        raise OpShapeError(f"groupnorm with {a['groups']} groups needs channels divisible by "
                           f"{a['groups']}, not {ins[0][0]}", hint="give 'groups' a divisor")
    return ins[0]


GROUPNORM = Op("groupnorm", "group normalization (Wu & He 2018): statistics over groups of "
               "channels, a scale and a shift per channel",
               args=(Arg("groups", "int", 32, doc="channel groups"), Arg("eps", "float", 1e-5)),
               shape=_gn_shape, params=lambda a, s, o: 2 * s[0][0],
               label=lambda a: f"GN /{a['groups']}",
               torch=lambda a, s, lib: lib.nn.GroupNorm(a["groups"], s[0][0], eps=a["eps"]),
               role="norm", fresh_result=True, decay=False)


def _activation(name: str, label: str, doc: str) -> Op:
    # torch functions, not modules: nothing to save, and a call costs less than a module's
    def build(a: dict, ins: list[Shape], lib):
        return getattr(lib.torch, name)

    def build_inplace(a: dict, ins: list[Shape], lib):
        return getattr(lib.torch, name + "_")

    return Op(name, doc, label=lambda a: label, torch=build, torch_inplace=build_inplace,
              role="activation")


RELU = _activation("relu", "ReLU", "rectified linear unit")  # labelled as papers write it
SIGMOID = _activation("sigmoid", "Sigmoid", "logistic sigmoid")


def _functional(name: str, label: str, doc: str) -> Op:
    """An activation of torch.nn.functional (the generated forward calls it there)."""
    return Op(name, doc, label=lambda a: label, torch=lambda a, s, lib: getattr(lib.F, name),
              role="activation")


RELU6 = _functional("relu6", "ReLU6", "min(max(x, 0), 6) (MobileNetV2)")
SILU = _functional("silu", "SiLU", "x * sigmoid(x), also called swish (EfficientNet)")
HARDSWISH = _functional("hardswish", "h-swish", "x * relu6(x + 3) / 6 (MobileNetV3)")
HARDSIGMOID = _functional("hardsigmoid", "h-sigmoid", "relu6(x + 3) / 6 (MobileNetV3)")
GELU = _functional("gelu", "GELU", "x * Phi(x), Phi the normal distribution function")
ELU = _functional("elu", "ELU", "x where x > 0, exp(x) - 1 elsewhere (DPN's last activation)")


# -- pooling -----------------------------------------------------------------------------------

def _pool(name: str, module: str, doc: str, global_ok: bool) -> Op:
    average = module == "AvgPool2d"

    def shape(a: dict, ins: list[Shape]) -> Shape:
        c, h, w = feature_map(ins[0], name)
        if a["kernel"] is None:
            return (c, 1, 1)
        return window_shape(name, c, h, w, a)

    def label(a: dict) -> str:
        if a["kernel"] is None:
            return "global avg pool"
        text = f"{size_text(a['kernel'])} {name[:3]} pool"
        return text + (f", /{a['stride'][0]}" if a["stride"] != (1, 1) else "")

    def build(a: dict, ins: list[Shape], lib):
        if a["kernel"] is None:
            return lib.nn.AdaptiveAvgPool2d((1, 1))
        extra = {"count_include_pad": a["include_pad"]} if average else {}
        return getattr(lib.nn, module)(a["kernel"], stride=a["stride"], padding=a["padding"],
                                       ceil_mode=a["ceil"], **extra)

    def defaults(a: dict) -> dict:
        if a["kernel"] is None:
            return a
        if average and a["padding"] is None:
            a = {**a, "padding": 0}  # PyTorch's (and Caffe's) default: `avgpool 7x7` shrinks 7x7 to 1x1
        return window_defaults(a, stride_is_kernel=True)

    args: tuple[Arg, ...] = (Arg("kernel", "size", None if global_ok else REQUIRED),
                             Arg("stride", "size", None), Arg("padding", "size", None),
                             Arg("ceil", "bool", False))
    if average:  # padded cells count in the average, as PyTorch's count_include_pad
        args += (Arg("include_pad", "bool", True, doc="padded zeros count in the average"),)
    return Op(name, doc, args=args, shape=shape, label=label, torch=build, defaults=defaults,
              role="pool")


# maxpool keeps the size at stride 1 by default (torchvision's `maxpool 3x3, stride: 2` pads 1);
# avgpool pads nothing unless asked, as PyTorch and Caffe
MAXPOOL = _pool("maxpool", "MaxPool2d", "max pooling (stride defaults to the kernel size)", False)
AVGPOOL = _pool("avgpool", "AvgPool2d", "average pooling; without a kernel, global average pooling", True)


def _adaptive_shape(a: dict, ins: list[Shape]) -> Shape:
    c = feature_map(ins[0], "adaptive_avgpool")[0]
    return (c, *a["size"])


# AlexNet's and VGG's pool before the classifier: the map averaged to a fixed size whatever the
# input's (identity where it already has that size, as at 224x224)
ADAPTIVE_AVGPOOL = Op("adaptive_avgpool", "average pooling to a fixed output size (nn.AdaptiveAvgPool2d)",
                      args=(Arg("size", "size", doc="the output's height x width"),),
                      shape=_adaptive_shape, label=lambda a: f"adaptive avg pool {size_text(a['size'])}",
                      torch=lambda a, s, lib: lib.nn.AdaptiveAvgPool2d(a["size"]), role="pool",
                      defaults=lambda a: {**a, "size": pair(a["size"])})


# -- classifier --------------------------------------------------------------------------------

def _fc_torch(a: dict, ins: list[Shape], lib):
    return lib.nn.Linear(math.prod(ins[0]), a["out"], bias=a["bias"])


FC = Op("fc", "fully connected layer; a feature map is flattened first",
        args=(Arg("out", "int", doc="output features"), Arg("bias", "bool", True)),
        shape=lambda a, s: (a["out"],),
        macs=lambda a, s, o: math.prod(s[0]) * a["out"],
        params=lambda a, s, o: math.prod(s[0]) * a["out"] + (a["out"] if a["bias"] else 0),
        label=lambda a: f"fc {a['out']}", torch=_fc_torch, weighted=True, flattens=True,
        role="linear", fresh_result=True)


FLATTEN = Op("flatten", "a feature map as a vector (timm's 1x1-conv classifiers end with it)",
             shape=lambda a, s: (math.prod(s[0]),), label=lambda a: "flatten",
             torch=lambda a, s, lib: lib.nn.Flatten(), role="shape")


def _dropout_torch(a: dict, ins: list[Shape], lib):
    return lib.nn.Dropout(a["p"])


def _dropout_shape(a: dict, ins: list[Shape]) -> Shape:
    if not 0 <= a["p"] <= 1:  # torch's nn.Dropout refuses any other p
        raise OpShapeError(f"dropout's 'p' is the probability of zeroing an element, from 0 to 1, "
                           f"not {a['p']:g}", hint="give a rate such as 0.5")
    return ins[0]


DROPOUT = Op("dropout", "dropout (training only)", args=(Arg("p", "float", 0.5),),
             shape=_dropout_shape, label=lambda a: f"dropout {a['p']}", torch=_dropout_torch,
             role="regularizer")


# -- made by the compiler ----------------------------------------------------------------------

def _pad_shape(a: dict, ins: list[Shape]) -> Shape:
    c, h, w = feature_map(ins[0], "zero-padding shortcut")
    s = a["stride"]
    return (a["out"], -(-h // s), -(-w // s))


def _pad_torch(a: dict, ins: list[Shape], lib):
    return lib.ZeroPadShortcut(a["stride"], a["out"] - ins[0][0])


INPUT = Op("input", "the network's input", args=(Arg("shape", "shape"),),
           shape=lambda a, s: tuple(a["shape"]), label=lambda a: f"input {fmt(tuple(a['shape']))}",
           arity=0, internal=True, role="input")
PAD_SHORTCUT = Op("pad_shortcut", "option A: strided subsampling and zero-padded channels, no parameters",
                  args=(Arg("stride", "int"), Arg("out", "int")), shape=_pad_shape,
                  label=lambda a: f"pad to {a['out']}" + (f", /{a['stride']}" if a["stride"] > 1 else ""),
                  torch=_pad_torch, internal=True, role="shortcut")


OPS: dict[str, Op] = {op.name: op for op in (
    INPUT, CONV, BN, GROUPNORM, RELU, SIGMOID, RELU6, SILU, HARDSWISH, HARDSIGMOID, GELU, ELU,
    MAXPOOL, AVGPOOL, ADAPTIVE_AVGPOOL, FC, FLATTEN, DROPOUT, PAD_SHORTCUT) + MERGE_OPS + CHANNEL_OPS}

# Names from other frameworks, for "did you mean".
ALIASES = {
    "conv2d": "conv", "convolution": "conv", "batchnorm": "bn", "batchnorm2d": "bn",
    "batch_norm": "bn", "dense": "fc", "maxpool2d": "maxpool",
    "max_pool": "maxpool", "avgpool2d": "avgpool", "avg_pool": "avgpool", "gap": "avgpool",
    "adaptiveavgpool2d": "adaptive_avgpool", "cat": "concat", "sum": "add", "plus": "add",
    "swish": "silu", "hswish": "hardswish", "hard_swish": "hardswish", "hsigmoid": "hardsigmoid",
    "hard_sigmoid": "hardsigmoid", "gn": "groupnorm", "group_norm": "groupnorm",
    "multiply": "mul", "prod": "mul", "chunk": "split", "leakyrelu": "leaky_relu",
    "layer_norm": "layernorm", "channelshuffle": "channel_shuffle", "shuffle": "channel_shuffle",
    "narrow": "slice", "gamma": "layer_scale", "layerscale": "layer_scale",
}

# Names close to an op that computes something else: "did you mean 'conv'?" for conv1d or
# "'relu'?" for prelu would change the network, so these are told what exists instead.
UNLIKE = {
    "conv1d": "conv is a 2-D convolution", "conv3d": "conv is a 2-D convolution",
    "convtranspose2d": "there is no transposed convolution", "deconv": "there is no transposed convolution",
    "prelu": "there is no learned activation", "selu": "there is no SELU",
    "celu": "there is no CELU", "mish": "there is no mish", "tanh": "there is no tanh",
    "instancenorm": "there is no instance norm",
    "maxpool1d": "pools are 2-D", "avgpool1d": "pools are 2-D", "lrn": "there is no local response norm",
}


# Arguments other frameworks name otherwise, for the hint of an unknown argument
ARGUMENT_HINTS = {
    ("bn", "fix_gamma"): "MXNet's 'fix_gamma: true' is 'scale: false' here (the scale fixed at 1)",
    ("bn", "affine"): "'scale: false' fixes the scale at 1; the shift is always learned",
}


def ops_with(**traits) -> list[str]:
    """The ops whose entries have these traits, in the table's order: `ops_with(role="norm")`."""
    return [name for name, op in OPS.items()
            if all(getattr(op, trait) == value for trait, value in traits.items())]


def source_ops() -> list[str]:
    """Ops a user may write."""
    return sorted(name for name, op in OPS.items() if not op.internal)

