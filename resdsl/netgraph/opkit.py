"""What every op entry is made of: the `Op` and `Arg` records, and the shape rules that several
ops share (sliding windows, feature-map checks). The entries themselves are in ops.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable

Shape = tuple[int, ...]
REQUIRED = object()


class OpShapeError(Exception):
    """A shape rule's complaint; the elaborator attaches the layer's span."""

    def __init__(self, message: str, hint: str | None = None, code: str = "E401"):
        super().__init__(message)
        self.hint = hint
        self.code = code


@dataclass(frozen=True)
class Arg:
    name: str
    kind: str  # int | float | rate (a float or linear_decay(p)) | bool | size (int or HxW) | symbol (a bare word)
    default: Any = REQUIRED
    doc: str = ""


# An op's role, what the passes that treat ops alike ask for: a norm is accepted as a projection
# shortcut's `norm:`, starts at scale 1 and shift 0 (zero for a residual branch's last norm when
# asked), and diagrams fold it into the layer before it.
ROLES = {
    "input": "the network's input",
    "conv": "a convolution",
    "norm": "a normalisation with a learned scale and shift per channel",
    "activation": "an element-wise nonlinearity",
    "pool": "pooling over windows",
    "linear": "a fully connected layer",
    "merge": "several values made one (sum, product, concatenation, gate)",
    "attention": "channels rescaled by a gate computed from the input",
    "shape": "the same numbers regrouped or selected (flatten, split)",
    "scale": "multiplication by a constant",
    "regularizer": "training-only noise (dropout)",
    "shortcut": "a shortcut made by the compiler (zero-padding)",
    "other": "none of the above",
}
MINOR_ROLES = ("norm", "activation", "regularizer")


@dataclass(frozen=True)
class Op:
    name: str
    doc: str
    args: tuple[Arg, ...] = ()
    shape: Callable[[dict, list[Shape]], Shape] = lambda a, s: s[0]
    macs: Callable[[dict, list[Shape], Shape], int] = lambda a, s, o: 0
    params: Callable[[dict, list[Shape], Shape], int] = lambda a, s, o: 0
    label: Callable[[dict], str] | None = None
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
    # -- traits: what the op is, asked by the passes that treat ops alike (see ROLES) --
    role: str = "other"
    # returns a tensor of its own that its backward does not read, so an activation after it may
    # overwrite it in place (conv, BN, a sum; not dropout, whose result is its input in eval mode)
    fresh_result: bool = False
    decay: bool = True  # its weights get weight decay (no norm's do; biases never by default)

    def __post_init__(self):
        if self.role not in ROLES:
            raise ValueError(f"op {self.name}: role is one of {', '.join(ROLES)}, not {self.role!r}")

    @property
    def minor(self) -> bool:
        """A per-element step (a norm, an activation, dropout): diagrams draw it small and, as
        the paper's Figure 3, inside the box of the conv, fc or sum it follows."""
        return self.role in MINOR_ROLES

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


def pair(v) -> tuple[int, int]:
    return tuple(v) if isinstance(v, tuple) else (v, v)  # type: ignore[return-value]


def window_defaults(a: dict, stride_is_kernel: bool) -> dict:
    """Fill stride and padding: convs default to stride 1, pools to their kernel; padding keeps
    the size at stride 1 ('same' for odd kernels)."""
    a = dict(a)
    a["kernel"] = pair(a["kernel"])
    if a.get("stride") is None:
        a["stride"] = a["kernel"] if stride_is_kernel else 1
    a["stride"] = pair(a["stride"])
    if a.get("padding") is None:
        d = a.get("dilation", 1)
        a["padding"] = tuple((k - 1) // 2 * d for k in a["kernel"])
    a["padding"] = pair(a["padding"])
    return a


def make_divisible(value: float, divisor: int, min_value: int | None = None) -> int:
    """`value` rounded to the nearest multiple of `divisor`, at least `min_value` (by default the
    divisor) and never more than 10% below `value`: the channel rounding of MobileNet, MNASNet and
    EfficientNet, as torchvision and timm apply it."""
    floor = divisor if min_value is None else min_value
    rounded = max(floor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded


def size_text(t: tuple[int, int]) -> str:
    return f"{t[0]}x{t[1]}"


def fmt(shape: Shape) -> str:
    return "x".join(str(d) for d in shape)
