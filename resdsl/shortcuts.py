"""Shortcut policies (paper, sec. 3.3): what `add shortcut` merges with when dimensions change.

Each policy turns (block input, residual shape) into the tensor to add, adding nodes through the
graph builder where it needs them; `None` means no merge at all (a plain network).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .errors import ShapeError, Span
from .ops import Shape, fmt, sliding


@dataclass(frozen=True)
class Policy:
    name: str
    doc: str
    build: Callable  # (builder, prefix, scope, block_input, residual_shape, span) -> node id | None


def shortcut_stride(source: Shape, target: Shape, span: Span) -> int:
    """The stride a 1x1 projection needs to take `source`'s size to `target`'s."""
    if len(source) != 3 or len(target) != 3:
        raise ShapeError(f"a shortcut needs feature maps, got {fmt(source)} and {fmt(target)}", span,
                         code="E402")
    stride = max(1, round(source[1] / target[1]))
    if (sliding(source[1], 1, stride, 0), sliding(source[2], 1, stride, 0)) != target[1:]:
        raise ShapeError(f"the shortcut cannot take {source[1]}x{source[2]} to "
                         f"{target[1]}x{target[2]} with a stride", span, code="E402",
                         hint="down-sample the residual branch by a whole stride")
    return stride


def _identity(builder, prefix, scope, source, shape, span):
    return source


def _none(builder, prefix, scope, source, shape, span):
    return None


def _projection(builder, prefix, scope, source, shape, span):
    scope = {**scope, "branch": "shortcut"}
    stride = shortcut_stride(builder.shape(source), shape, span)
    conv = builder.add_op(f"{prefix}downsample.0", "conv",
                          {"kernel": 1, "out": shape[0], "stride": stride, "padding": 0},
                          [source], span, scope)
    return builder.add_op(f"{prefix}downsample.1", "bn", {}, [conv], span, scope)


def _option_a(builder, prefix, scope, source, shape, span):
    have = builder.shape(source)
    if have == shape:
        return source
    stride = shortcut_stride(have, shape, span)
    if shape[0] < have[0]:
        raise ShapeError(f"option A pads channels with zeros, but the branch narrows "
                         f"{have[0]} channels to {shape[0]}", span, code="E403",
                         hint="use 'shortcuts B' to project instead")
    scope = {**scope, "branch": "shortcut"}
    return builder.add_op(f"{prefix}shortcut", "pad_shortcut", {"stride": stride, "out": shape[0]},
                          [source], span, scope)


def _option_b(builder, prefix, scope, source, shape, span):
    if builder.shape(source) == shape:
        return source
    return _projection(builder, prefix, scope, source, shape, span)


POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy("A", "identity; zero-padded channels and strided subsampling where dimensions grow",
           _option_a),
    Policy("B", "identity; 1x1 projection (conv + BN) where dimensions change", _option_b),
    Policy("C", "1x1 projection on every block", _projection),
    Policy("identity", "identity only; dimensions must match", _identity),
    Policy("none", "no shortcut: a plain network", _none),
)}

DEFAULT_POLICY = "B"
