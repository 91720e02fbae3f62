"""AST to graph: bind parameters, expand blocks and stages, apply the shortcut policy.

No torch here. Shapes are propagated as nodes are added, because the shortcut policy needs them
(a projection exists only where dimensions change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import networkx as nx

from ..core.errors import ArgumentError, LimitError, ShapeError, Span
from ..core.limits import LIMITS
from ..core.names import prefixes
from ..netgraph.builder import GraphBuilder, layer_nodes
from ..netgraph.ops import ALIASES, OPS, Op, source_ops
from ..netgraph.shortcuts import DEFAULT_POLICY, POLICIES, Projection
from . import ast
from .arguments import argument_span, op_arguments
from .evaluate import IN_CHANNELS, BlockRef, LinearDecay, describe, evaluate, unknown, unknown_op
from .loader import Scope
from .networks import NetworkSpec, bind_params, budget_checks, expect_checks, input_shape, policy_name, value_lookup
from .shortcut_options import mark_shortcut, marked_shortcut, projection_options

# -- bodies to nodes ------------------------------------------------------------------------------

@dataclass
class Frame:
    """Where a body is being expanded: its names, its module path prefix and its shortcut policy."""

    env: dict[str, Any]
    scope: Scope
    prefix: str
    policy: str
    node_scope: dict
    block_input: str | None = None
    stack: tuple[str, ...] = ()
    taken: set = field(default_factory=set)
    # what a name reads as a value (`from: branch1`, `add a, b`): the node holding its result
    values: dict[str, str] = field(default_factory=dict)
    input_node: str | None = None  # what `input` reads: the block's input, or the network's
    # the next suffix to try for each default name: the search for a free `relu_N` resumes where
    # the last one ended (names are only ever added), so N unnamed layers cost O(N), not O(N^2)
    next_suffix: dict = field(default_factory=dict)
    groups: set = field(default_factory=set)  # the proper prefixes of dotted names taken
    projection: Projection = Projection()  # how the policy's projections are made

    def __post_init__(self):
        self.lookup = value_lookup(self.env, self.scope)  # (name, span) -> value

    def node_id(self, label: str | None, default: str, span: Span) -> str:
        if label is not None:
            if label in self.taken:
                raise ArgumentError(f"the name '{label}' is used twice here", span, code="E313",
                                    hint="layer names must be unique within a block or network")
            _group_clash(label, self.taken, self.groups, span)
            self.taken.add(label)
            return self.prefix + label
        n = self.next_suffix.get(default, 0)
        name = default if n == 0 else f"{default}_{n}"
        while name in self.taken:
            n += 1
            name = f"{default}_{n}"
        self.next_suffix[default] = n + 1
        self.taken.add(name)
        return self.prefix + name


def _group_clash(label: str, taken: set, groups: set, span: Span) -> None:
    """A dotted name is a path: `conv1.0` puts a layer inside a group `conv1`, so `conv1` cannot
    also be a layer of its own (a module is a layer or a container, not both)."""
    if label in groups:
        raise ArgumentError(f"'{label}' is already a group here (it holds layers named "
                            f"'{label}...')", span, code="E313", hint="choose another name for this layer")
    containing = prefixes(label)
    for group in containing:
        if group in taken:
            raise ArgumentError(f"'{label}' puts a layer inside '{group}', which is already a "
                                f"layer here", span, code="E313",
                                hint=f"name the layers of a group '{group}.0', '{group}.1', ... "
                                     f"and nothing '{group}' alone")
    groups.update(containing)


@dataclass
class Elaboration:
    builder: GraphBuilder
    spec: NetworkSpec
    input: tuple[int, ...] | None = None
    outputs: list[tuple[str, Span]] = field(default_factory=list)
    stages: list[dict] = field(default_factory=list)
    stage_spans: dict[str, Span] = field(default_factory=dict)  # where each stage is written
    named: dict[str, str] = field(default_factory=dict)
    # a block expanded once with the same arguments, policy and input shape is replayed
    templates: dict[tuple, tuple | None] = field(default_factory=dict)
    # the nodes of each block the network itself calls, in order (`linear_decay(p, over: blocks)`)
    blocks: list[list[str]] = field(default_factory=list)


def elaborate(spec: NetworkSpec) -> nx.DiGraph:
    """Build the layer graph of one network."""
    definition = spec.definition
    run = Elaboration(GraphBuilder(spec.name), spec)
    policy = spec.shortcuts[0] if spec.shortcuts else DEFAULT_POLICY
    frame = Frame(dict(spec.bindings), spec.scope, "", policy, {})
    if spec.input:
        run.input = spec.input[0]
    if spec.outputs:
        run.outputs = list(spec.outputs)
    current = None
    checks = list(spec.checks)
    for stmt in definition.body:
        if isinstance(stmt, ast.InputDecl):
            if run.input is None or spec.input is None:
                run.input = input_shape(stmt.shape, stmt.span)
            continue
        if isinstance(stmt, ast.Budget):
            checks += budget_checks(stmt, frame.lookup)
            continue
        if isinstance(stmt, ast.Expect):
            # a published multiply-add count holds at the network's own input size only
            checks += [c for c in expect_checks(stmt, frame.lookup)
                       if spec.input is None or c.metric != "flops"]
            continue
        if isinstance(stmt, ast.OutputsDecl):
            if spec.outputs is None:  # `with outputs ...` replaces the network's own taps
                run.outputs += list(stmt.names)
            continue
        if isinstance(stmt, ast.ShortcutsDecl) and spec.shortcuts:  # `with shortcuts X` sets
            frame.projection = _projection(stmt, frame)  # the option; the statement its projections
            continue
        if current is None and isinstance(stmt, (ast.Layer, ast.Stage)):
            if run.input is None:
                raise ArgumentError(f"network '{definition.name}' has no input", stmt.span,
                                    code="E314", hint="start the network with 'input 3x224x224'")
            current = run.builder.add_op("input", "input", {"shape": run.input}, [],
                                         definition.span, {})
            frame.input_node = current
        current = _statement(run, frame, stmt, current)
    if current is None:
        raise ArgumentError(f"network '{definition.name}' has no layers", definition.span, code="E315")
    graph = run.builder.graph
    outputs = _outputs(run, current)
    stages = _prune(graph, outputs, run.stages) if run.outputs else run.stages
    _scheduled_rates(graph, run.blocks)
    graph.graph.update(
        name=spec.name, network=definition.name, input=run.input,
        outputs=outputs, stages=stages,
        shortcuts=frame.policy, checks=checks, span=spec.span,
        params={k: v for k, v in spec.bindings.items()}, stage_spans=run.stage_spans,
    )
    return graph


def _scheduled_rates(graph: nx.DiGraph, blocks: list[list[str]]) -> None:
    """Replace each schedule (`drop: linear_decay(0.5)`) by its layer's rate: the l-th of the L
    layers given one, in network order, or with `over: blocks` the place of the layer's block
    among the network's blocks (after pruning: only the layers and blocks the network keeps)."""
    scheduled = [(node, key, value) for node in layer_nodes(graph)
                 for key, value in graph.nodes[node]["args"].items() if isinstance(value, LinearDecay)]
    layers = [node for node, _, schedule in scheduled if schedule.over == "layers"]
    kept = [b for b in blocks if any(n in graph for n in b)]
    place = {node: index for index, block in enumerate(kept) for node in block}
    counted = {"layers": ({n: i for i, n in enumerate(layers)}, len(layers)), "blocks": (place, len(kept))}
    for node, key, schedule in scheduled:
        data = graph.nodes[node]
        where, count = counted[schedule.over]
        if node not in where:
            raise ArgumentError(f"{schedule} counts blocks, but '{node}' is in none", data["span"],
                                code="E327", hint="give it to a layer inside a block, or leave "
                                                  "'over: blocks' out to count the layers given it")
        data["args"] = {**data["args"], key: schedule.rate(where[node], count)}


