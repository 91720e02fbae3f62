"""How shortcuts are made, as a file says it.

- The options of a `shortcuts` statement (`shortcuts B, norm: groupnorm, names: "proj.{0}",
  bias: true`) read into a `Projection`: what the policy's projections are made of.
- `add NAME, shortcut: VALUE`: a merge that says which of its values is the shortcut, for a
  projection written out by hand; the layers that feed only that value are the shortcut branch
  (so `depth` does not count them, as it does not count a policy's projections).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Callable

from ..core.errors import ArgumentError, ResdslError
from ..core.names import NODE_ID
from ..netgraph.builder import GraphBuilder
from ..netgraph.ops import ALIASES, OPS, ops_with
from ..netgraph.shortcuts import NAME_PATTERN, POLICIES, POLICY_NORM, Projection
from . import ast
from .evaluate import describe, evaluate, option_errors, unknown

OPTIONS = ("norm", "names", "bias")
_NO_NORM = "none"
_WITH_PROJECTIONS = ", ".join(name for name, p in POLICIES.items() if p.roles)


def check_option_names(stmt: ast.ShortcutsDecl) -> list[ResdslError]:
    """Unknown or repeated options, as errors (the static pass reports them all at once)."""
    return option_errors(stmt.options, OPTIONS, "shortcuts")


def projection_options(stmt: ast.ShortcutsDecl, arguments: Callable, lookup) -> Projection:
    """The projection a `shortcuts` statement asks for. `arguments(op, layer)` checks a norm's
    arguments as a layer's (`norm: bn(eps: 0.001)`)."""
    if not stmt.options:
        return Projection()
    errors = check_option_names(stmt)
    if errors:
        raise errors[0]
    policy = POLICIES[stmt.kind]
    given = {kw.name: kw for kw in stmt.options}
    if not policy.roles:
        kw = stmt.options[0]
        raise ArgumentError(f"'shortcuts {stmt.kind}' makes no projection, so '{kw.name}' has "
                            "nothing to apply to", kw.span, code="E329",
                            hint=f"projections come with {_WITH_PROJECTIONS}")
    norm = _norm(given["norm"], arguments) if "norm" in given else POLICY_NORM
    names = _names(given["names"], lookup) if "names" in given else Projection().names
    bias = False
    if "bias" in given:
        bias = evaluate(given["bias"].value, lookup)
        if not isinstance(bias, bool):
            raise ArgumentError(f"'bias' is true or false, not {describe(bias)}",
                                given["bias"].value.span, code="E320")
    where = given["names"].span if "names" in given else stmt.span
    projection = Projection(norm, names, bias, span=where,
                            norm_span=given["norm"].value.span if "norm" in given else None)
    projection.layer_names(policy.layers(projection))  # names for every layer, said here
    return projection


def _norm(kw: ast.Kwarg, arguments: Callable) -> tuple | None:
    """`norm: groupnorm`, `norm: bn(eps: 0.001, scale: false)`, `norm: none`."""
    value = kw.value
    args: tuple[ast.Expr, ...]
    kwargs: tuple[ast.Kwarg, ...]
    if isinstance(value, ast.Var):
        name, args, kwargs, span = value.name, (), (), value.span
    elif isinstance(value, ast.Call):
        name, args, kwargs, span = value.name, value.args, value.kwargs, value.name_span
    else:
        raise ArgumentError(f"'norm' names a normalisation: {_choices()}, with its "
                            "arguments in parentheses if it has any", value.span, code="E329",
                            hint="for example 'norm: groupnorm(32)'")
    if name == _NO_NORM and isinstance(value, ast.Var):
        return None
    norms = ops_with(role="norm")
    if name not in norms:
        if name in OPS:
            raise ArgumentError(f"'{name}' is not a normalisation; a projection's 'norm' is "
                                f"one of {', '.join(norms + [_NO_NORM])}", span, code="E329",
                                hint="write another projection by hand in the block and mark it as the "
                                     "shortcut: 'add BRANCH, shortcut: LAST_LAYER'")
        raise unknown(name, span, tuple(norms) + (_NO_NORM,), "normalisation", ALIASES)
    layer = ast.Layer(None, name, args, kwargs, value.span, span)
    return name, tuple(sorted(arguments(OPS[name], layer).items()))


def _choices() -> str:
    """What `norm:` may name: the op table's norms, or none."""
    return ", ".join(ops_with(role="norm")) + " or " + _NO_NORM


def _names(kw: ast.Kwarg, lookup) -> str | tuple[str, ...]:
    """`names: "proj.{0}"` (the layers numbered from 0) or `names: ["downsample.conv"]`."""
    value = evaluate(kw.value, lookup)
    pattern = NAME_PATTERN.fullmatch(value) if isinstance(value, str) else None
    if pattern and NODE_ID.fullmatch(f"{pattern.group(1)}0{pattern.group(3)}"):
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and NODE_ID.fullmatch(v)
                                                 for v in value):
        if len(set(value)) < len(value):
            raise ArgumentError("'names' gives one name twice", kw.value.span, code="E313",
                                hint="each layer of the projection needs its own name")
        return tuple(value)
    raise ArgumentError("'names' is a pattern such as \"proj.{0}\" ({N}: the layer's number, "
                        "counted from N) or a list of layer names, one per layer of the projection",
                        kw.value.span, code="E320", hint="for example names: [\"downsample.conv\"]")


# -- projections written by hand ---------------------------------------------------------------

SHORTCUT = "shortcut"


def marked_shortcut(layer: ast.Layer, op) -> tuple[ast.Layer, bool]:
    """`add bn3, shortcut: proj.1` as `add bn3, proj.1` whose second value is the shortcut;
    `add shortcut: proj.1` adds the previous value and proj.1."""
    given = [k for k in layer.kwargs if k.name == SHORTCUT]
    if not given:
        return layer, False
    kw = given[0]
    if op.name != "add":
        raise ArgumentError(f"only add merges a branch with a shortcut; {op.name} takes no "
                            "'shortcut'", kw.span, code="E318")
    if len(given) > 1 or len(layer.args) > 1 or any(
            isinstance(e, ast.Var) and e.name == SHORTCUT for e in layer.args):
        raise ArgumentError("'shortcut:' names the shortcut of a sum of two values: "
                            "'add shortcut: VALUE' or 'add BRANCH, shortcut: VALUE'", kw.span,
                            code="E318", hint="'add shortcut' alone takes the shortcut option's")
    rest = tuple(k for k in layer.kwargs if k.name != SHORTCUT)
    return replace(layer, args=layer.args + (kw.value,), kwargs=rest), True


def mark_shortcut(builder: GraphBuilder, merge: str, prefix: str, block_input: str | None) -> None:
    """Put the layers of this body that feed nothing but the merge's shortcut in the
    `branch: shortcut` scope: the projection a block writes out, not what it shares with the
    main path (a pre-activation projection reads the main path's `act1`, which stays on it)."""
    graph = builder.graph
    source = next(u for u, e in graph.pred[merge].items() if e.get("role") == "shortcut")
    candidates, stack = set(), [source]
    while stack:
        node = stack.pop()
        if node in candidates or node == block_input or not node.startswith(prefix) \
                or graph.nodes[node]["op"] == "input":
            continue
        candidates.add(node)
        stack.extend(graph.pred[node])
    marked = {merge}
    for node in reversed(builder.added):  # later layers first: a layer after what it feeds
        if not candidates:
            break
        if node in candidates:
            candidates.discard(node)
            if all(s in marked for s in graph.succ[node]):
                marked.add(node)
                graph.nodes[node]["scope"]["branch"] = "shortcut"
