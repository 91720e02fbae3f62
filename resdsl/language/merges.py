"""Merges: `add shortcut` (the residual sum, shaped by the shortcut option), `add a, b`,
`concat a, b, c`, `mul gate`. A merge names what it merges; one name is merged with the previous
statement's value (`concat` puts the named one first, as DenseNet)."""

from __future__ import annotations

from dataclasses import replace

from ..core.errors import ArgumentError, ShapeError
from ..netgraph.ops import OPS, Op
from ..netgraph.shortcuts import POLICIES
from . import ast
from .arguments import argument_span, op_arguments
from .expansion import SHORTCUT, Elaboration, Frame, add_node, value_of
from .shortcut_options import mark_shortcut, marked_shortcut


def merge(run: Elaboration, frame: Frame, layer: ast.Layer, op: Op, current: str) -> str:
    layer, marked = marked_shortcut(layer, op)  # `add bn3, shortcut: proj.1`
    if not layer.args:
        raise ArgumentError(f"{op.name} needs what it merges: '{op.name} shortcut' or "
                            f"'{op.name} a, b'", layer.span, code="E318")
    args = op_arguments(op, replace(layer, args=()), frame.lookup)
    names = [e.name if isinstance(e, ast.Var) else None for e in layer.args]
    if None in names:
        bad = layer.args[names.index(None)]
        raise ArgumentError(f"{op.name} merges values named by their layers, 'shortcut' or "
                            f"'input'", bad.span, code="E318")
    if SHORTCUT in names:
        return _shortcut_merge(run, frame, layer, op, args, names, current)
    inputs = [value_of(frame, e, op.name) for e in layer.args]
    if len(inputs) == 1:
        inputs = [inputs[0], current] if op.name == "concat" else [current, inputs[0]]
    shapes = [run.builder.shape(i) for i in inputs]
    if op.name == "add" and len(set(shapes)) > 1:
        given = ", ".join(f"{i[len(frame.prefix):]} gives {'x'.join(map(str, s))}"
                          for i, s in zip(inputs, shapes))
        raise ShapeError(f"add needs values of one shape, but {given}{frame.in_block()}", layer.span,
                         code="E401", hint="give the branches the same width and stride")
    node = frame.node_id(layer.label, op.name, layer.span)
    add_node(run, frame, node, op.name, args, inputs, layer.span, ["residual", "shortcut"] if marked else None)
    if marked:
        mark_shortcut(run.builder, node, frame.prefix, frame.block_input)
    frame.values[node[len(frame.prefix):]] = node
    return node


def _shortcut_merge(run: Elaboration, frame: Frame, layer: ast.Layer, op: Op, args: dict,
                    names: list, current: str) -> str:
    if frame.block_input is None:
        raise ArgumentError(f"'{op.name} shortcut' merges with a block's input, so it belongs "
                            "in a block", layer.span, code="E319")
    if len(names) > 2 or not op.ports:
        raise ArgumentError(f"'shortcut' is merged with one value: '{op.name} shortcut' or "
                            f"'{op.name} NAME, shortcut'", layer.span, code="E318")
    residual = current if len(names) == 1 else value_of(frame, layer.args[names.index(SHORTCUT) ^ 1], op.name)
    ends = {"residual": residual, "shortcut": frame.block_input}
    if op.residual:
        policy = POLICIES[frame.policy]
        shortcut = policy.build(run.builder, frame.prefix, frame.node_scope, frame.block_input,
                                run.builder.shape(residual), layer.span,
                                _projection_source(frame, layer, frame.block_input), policy,
                                frame.projection)
        if shortcut is None:
            return residual
        ends["shortcut"] = shortcut
        op, args = _policy_merge(op, OPS[policy.merge], args, layer)
    node = frame.node_id(layer.label, op.name, layer.span)
    try:
        add_node(run, frame, node, op.name, args, [ends[role] for role in op.ports], layer.span,
                 roles=list(op.ports))
    except ShapeError as err:
        if frame.policy == "identity":  # a projection would change the network: say what else
            err.hint = ("the shortcut option 'identity' never projects: 'shortcuts B' adds a 1x1 "
                        "projection, 'shortcuts matching' leaves the shortcut out where a block "
                        "changes the shape (as MobileNetV2), or a stage's 'first:' block can "
                        "differ from the rest")
        raise
    frame.values[node[len(frame.prefix):]] = node
    return node


def _projection_source(frame: Frame, layer: ast.Layer, block_input: str) -> str:
    """The block's input, or the value that `project_from` names (`relu1`: pre-activation
    nets project the normalised input)."""
    given = [k for k in layer.kwargs if k.name == "project_from"]
    if not given:
        return block_input
    return value_of(frame, given[0].value, "project_from")


def _policy_merge(written: Op, merge: Op, args: dict, layer: ast.Layer) -> tuple[Op, dict]:
    """The policy's merge op in place of the written one, keeping the arguments it has."""
    if merge is written:
        return written, args
    defaults = {arg.name: arg.default for arg in written.args}
    for name, value in args.items():
        if merge.arg(name) is None and value != defaults[name]:
            raise ArgumentError(f"with shortcuts merged by '{merge.name}', {written.name} takes no "
                                f"'{name}'", argument_span(layer, written, name), code="E327",
                                hint=f"leave '{name}' out, or choose shortcuts that add")
    return merge, {k: v for k, v in args.items() if merge.arg(k) is not None}