def _outputs(run: Elaboration, last: str) -> list[dict]:
    if not run.outputs:
        return [{"name": "out", "node": last}]
    stage_ends = {s["name"]: s["last"] for s in run.stages}
    outputs = []
    for name, span in run.outputs:
        node = stage_ends.get(name) or run.named.get(name)
        if node is None:
            raise unknown(name, span, set(stage_ends) | set(run.named), "stage or layer")
        outputs.append({"name": name, "node": node})
    return outputs


def _prune(graph: nx.DiGraph, outputs: list[dict], stages: list[dict]) -> list[dict]:
    """Drop the layers no output depends on (a classifier's head behind a backbone's taps);
    returns the stages that remain."""
    needed = {o["node"] for o in outputs}
    for node in list(needed):
        needed |= nx.ancestors(graph, node)
    if len(needed) == graph.number_of_nodes():
        return stages
    graph.remove_nodes_from([n for n in graph if n not in needed])
    return [s for s in stages if s["last"] in needed]


def _statement(run: Elaboration, frame: Frame, stmt: ast.Statement, current: str) -> str:
    if isinstance(stmt, ast.ShortcutsDecl):
        frame.policy = policy_name(stmt.kind, stmt.kind_span or stmt.span)
        frame.projection = _projection(stmt, frame)
        return current
    if isinstance(stmt, ast.Stage):
        return _stage(run, frame, stmt, current)
    if isinstance(stmt, ast.Layer):
        return _layer(run, frame, stmt, current)
    keyword = {ast.InputDecl: "input", ast.OutputsDecl: "outputs", ast.Budget: "budget",
               ast.Expect: "expect"}[type(stmt)]
    raise ArgumentError(f"'{keyword}' belongs in a network, not in a block", stmt.span, code="E316")


