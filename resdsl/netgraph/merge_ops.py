"""Op table entries for branches: merges (add, concat, mul), channel splits and scaling, and the
gates that rescale channels (squeeze-and-excitation, ECA, highway). Registered in ops.OPS."""

from __future__ import annotations

import math
import operator

from .opkit import Arg, Op, OpShapeError, Shape, feature_map, fmt, make_divisible

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


# A merge's positional arguments are the values it merges (`add shortcut`, `concat a, b, c`),
# read by the elaborator; its options are the entries' `args`.
_PROJECT_FROM = Arg("project_from", "symbol", None,
                    doc="a value of this block that a projection shortcut reads instead of the "
                        "block's input (pre-activation nets project the normalised input)")


def _drop_rate(a: dict, ins: list[Shape]) -> Shape:
    # a schedule (linear_decay) was checked where it was written; its rates are set later
    if isinstance(a["drop"], float) and not 0 <= a["drop"] < 1:
        raise OpShapeError(f"add's 'drop' is the probability of dropping the branch, from 0 up to "
                           f"1 (excluded), not {a['drop']:g}", hint="give a rate such as 0.1")
    if a["drop"] and len(ins) > 2:
        raise OpShapeError(f"add's 'drop' drops one branch added to one other value, but this add "
                           f"merges {len(ins)}", hint="add the branches first ('add a, b'), then "
                                                      "add the sum with 'drop'")
    return _same_shapes(a, ins)


def _add_label(a: dict) -> str:
    return f"+ (drop {a['drop']:g})" if a["drop"] else "+"


ADD = Op("add", "element-wise sum: `add shortcut` adds the block's shortcut to the branch, "
         "`add a, b` the named values; with `drop: p`, stochastic depth: in training the branch "
         "is dropped for a fraction p of the samples",
         args=(Arg("drop", "rate", 0.0, doc="stochastic depth's drop probability, or "
                                                     "linear_decay(p): growing to p at the last block"),
               _PROJECT_FROM),
         shape=_drop_rate, label=_add_label, torch=_add_torch, arity=-1,
         ports=("residual", "shortcut"), residual=True, role="merge", fresh_result=True)
# DenseNet's order: the block's input first, then the new features
CONCAT = Op("concat", "channel concatenation: `concat shortcut` puts the block's input before the "
            "branch (DenseNet), `concat a, b, c` the named values in order",
            shape=_concat_shape, label=lambda a: "concat", torch=_concat_torch,
            arity=-1, ports=("shortcut", "residual"), role="merge", fresh_result=True)


def _broadcast(a: dict, ins: list[Shape]) -> Shape:
    """`mul`: the same shapes, or a gate of C x 1 x 1 rescaling a C x H x W map."""
    out = max(ins, key=len)
    for s in ins:
        if len(s) != len(out) or any(d not in (1, e) for d, e in zip(s, out)) or s[0] != out[0]:
            raise OpShapeError("mul multiplies values of the same shape, or a map by a gate of "
                               "C x 1 x 1, not " + " by ".join(fmt(s) for s in ins))
    return tuple(max(d) for d in zip(*ins))


MUL = Op("mul", "element-wise product: `mul gate` rescales the previous value by a computed gate "
         "(C x 1 x 1 broadcasts over the map), `mul a, b` the named values",
         shape=_broadcast, label=lambda a: "\u00d7", torch=lambda a, s, lib: operator.mul, arity=-1,
         role="merge")


