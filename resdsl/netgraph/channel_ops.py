"""Op table entries that work across the channels of each pixel: layer norms, a per-pixel linear
layer, a learned per-channel scale, channel shuffling and slicing, and the leaky ReLU. Registered
in ops.OPS; as every entry, their builders are handed torch (`lib`) and never import it.

ConvNeXt keeps its maps channels-last between a permute and its inverse; here a value is always
C x H x W, and an op over the channels of each pixel (`layernorm`, `linear`) computes what the
permuted module computes, with the same weights under the same keys.
"""

from __future__ import annotations

import math

from .opkit import Arg, Op, OpShapeError, Shape, feature_map, fmt

# -- layer norms -------------------------------------------------------------------------------

def _layernorm(name: str, maps_only: bool, doc: str) -> Op:
    def shape(a: dict, ins: list[Shape]) -> Shape:
        return feature_map(ins[0], name) if maps_only else ins[0]

    def build(a: dict, ins: list[Shape], lib):
        kind = lib.LayerNorm2d if len(ins[0]) == 3 else lib.nn.LayerNorm
        return kind(ins[0][0], eps=a["eps"])

    return Op(name, doc, args=(Arg("eps", "float", 1e-5, doc="added to the variance"),),
              shape=shape, params=lambda a, s, o: 2 * s[0][0], label=lambda a: "LN",
              torch=build, role="norm", fresh_result=True, decay=False)


# timm's LayerNorm2d: channels-first maps; `layernorm` also takes vectors (nn.LayerNorm) and, on a
# map, is what ConvNeXt's channels-last LayerNorm computes between its permutes
LAYERNORM2D = _layernorm("layernorm2d", True, "layer normalization over the channels of each "
                         "pixel of a feature map (timm's LayerNorm2d): a scale and a shift per channel")
LAYERNORM = _layernorm("layernorm", False, "layer normalization over the features of a vector, or "
                       "over the channels of each pixel of a map (a channels-last nn.LayerNorm)")


# -- a linear layer per pixel ------------------------------------------------------------------

def _linear_shape(a: dict, ins: list[Shape]) -> Shape:
    return (a["out"], *ins[0][1:])


def _linear_macs(a: dict, ins: list[Shape], out: Shape) -> int:
    return math.prod(ins[0]) * a["out"]


# ConvNeXt's pointwise layers as torchvision and timm write them (nn.Linear on channels-last
# maps): a 1x1 conv computes the same, but its weight is 4-D and would not load their 2-D one
LINEAR = Op("linear", "a linear layer over the channels of each pixel (nn.Linear on a channels-last "
            "map; on a vector, a fully connected layer): weight out x C",
            args=(Arg("out", "int", doc="output channels"), Arg("bias", "bool", True)),
            shape=_linear_shape, macs=_linear_macs,
            params=lambda a, s, o: s[0][0] * a["out"] + (a["out"] if a["bias"] else 0),
            label=lambda a: f"linear {a['out']}",
            torch=lambda a, s, lib: lib.PixelLinear(s[0][0], a["out"], bias=a["bias"]),
            weighted=True, role="linear", fresh_result=True)


# -- a learned scale per channel ---------------------------------------------------------------

def _layer_scale_shape(a: dict, ins: list[Shape]) -> Shape:
    if a["dims"] not in (1, len(ins[0])):
        raise OpShapeError(f"layer_scale's 'dims' is 1 (a vector of C, timm's gamma) or "
                           f"{len(ins[0])} (C x 1 x 1, torchvision's layer_scale), not {a['dims']}")
    return ins[0]


def _layer_scale_torch(a: dict, ins: list[Shape], lib):
    shape = (ins[0][0],) + (1,) * (a["dims"] - 1)
    return lib.nn.Parameter(lib.torch.full(shape, a["init"]))


# a bare parameter, not a module: its state_dict key is the layer's own name (`gamma`,
# `layer_scale`), with no `.weight`; registered on the block that holds it
LAYER_SCALE = Op("layer_scale", "a learned scale per channel (ConvNeXt's layer scale), a bare "
                 "parameter named as the layer: C values, or C x 1 x 1 with `dims: 3`",
                 args=(Arg("init", "float", 1e-6, doc="the starting value of every scale"),
                       Arg("dims", "int", 1, doc="1: a vector of C (timm's gamma); 3: C x 1 x 1 "
                           "(torchvision's layer_scale)")),
                 shape=_layer_scale_shape, params=lambda a, s, o: s[0][0],
                 label=lambda a: "layer scale", torch=_layer_scale_torch, role="scale",
                 fresh_result=True, decay=False)


# -- channels regrouped or selected ------------------------------------------------------------

def _shuffle_shape(a: dict, ins: list[Shape]) -> Shape:
    c = feature_map(ins[0], "channel_shuffle")[0]
    if c % a["groups"]:
        raise OpShapeError(f"channel_shuffle with {a['groups']} groups needs channels divisible "
                           f"by {a['groups']}, not {c}")
    return ins[0]


# ShuffleNet's shuffle: the channels as groups x C/groups, transposed (nn.ChannelShuffle)
CHANNEL_SHUFFLE = Op("channel_shuffle", "the channels regrouped as ShuffleNet does: seen as "
                     "groups x C/groups, transposed (torch.nn.ChannelShuffle)",
                     args=(Arg("groups", "int", doc="how many groups are interleaved"),),
                     shape=_shuffle_shape, label=lambda a: f"shuffle /{a['groups']}",
                     torch=lambda a, s, lib: lib.nn.ChannelShuffle(a["groups"]), role="shape")


def _slice_shape(a: dict, ins: list[Shape]) -> Shape:
    c = ins[0][0]
    end = c if a["end"] is None else a["end"]
    if not a["start"] < end <= c:
        raise OpShapeError(f"slice {a['start']}, {end} selects no channels of {fmt(ins[0])}"
                           if end <= a["start"] or a["start"] >= c else
                           f"slice {a['start']}, {end} ends past the {c} channels of {fmt(ins[0])}",
                           hint="'slice START, END' takes channels START to END - 1, counted "
                                "from 0; 'slice START' takes them to the last")
    return (end - a["start"], *ins[0][1:])


# DPN's `x[:, :bw]` and `x[:, bw:]`: channels at an offset, in unequal parts
SLICE = Op("slice", "channels `start` to `end` - 1, counted from 0 (`end` left out: to the last): "
           "`slice 0, 64` and `slice 64` split a map in two parts of any sizes",
           args=(Arg("start", "int0", doc="the first channel taken"),
                 Arg("end", "int", None, doc="the channel after the last taken; by default, all")),
           shape=_slice_shape, label=lambda a: f"channels {a['start']}:{'' if a['end'] is None else a['end']}",
           torch=lambda a, s, lib: lib.ChannelSlice(a["start"], s[0][0] if a["end"] is None else a["end"]),
           role="shape")


LEAKY_RELU = Op("leaky_relu", "max(x, 0) + negative_slope * min(x, 0) (torch.nn.LeakyReLU)",
                args=(Arg("negative_slope", "float", 0.01, doc="the slope below zero"),),
                label=lambda a: f"LeakyReLU {a['negative_slope']:g}",
                torch=lambda a, s, lib: lib.nn.LeakyReLU(a["negative_slope"]),
                torch_inplace=lambda a, s, lib: lib.nn.LeakyReLU(a["negative_slope"], inplace=True),
                role="activation")


CHANNEL_OPS = (LAYERNORM, LAYERNORM2D, LINEAR, LAYER_SCALE, CHANNEL_SHUFFLE, SLICE, LEAKY_RELU)
