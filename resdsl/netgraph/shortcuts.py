"""Shortcut policies (paper, sec. 3.3, and descendants): what `add shortcut` merges with.

Each policy turns (block input, residual shape) into the tensor to add, adding nodes through the
graph builder where it needs them; `None` means no merge at all (a plain network). A projection
reads `project_from` (a layer of the block named by `add shortcut, project_from: LABEL`, else the
block's input). A policy may also change the merge itself (`gate`: a highway merge).

How a projection is made — its normalisation, its layers' names, a bias on its conv — is a
`Projection`, given by the options of a `shortcuts` statement
(`shortcuts B, norm: groupnorm, names: "proj.{0}", bias: true`). Every layer a policy adds is in
the `branch: shortcut` scope, so `depth` counts the main path only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Callable, Optional

from ..core.errors import ArgumentError, ShapeError, Span
from .ops import Shape, fmt, sliding

if TYPE_CHECKING:
    from .builder import GraphBuilder

# the policy's own normalisation (`norm` not given): BN for B, C, D and gate, none for preact
POLICY_NORM = "policy"
BN = ("bn", ())

# a name pattern: `downsample.{0}` numbers the projection's layers from 0 (`downsample.0` conv,
# `downsample.1` norm), as a stage's `names:` numbers its blocks
NAME_PATTERN = re.compile(r"([A-Za-z0-9_.-]*)\{(\d+)\}([A-Za-z0-9_.-]*)")


@dataclass(frozen=True)
class Projection:
    """How a policy's projection is made: `norm` (an op and its arguments as sorted pairs,
    None for none, or the policy's own), `names` (a pattern numbering its layers, or one name a
    layer) and a `bias` on its conv. `span` is where the options are written."""

    norm: tuple | None | str = POLICY_NORM
    names: str | tuple[str, ...] = "downsample.{0}"
    bias: bool = False
    span: Span | None = field(default=None, compare=False)
    norm_span: Span | None = field(default=None, compare=False)

    def layer_names(self, roles: tuple[str, ...]) -> dict[str, str]:
        """The name of each layer (`pool`, `conv`, `norm`) of a projection made of `roles`."""
        if isinstance(self.names, str):
            match = NAME_PATTERN.fullmatch(self.names)
            assert match is not None, "a names pattern is checked where the options are read"
            before, start, after = match.groups()
            return {role: f"{before}{index + int(start)}{after}" for index, role in enumerate(roles)}
        if len(self.names) != len(roles):
            raise ArgumentError(
                f"this projection has {len(roles)} layer{'s' if len(roles) != 1 else ''} "
                f"({', '.join(roles)}), but 'names' gives {len(self.names)}", self.span, code="E330",
                hint="give one name per layer, or a pattern such as \"proj.{0}\"")
        return dict(zip(roles, self.names))


# (builder, prefix, scope, block_input, residual_shape, span, project_from, policy, projection)
# -> the node the shortcut adds to the branch, or None for no merge
ShortcutBuild = Callable[["GraphBuilder", str, dict[str, Any], str, Shape, Span, str, "Policy",
                          Projection], Optional[str]]


@dataclass(frozen=True)
class Policy:
    name: str
    doc: str
    build: ShortcutBuild
    merge: str = "add"  # the op that merges the branch and the shortcut
    roles: tuple[str, ...] = ()  # the layers of its projection, in order; () if it has none
    norm: tuple | None = BN  # the normalisation of its projection unless `norm:` says otherwise

    def layers(self, projection: Projection) -> tuple[str, ...]:
        """The layers of this policy's projection (`conv`, `norm`), as `projection` makes it."""
        if self.norm_of(projection) is None:
            return tuple(r for r in self.roles if r != "norm")
        return self.roles

    def norm_of(self, projection: Projection) -> tuple | None:
        if isinstance(projection.norm, str):  # POLICY_NORM, the only string a norm is
            return self.norm
        return projection.norm


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


def _identity(builder, prefix, scope, source, shape, span, project_from, policy, projection):
    return source


def _none(builder, prefix, scope, source, shape, span, project_from, policy, projection):
    return None