def _projection(stmt: ast.ShortcutsDecl, frame: Frame) -> Projection:
    policy_name(stmt.kind, stmt.kind_span or stmt.span)
    return projection_options(stmt, lambda op, layer: op_arguments(op, layer, frame.lookup), frame.lookup)


def _callee(frame: Frame, name: str, span: Span) -> Op | BlockRef:
    if name in frame.env:
        value = frame.env[name]
        if isinstance(value, BlockRef):
            return value
        raise ArgumentError(f"'{name}' is {describe(value)}, not a block or op", span, code="E317")
    found = frame.scope.lookup(name)
    if found is not None and isinstance(found[0], ast.BlockDef):
        return BlockRef(name, found[0], found[1])
    if name in OPS and not OPS[name].internal:
        return OPS[name]
    if found is not None:
        raise ArgumentError(f"'{name}' is a network and cannot be used as a layer", span, code="E305")
    known = set(source_ops()) | {n for n in frame.scope.names()
                                 if isinstance(frame.scope.lookup(n)[0], ast.BlockDef)}
    raise unknown_op(name, span, known, ALIASES)


def _layer(run: Elaboration, frame: Frame, layer: ast.Layer, current: str) -> str:
    callee = _callee(frame, layer.op, layer.op_span)
    layer, current = _reads(frame, layer, current)
    if isinstance(callee, BlockRef):
        values = [evaluate(e, frame.lookup) for e in layer.args]
        named = {k.name: (evaluate(k.value, frame.lookup), k.span) for k in layer.kwargs}
        prefix = frame.node_id(layer.label, callee.name, layer.span) + "."
        output = _block(run, frame, callee, values, [e.span for e in layer.args], named,
                        layer.span, prefix, frame.node_scope, frame.policy, current)
        frame.values[prefix[:-1][len(frame.prefix):]] = output
        return output
    if callee.arity == -1:
        return _merge(run, frame, layer, callee, current)
    args = op_arguments(callee, layer, frame.lookup)
    node = frame.node_id(layer.label, callee.name, layer.span)
    _add(run, frame, node, callee.name, args, [current], layer.span)
    frame.values[node[len(frame.prefix):]] = node
    if layer.label:
        run.named[node] = node
    return node