def _split_shape(a: dict, ins: list[Shape]) -> Shape:
    c = ins[0][0]
    if c % a["parts"]:
        raise OpShapeError(f"split {a['parts']}, {a['index']} cannot cut {c} channels into "
                           f"{a['parts']} equal parts: {c} is not divisible by {a['parts']}",
                           hint="for parts of other sizes, take channels at an offset: "
                                "'slice START, END' (END left out: to the last channel)")
    if a["index"] >= a["parts"]:
        raise OpShapeError(f"split {a['parts']}, {a['index']} asks for part {a['index']}, but "
                           f"the {a['parts']} parts are numbered 0 to {a['parts'] - 1}",
                           hint="parts count from 0")
    return (c // a["parts"], *ins[0][1:])


# Res2Net's hierarchical split, selective kernels' split input: one part per node
SPLIT = Op("split", "one of `parts` equal groups of channels (counted from 0): "
           "`split 4, 0` is the first quarter",
           args=(Arg("parts", "int", doc="how many equal groups"),
                 Arg("index", "int0", doc="which one, from 0")),
           shape=_split_shape, label=lambda a: f"split {a['index']}/{a['parts']}",
           torch=lambda a, s, lib: lib.ChannelSplit(a["parts"], a["index"]), role="shape")

SCALE = Op("scale", "multiplication by a constant (Inception-ResNet's residual scaling, "
           "`x + 0.17 * F(x)`)", args=(Arg("factor", "float", doc="the constant"),),
           label=lambda a: f"\u00d7 {a['factor']:g}", torch=lambda a, s, lib: lib.Scale(a["factor"]),
           role="scale")


def _softmax_shape(a: dict, ins: list[Shape]) -> Shape:
    if ins[0][0] % a["groups"]:
        raise OpShapeError(f"softmax over {a['groups']} groups needs channels divisible by "
                           f"{a['groups']}, not {ins[0][0]}")
    return ins[0]


SOFTMAX = Op("softmax", "softmax over the channels; with `groups: k`, over the k groups of each "
             "channel (selective kernels' attention across paths)",
             args=(Arg("groups", "int", 1, doc="softmax across this many channel groups"),),
             shape=_softmax_shape, label=lambda a: "softmax" + (f" /{a['groups']}" if a["groups"] > 1 else ""),
             # not element-wise (each output reads its whole group): drawn as a layer of its own
             torch=lambda a, s, lib: lib.Softmax(a["groups"]), role="other")


# -- squeeze-and-excitation (Hu et al. 2018) --------------------------------------------------

def _se_width(a: dict, ins: list[Shape]) -> int:
    c = feature_map(ins[0], "se")[0]
    given = a.get("width")
    width: int = given if given is not None else c // a["reduction"]
    if given is None and a.get("divisor"):  # MobileNetV3: C/4 rounded to a multiple of 8
        width = make_divisible(c // a["reduction"], a["divisor"])
    if width < 1:
        raise OpShapeError(f"se with reduction {a['reduction']} leaves no channels of {c}",
                           hint="use a smaller reduction ratio")
    return width


def _se_shape(a: dict, ins: list[Shape]) -> Shape:
    if a.get("act", "relu") not in ("relu", "silu"):
        raise OpShapeError(f"se's activation is relu or silu, not '{a['act']}'")
    if a.get("gate", "sigmoid") not in SE_GATES:
        raise OpShapeError(f"se's gate is {' or '.join(SE_GATES)}, not '{a['gate']}'")
    _se_width(a, ins)
    return ins[0]


def _se_torch(a: dict, ins: list[Shape], lib):
    return lib.SqueezeExcite(ins[0][0], _se_width(a, ins), a.get("act", "relu"),
                             a.get("gate", "sigmoid"))


SE_GATES = ("sigmoid", "hardsigmoid")


def _se_label(a: dict) -> str:
    text = f"SE, {a['width']}" if a.get("width") is not None else f"SE, /{a['reduction']}"
    return text + (", hard gate" if a.get("gate") == "hardsigmoid" else "")


# its two fcs (1x1 convs on the pooled vector, with bias) count; the pooling and scaling do not
SE = Op("se", "squeeze-and-excitation: global average pool, fc to C/reduction, ReLU, fc to C, "
        "sigmoid, and the channels rescaled by the result",
        args=(Arg("reduction", "int", 16, doc="the reduction ratio r"),
              Arg("width", "int", None, doc="the squeezed width itself, in place of C/r "
                  "(RegNet: a quarter of the block's input)"),
              Arg("act", "symbol", "relu", doc="the activation between the fcs: relu or silu"),
              Arg("gate", "symbol", "sigmoid", doc="the gate's function: sigmoid or hardsigmoid "
                  "(MobileNetV3)"),
              Arg("divisor", "int", None, doc="C/reduction rounded to a multiple of it, as "
                  "make_divisible (MobileNetV3: 8)")),
        shape=_se_shape,
        macs=lambda a, s, o: 2 * s[0][0] * _se_width(a, s),
        params=lambda a, s, o: 2 * s[0][0] * _se_width(a, s) + _se_width(a, s) + s[0][0],
        label=_se_label, torch=_se_torch, role="attention")


def eca_kernel(channels: int) -> int:
    """ECA-Net's kernel from the channel count (Wang et al. 2020, eq. 12, gamma 2, b 1): the
    odd number nearest |log2(C) + 1| / 2, at least 3."""
    t = int(abs(math.log2(channels) + 1) / 2)
    return max(t if t % 2 else t + 1, 3)


def _eca_k(a: dict, ins: list[Shape]) -> int:
    return a["kernel"] if a["kernel"] is not None else eca_kernel(feature_map(ins[0], "eca")[0])


# a 1-D conv across the pooled channels, no bias: k weights, C x k multiply-adds
ECA = Op("eca", "efficient channel attention: global average pool, a 1-D conv of `kernel` across "
         "the channels (by default from their count, as ECA-Net), sigmoid, channels rescaled",
         args=(Arg("kernel", "int", None, doc="the 1-D kernel; by default ECA-Net's rule"),),
         shape=lambda a, s: feature_map(s[0], "eca"),
         macs=lambda a, s, o: s[0][0] * _eca_k(a, s), params=lambda a, s, o: _eca_k(a, s),
         label=lambda a: "ECA" + (f", k {a['kernel']}" if a["kernel"] else ""),
         torch=lambda a, s, lib: lib.EfficientChannelAttention(_eca_k(a, s)), role="attention")



def _gate_torch(a: dict, ins: list[Shape], lib):
    return lib.HighwayGate(ins[0][0])


# the transform gate T is a 1x1 conv with bias on the shortcut: its weights and multiply-adds count
GATE = Op("gate", "highway merge: T * branch + (1 - T) * shortcut, T = sigmoid(1x1 conv of the "
          "shortcut, with bias)",
          args=(_PROJECT_FROM,), shape=_same_shapes,
          macs=lambda a, s, o: math.prod(s[1]) * s[1][0],
          params=lambda a, s, o: s[1][0] * s[1][0] + s[1][0],
          label=lambda a: "gate", torch=_gate_torch, arity=-1, internal=True,
          ports=("residual", "shortcut"), role="merge")



MERGE_OPS = (ADD, CONCAT, MUL, SPLIT, SCALE, SOFTMAX, SE, ECA, GATE)