def _projection(builder, prefix, scope, source, shape, span, project_from, policy, projection):
    """A projection: ResNet-D's average pool first where its policy has one (He et al. 2019,
    "Bag of Tricks": the 1x1 conv then sees every input pixel), a 1x1 conv, a norm."""
    scope = {**scope, "branch": "shortcut"}
    names = projection.layer_names(policy.layers(projection))
    for name in names.values():
        if builder.graph.has_node(prefix + name):
            raise ArgumentError(f"the shortcut's projection would be named '{name}', which is a "
                                f"layer of block {prefix[:-1]} already", projection.span or span,
                                code="E313", hint="name the projection's layers otherwise with the "
                                "shortcuts option 'names', or rename the block's layer")
    stride = shortcut_stride(builder.shape(project_from), shape, span)
    x = project_from
    if "pool" in policy.roles:
        if stride > 1:
            x = builder.add_op(prefix + names["pool"], "avgpool",
                               {"kernel": stride, "stride": stride, "ceil": True,
                                "include_pad": False}, [x], span, scope)
        stride = 1
    x = builder.add_op(prefix + names["conv"], "conv",
                       {"kernel": 1, "out": shape[0], "stride": stride, "padding": 0,
                        "bias": projection.bias}, [x], span, scope)
    norm = policy.norm_of(projection)
    if norm is not None:
        try:
            x = builder.add_op(prefix + names["norm"], norm[0], dict(norm[1]), [x], span, scope)
        except ShapeError as err:  # a norm that cannot take this shortcut: say where it is chosen
            if projection.norm_span is None:
                raise
            where = f" (in the projection of block {prefix[:-1]})" if prefix else ""
            raise ShapeError(err.message + where, projection.norm_span, hint=err.hint,
                             code=err.code) from None
    return x


def _where_dimensions_change(builder, prefix, scope, source, shape, span, project_from, policy,
                             projection):
    if builder.shape(source) == shape:
        return source
    return _projection(builder, prefix, scope, source, shape, span, project_from, policy, projection)


def _option_a(builder, prefix, scope, source, shape, span, project_from, policy, projection):
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


def _matching(builder, prefix, scope, source, shape, span, project_from, policy, projection):
    """Inverted residuals (MobileNetV2, EfficientNet): a shortcut only where the block keeps
    its input's shape; where it changes it, no shortcut and no projection."""
    return source if builder.shape(source) == shape else None


_CONV_NORM = ("conv", "norm")

POLICIES: dict[str, Policy] = {p.name: p for p in (
    Policy("A", "identity; zero-padded channels and strided subsampling where dimensions grow",
           _option_a),
    Policy("B", "identity; 1x1 projection (conv + BN) where dimensions change",
           _where_dimensions_change, roles=_CONV_NORM),
    Policy("C", "1x1 projection on every block", _projection, roles=_CONV_NORM),
    Policy("D", "identity; 2x2 average pool, then 1x1 conv + BN where dimensions change (ResNet-D)",
           _where_dimensions_change, roles=("pool", "conv", "norm")),
    # in a pre-activation net the next block's BN follows the sum, so the reference
    # implementations put none on the shortcut
    Policy("preact", "identity; a bare 1x1 conv projection where dimensions change "
           "(pre-activation ResNets, Wide ResNets)", _where_dimensions_change, roles=_CONV_NORM,
           norm=None),
    Policy("gate", "highway: T * branch + (1 - T) * shortcut, T = sigmoid(1x1 conv with bias); "
           "projections as B where dimensions change", _where_dimensions_change, merge="gate",
           roles=_CONV_NORM),
    Policy("matching", "identity where the block keeps its input's shape; no shortcut where it "
           "changes it (MobileNetV2, EfficientNet)", _matching),
    Policy("identity", "identity only; dimensions must match", _identity),
    Policy("none", "no shortcut: a plain network", _none),
)}

DEFAULT_POLICY = "B"

# Other names for the options, for "did you mean"
POLICY_ALIASES = {"a": "A", "b": "B", "c": "C", "d": "D", "plain": "none", "projection": "C",
                  "preactivation": "preact", "highway": "gate", "gated": "gate"}