def _add(run: Elaboration, frame: Frame, node: str, op: str, args: dict, inputs: list[str],
         span: Span, roles: list[str] | None = None) -> str:
    """Add a node; a shape error inside a block names the block (`layer2.0`), since one block
    written once is many blocks in the network."""
    try:
        return run.builder.add_op(node, op, args, inputs, span, frame.node_scope, roles=roles)
    except ShapeError as err:
        if frame.prefix and " (in block " not in err.message:
            err.message += f" (in block {frame.prefix[:-1]})"
            err.args = (err.message,)
        raise


# what `from:` and a merge may name besides the layers written before them
_INPUT = "input"
_SHORTCUT = "shortcut"


def _reads(frame: Frame, layer: ast.Layer, current: str) -> tuple[ast.Layer, str]:
    """The value a layer reads: `from: NAME` (the block's `input` or an earlier layer, block or
    stage of this body), else the previous statement's."""
    given = [k for k in layer.kwargs if k.name == "from"]
    if not given:
        return layer, current
    rest = tuple(k for k in layer.kwargs if k.name != "from")
    return replace(layer, kwargs=rest), _value(frame, given[0].value, "from")


def _value(frame: Frame, expr: ast.Expr, where: str) -> str:
    """The node a name reads (`input`, `branch1`, `branch1.0`)."""
    if not isinstance(expr, ast.Var):
        raise ArgumentError(f"'{where}' names a value: 'input' or a layer written before it",
                            expr.span, code="E328")
    if expr.name == _INPUT:
        if frame.input_node is None:
            raise ArgumentError("'input' is read before the network has an input", expr.span,
                                code="E328")
        return frame.input_node
    if expr.name in frame.values:
        return frame.values[expr.name]
    if expr.name == _SHORTCUT:
        raise ArgumentError("'shortcut' is what a merge adds ('add shortcut'); a layer reads "
                            "the block's input as 'input'", expr.span, code="E328")
    where_ = "layer of this block" if frame.block_input is not None else "layer"
    raise unknown(expr.name, expr.span, [_INPUT, *frame.values], where_)


