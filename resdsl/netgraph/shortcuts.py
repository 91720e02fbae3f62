"""Shortcut policies (paper, sec. 3.3, and descendants): what `add shortcut` merges with.

Each policy turns (block input, residual shape) into the tensor to add, adding nodes through the
graph builder where it needs them; `None` means no merge at all (a plain network). A projection
reads `project_from` (a layer of the block named by `add shortcut, project_from: LABEL`, else the
block's input). A policy may also change the merge itself (`gate`: a highway merge).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..core.errors import ShapeError, Span
from .ops import Shape, fmt, sliding


@dataclass(frozen=True)
class Policy:
    name: str
    doc: str
    # (builder, prefix, scope, block_input, residual_shape, span, project_from) -> node id | None
    build: Callable
    merge: str = "add"  # the op that merges the branch and the shortcut


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


def _identity(builder, prefix, scope, source, shape, span, project_from):
    return source


def _none(builder, prefix, scope, source, shape, span, project_from):
    return None


def _projection(builder, prefix, scope, source, shape, span, project_from):
    scope = {**scope, "branch": "shortcut"}
    stride = shortcut_stride(builder.shape(project_from), shape, span)
    conv = builder.add_op(f"{prefix}downsample.0", "conv",
                          {"kernel": 1, "out": shape[0], "stride": stride, "padding": 0},
                          [project_from], span, scope)
    return builder.add_op(f"{prefix}downsample.1", "bn", {}, [conv], span, scope)


def _option_a(builder, prefix, scope, source, shape, span, project_from):
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


def _option_b(builder, prefix, scope, source, shape, span, project_from):
    if builder.shape(source) == shape:
        return source
    return _projection(builder, prefix, scope, source, shape, span, project_from)


def _bare_projection(builder, prefix, scope, source, shape, span, project_from):
    """A 1x1 conv alone where dimensions change: in a pre-activation net the next block's BN
    follows the sum, so the reference implementations put none on the shortcut."""
    if builder.shape(source) == shape:
        return source
    stride = shortcut_stride(builder.shape(project_from), shape, span)
    return builder.add_op(f"{prefix}downsample.0", "conv",
                          {"kernel": 1, "out": shape[0], "stride": stride, "padding": 0},
                          [project_from], span, {**scope, "branch": "shortcut"})


def _option_d(builder, prefix, scope, source, shape, span, project_from):
    """ResNet-D (He et al. 2019, "Bag of Tricks"): average-pool first, then a stride-1 1x1 conv,
    so the projection sees every input pixel. Names follow timm (`downsample.0` is the pool)."""
    if builder.shape(source) == shape:
        return source
    scope = {**scope, "branch": "shortcut"}
    stride = shortcut_stride(builder.shape(project_from), shape, span)
    x = project_from
    if stride > 1:
        x = builder.add_op(f"{prefix}downsample.0", "avgpool",
                           {"kernel": stride, "stride": stride, "ceil": True,
                            "include_pad": False}, [x], span, scope)
    conv = builder.add_op(f"{prefix}downsample.1", "conv",
                          {"kernel": 1, "out": shape[0], "padding": 0}, [x], span, scope)
    return builder.add_op(f"{prefix}downsample.2", "bn", {}, [conv], span, scope)


def _matching(builder, prefix, scope, source, shape, span, project_from):
    """Inverted residuals (MobileNetV2, EfficientNet): a shortcut only where the block keeps
    its input's shape; where it changes it, no shortcut and no projection."""
    return source if builder.shape(source) == shape else None


POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy("A", "identity; zero-padded channels and strided subsampling where dimensions grow",
           _option_a),
    Policy("B", "identity; 1x1 projection (conv + BN) where dimensions change", _option_b),
    Policy("C", "1x1 projection on every block", _projection),
    Policy("D", "identity; 2x2 average pool, then 1x1 conv + BN where dimensions change (ResNet-D)",
           _option_d),
    Policy("preact", "identity; a bare 1x1 conv projection where dimensions change "
           "(pre-activation ResNets, Wide ResNets)", _bare_projection),
    Policy("gate", "highway: T * branch + (1 - T) * shortcut, T = sigmoid(1x1 conv with bias); "
           "projections as B where dimensions change", _option_b, merge="gate"),
    Policy("matching", "identity where the block keeps its input's shape; no shortcut where it "
           "changes it (MobileNetV2, EfficientNet)", _matching),
    Policy("identity", "identity only; dimensions must match", _identity),
    Policy("none", "no shortcut: a plain network", _none),
)}

DEFAULT_POLICY = "B"

# Other names for the options, for "did you mean"
POLICY_ALIASES = {"a": "A", "b": "B", "c": "C", "d": "D", "plain": "none", "projection": "C",
                  "preactivation": "preact", "highway": "gate", "gated": "gate"}