def _merge(run: Elaboration, frame: Frame, layer: ast.Layer, op: Op, current: str) -> str:
    """`add shortcut` (the residual sum, shaped by the shortcut option), `add a, b`,
    `concat a, b, c`, `mul gate`: a merge names what it merges; one name is merged with the
    previous statement's value (`concat` puts the named one first, as DenseNet)."""
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
    if _SHORTCUT in names:
        return _shortcut_merge(run, frame, layer, op, args, names, current)
    inputs = [_value(frame, e, op.name) for e in layer.args]
    if len(inputs) == 1:
        inputs = [inputs[0], current] if op.name == "concat" else [current, inputs[0]]
    shapes = [run.builder.shape(i) for i in inputs]
    if op.name == "add" and len(set(shapes)) > 1:
        given = ", ".join(f"{i[len(frame.prefix):]} gives {'x'.join(map(str, s))}"
                          for i, s in zip(inputs, shapes))
        where = f" (in block {frame.prefix[:-1]})" if frame.prefix else ""
        raise ShapeError(f"add needs values of one shape, but {given}{where}", layer.span,
                         code="E401", hint="give the branches the same width and stride")
    node = frame.node_id(layer.label, op.name, layer.span)
    _add(run, frame, node, op.name, args, inputs, layer.span, ["residual", "shortcut"] if marked else None)
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
    residual = current if len(names) == 1 else _value(frame, layer.args[names.index(_SHORTCUT) ^ 1], op.name)
    ends = {"residual": residual, "shortcut": frame.block_input}
    if op.residual:
        policy = POLICIES[frame.policy]
        ends["shortcut"] = policy.build(run.builder, frame.prefix, frame.node_scope,
                                        frame.block_input, run.builder.shape(residual), layer.span,
                                        _projection_source(frame, layer), policy, frame.projection)
        if ends["shortcut"] is None:
            return residual
        op, args = _policy_merge(op, OPS[policy.merge], args, layer)
    node = frame.node_id(layer.label, op.name, layer.span)
    try:
        _add(run, frame, node, op.name, args, [ends[role] for role in op.ports], layer.span,
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


def _projection_source(frame: Frame, layer: ast.Layer) -> str:
    """The block's input, or the value that `project_from` names (`relu1`: pre-activation
    nets project the normalised input)."""
    given = [k for k in layer.kwargs if k.name == "project_from"]
    if not given:
        return frame.block_input
    return _value(frame, given[0].value, "project_from")


def _policy_merge(written: Op, merge: Op, args: dict, layer: ast.Layer) -> tuple[Op, dict]:
    """The policy's merge op in place of the written one, keeping the arguments it has."""
    if merge is written:
        return written, args
    for name, value in args.items():
        if merge.arg(name) is None and value != written.arg(name).default:
            raise ArgumentError(f"with shortcuts merged by '{merge.name}', {written.name} takes no "
                                f"'{name}'", argument_span(layer, written, name), code="E327",
                                hint=f"leave '{name}' out, or choose shortcuts that add")
    return merge, {k: v for k, v in args.items() if merge.arg(k) is not None}


def _block(run: Elaboration, frame: Frame, block: BlockRef, *rest) -> str:
    begin = len(run.builder.added)
    output = _expand(run, frame, block, *rest)
    if not frame.stack:  # a block of the network itself
        run.blocks.append(run.builder.added[begin:])
    return output


def _expand(run: Elaboration, frame: Frame, block: BlockRef, values: list, spans: list[Span],
            named: dict, call_span: Span, prefix: str, node_scope: dict, policy: str,
            current: str) -> str:
    definition = block.definition
    if block.name in frame.stack:
        chain = " -> ".join(frame.stack + (block.name,))
        raise ArgumentError(f"block '{block.name}' uses itself ({chain})", call_span, code="E323",
                            hint="blocks cannot be recursive; repeat them with a stage instead")
    if len(frame.stack) >= LIMITS.block_depth:
        raise LimitError(f"blocks nest more than {LIMITS.block_depth} deep", call_span, code="E606")
    for key, value, span in block.fixed:
        if key in named:
            raise ArgumentError(f"'{key}' is already fixed by {block}", named[key][1], code="E309")
    named = {**{key: (value, span) for key, value, span in block.fixed}, **named}
    known = {IN_CHANNELS: run.builder.shape(current)[0]}
    replay_key = (block.name, id(definition), _frozen(values),
                  _frozen({k: v for k, (v, _) in named.items()}), policy, frame.projection,
                  run.builder.shape(current), frame.stack)
    if run.templates.get(replay_key):
        template, labelled = run.templates[replay_key]
        output = run.builder.replay(template, prefix, node_scope, current)
        run.named.update((prefix + name, prefix + name) for name in labelled)
        return output
    env = bind_params(block.name, "block", definition.params, values, spans, named, call_span,
                      block.scope, known)
    inner = Frame({**known, **env}, block.scope, prefix, policy, node_scope, block_input=current,
                  stack=frame.stack + (block.name,), input_node=current, projection=frame.projection)
    block_input, start = current, len(run.builder.added)
    for stmt in definition.body:
        current = _statement(run, inner, stmt, current)
    if replay_key not in run.templates:
        template = run.builder.template(start, prefix, node_scope, block_input, current)
        labelled = [n[len(prefix):] for n in run.builder.added[start:] if n in run.named]
        run.templates[replay_key] = (template, labelled) if template else None
    return current


def _frozen(value: Any) -> Any:
    """An argument value as part of a dictionary key: types kept apart (`true` is not 1)."""
    if isinstance(value, dict):
        return tuple((k, _frozen(v)) for k, v in sorted(value.items()))
    if isinstance(value, list):
        return ("list", tuple(_frozen(v) for v in value))
    if isinstance(value, BlockRef):
        fixed = tuple((k, _frozen(v)) for k, v, _ in value.fixed)
        return ("block", value.name, id(value.definition), fixed)
    return (type(value).__name__, value)


_BLOCK_NAME = re.compile(r"([A-Za-z0-9_-]*)\{(\d+)\}([A-Za-z0-9_-]*)")


def _block_names(kw: ast.Kwarg, frame: Frame) -> str:
    """`names: "denselayer{1}"` (torchvision's DenseNet), `"block1-{0}"` (RegNet): the blocks'
    names, `{N}` the block's number counted from N."""
    value = evaluate(kw.value, frame.lookup)
    if not isinstance(value, str) or not _BLOCK_NAME.fullmatch(value):
        raise ArgumentError("'names' is a pattern such as \"denselayer{1}\": letters, digits, "
                            "'_' or '-', and {N} where the block's number goes, counted from N",
                            kw.value.span, code="E320")
    return value


def _block_name(pattern: str, index: int) -> str:
    before, start, after = _BLOCK_NAME.fullmatch(pattern).groups()
    return f"{before}{index + int(start)}{after}"


def _stage(run: Elaboration, frame: Frame, stage: ast.Stage, current: str) -> str:
    callee = _callee(frame, stage.block, stage.block_span)
    if not isinstance(callee, BlockRef):
        raise ArgumentError(f"a stage repeats a block, and '{stage.block}' is an op", stage.block_span,
                            code="E324", hint=f"define a block that holds the {stage.block}")
    repeat = 1
    if stage.repeat is not None:
        value = evaluate(stage.repeat, frame.lookup)
        if isinstance(value, bool) or not isinstance(value, int):
            raise ArgumentError(f"a repeat count is a whole number, not {describe(value)}",
                                stage.repeat.span, code="E320")
        if value < 1:
            raise ArgumentError(f"stage '{stage.name}' repeats its block {value} times; it needs at least 1",
                                stage.repeat.span, code="E322")
        if value > LIMITS.repeat or value * max(1, len(callee.definition.body)) > LIMITS.layers:
            raise LimitError(f"repeat count {value} is over the limit", stage.repeat.span,
                             code="E603", hint="raise RESDSL_MAX_REPEAT or RESDSL_MAX_LAYERS")
        repeat = value
    policy = frame.policy
    first: dict[str, tuple[Any, Span]] = {}
    first_block = callee  # `first: other_block` gives the first block separately
    names = "{0}"  # `names: "denselayer{1}"`: how the blocks are named, counted from 1
    for kw in stage.first_kwargs:
        if kw.name == "names":
            names = _block_names(kw, frame)
            continue
        if kw.name == "first":
            first_block = evaluate(kw.value, frame.lookup)
            if not isinstance(first_block, BlockRef):
                raise ArgumentError(f"'first' names the block a stage starts with, not "
                                    f"{describe(first_block)}", kw.value.span, code="E324")
            continue
        if kw.name == "shortcuts":
            if not isinstance(kw.value, ast.Var):
                raise ArgumentError("'shortcuts' takes an option such as A, B, C or none",
                                    kw.value.span, code="E320")
            policy = policy_name(kw.value.name, kw.value.span)
            continue
        first[kw.name] = (evaluate(kw.value, frame.lookup), kw.span)
    values = [evaluate(e, frame.lookup) for e in stage.args]
    shared = {k.name: (evaluate(k.value, frame.lookup), k.span) for k in stage.kwargs}
    for key, (_, span) in first.items():
        if key in shared:
            raise ArgumentError(f"'{key}' is given twice", span, code="E309")
    stage_prefix = frame.node_id(stage.name, stage.name, stage.span) + "."
    first_node = None
    for index in range(repeat):
        named = {**shared, **(first if index == 0 else {})}
        block = first_block if index == 0 else callee
        node_scope = {"stage": stage.name, "block": index, "block_type": block.name}
        before = len(run.builder.added)
        current = _block(run, frame, block, values, [e.span for e in stage.args], named, stage.span,
                         f"{stage_prefix}{_block_name(names, index)}.", node_scope, policy, current)
        if first_node is None and len(run.builder.added) > before:
            first_node = run.builder.added[before]
    run.stages.append({"name": stage.name, "title": stage.title, "block": callee.name,
                       "repeat": repeat, "first": first_node, "last": current})
    run.stage_spans[stage_prefix[:-1]] = stage.span
    frame.values[stage.name] = current
    return current
