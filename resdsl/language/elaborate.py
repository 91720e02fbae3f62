"""AST to graph: bind parameters, expand blocks and stages, apply the shortcut policy.

No torch here. Shapes are propagated as nodes are added, because the shortcut policy needs them
(a projection exists only where dimensions change).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, overload

import networkx as nx

from ..core.errors import ArgumentError, LimitError, ResdslError, Span, given_twice
from ..core.limits import LIMITS
from ..netgraph.builder import GraphBuilder, layer_nodes
from ..netgraph.meta import NetworkMeta, Output, Stage
from ..netgraph.ops import ALIASES, OPS, Op, source_ops
from ..netgraph.shortcuts import DEFAULT_POLICY, Projection
from . import ast
from .arguments import op_arguments
from .auxiliary import loss_weight
from .evaluate import IN_CHANNELS, BlockRef, LinearDecay, OpRef, describe, evaluate, unknown, unknown_op
from .expansion import Call, Elaboration, Frame, add_node, evaluated, value_of
from .merges import merge
from .networks import NetworkSpec, bind_params, budget_checks, expect_checks, input_shape, policy_name
from .reserved import DEFAULT_NAMES, FIRST, NAMES, SHORTCUTS, block_name, checked_names, reads
from .shortcut_options import projection_options


def elaborate(spec: NetworkSpec) -> nx.DiGraph:
    """Build the layer graph of one network."""
    definition = spec.definition
    run = Elaboration(GraphBuilder(spec.name), spec, checks=list(spec.checks))
    policy = spec.shortcuts[0] if spec.shortcuts else DEFAULT_POLICY
    frame = Frame(dict(spec.bindings), spec.scope, "", policy, {})
    if spec.input:
        run.input = spec.input[0]
    if spec.outputs:
        run.outputs = list(spec.outputs)
    current = None
    for stmt in definition.body:
        current = _statement(run, frame, stmt, current)
    if current is None:
        raise ArgumentError(f"network '{definition.name}' has no layers", definition.span, code="E315")
    assert run.input is not None, "the first layer's input node needs the input shape"
    graph = run.builder.graph
    outputs = _outputs(run, current)
    stages = _prune(graph, outputs, run.stages) if run.outputs else run.stages
    _scheduled_rates(graph, run.blocks)
    NetworkMeta(spec.name, definition.name, run.input, outputs, stages, shortcuts=frame.policy,
                checks=run.checks, params=dict(spec.bindings), span=spec.span,
                stage_spans=run.stage_spans).write(graph)
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


def _outputs(run: Elaboration, last: str) -> list[Output]:
    stage_ends = {s.name: s.last for s in run.stages}

    def output(name: str, span: Span, auxiliary: bool = False, weight: float | None = None) -> Output:
        node = stage_ends.get(name) or run.named.get(name)
        if node is None:
            raise unknown(name, span, set(stage_ends) | set(run.named), "stage or layer")
        return Output(name, node, auxiliary, weight)

    outputs = [output(name, span) for name, span in run.outputs] or [Output("out", last)]
    if run.spec.outputs is None:  # taps (`with outputs`) replace the auxiliary heads too
        outputs += [output(name, span, True, weight) for name, span, weight in run.auxiliary]
    return outputs


def _prune(graph: nx.DiGraph, outputs: list[Output], stages: list[Stage]) -> list[Stage]:
    """Drop the layers no output depends on (a classifier's head behind a backbone's taps);
    returns the stages that remain."""
    needed = {o.node for o in outputs}
    for node in list(needed):
        needed |= nx.ancestors(graph, node)
    if len(needed) == graph.number_of_nodes():
        return stages
    graph.remove_nodes_from([n for n in graph if n not in needed])
    return [s for s in stages if s.last in needed]




# -- statements ------------------------------------------------------------------------------------

@overload  # after a value (always so in a block), a statement leaves a value
def _statement(run: Elaboration, frame: Frame, stmt: ast.Statement, current: str) -> str: ...


@overload
def _statement(run: Elaboration, frame: Frame, stmt: ast.Statement, current: None) -> str | None: ...


def _statement(run: Elaboration, frame: Frame, stmt: ast.Statement, current: str | None) -> str | None:
    """One statement of a network's or a block's body; returns the value the next one reads
    (None in a network before its first layer)."""
    declare = _DECLARATIONS.get(type(stmt))
    if declare is not None:
        if frame.stack:  # a block's body
            raise ArgumentError(f"'{declare[0]}' belongs in a network, not in a block", stmt.span,
                                code="E316")
        declare[1](run, frame, stmt)
        return current
    if isinstance(stmt, ast.ShortcutsDecl):
        if frame.stack or not run.spec.shortcuts:  # `with shortcuts X` sets the network's option;
            frame.policy = policy_name(stmt.kind, stmt.kind_span or stmt.span)  # the statement
        frame.projection = _projection(stmt, frame)  # still says how it projects
        return current
    if current is None:
        current = _input_node(run, frame, stmt)
    if isinstance(stmt, ast.Stage):
        return _stage(run, frame, stmt, current)
    assert isinstance(stmt, ast.Layer), f"a statement left unhandled: {type(stmt).__name__}"
    return _layer(run, frame, stmt, current)


def _input(run: Elaboration, _frame: Frame, stmt: ast.InputDecl) -> None:
    if run.input is None or run.spec.input is None:  # `with input ...` replaces the network's own
        run.input = input_shape(stmt.shape, stmt.span)


def _budget(run: Elaboration, frame: Frame, stmt: ast.Budget) -> None:
    run.checks += budget_checks(stmt, frame.lookup)


def _expect(run: Elaboration, frame: Frame, stmt: ast.Expect) -> None:
    # a published multiply-add count holds at the network's own input size only
    run.checks += [c for c in expect_checks(stmt, frame.lookup)
                   if run.spec.input is None or c.metric != "flops"]


def _taps(run: Elaboration, _frame: Frame, stmt: ast.OutputsDecl) -> None:
    if run.spec.outputs is None:  # `with outputs ...` replaces the network's own taps
        run.outputs += list(stmt.names)


def _auxiliary(run: Elaboration, frame: Frame, stmt: ast.AuxiliaryDecl) -> None:
    weight = loss_weight(stmt, frame.lookup)
    run.auxiliary += [(name, span, weight) for name, span in stmt.names]


def _defaults(run: Elaboration, frame: Frame, stmt: ast.DefaultsDecl) -> None:
    for entry in stmt.entries:
        op = _callee(frame, entry.op, entry.op_span)
        if not isinstance(op, Op) or op.arity == -1:
            what = f"the block '{op.name}'" if isinstance(op, BlockRef) else f"the merge '{op.name}'"
            raise ArgumentError(f"'defaults' sets an op's arguments, and {what} takes its own",
                                entry.op_span, code="E320",
                                hint="give a block's arguments where it is used, or fix them: "
                                     f"'{op.name}(stride: 2)'" if isinstance(op, BlockRef) else None)
        given = op_arguments(op, entry, frame.lookup)
        run.builder.defaults[op.name] = {**run.builder.defaults.get(op.name, {}), **given}
    run.templates.clear()  # blocks expanded before took the earlier defaults


# the statements only a network holds: their keyword, and what they do
_DECLARATIONS = {ast.InputDecl: ("input", _input), ast.OutputsDecl: ("outputs", _taps),
                 ast.Budget: ("budget", _budget), ast.Expect: ("expect", _expect),
                 ast.DefaultsDecl: ("defaults", _defaults), ast.AuxiliaryDecl: ("auxiliary", _auxiliary)}


def _input_node(run: Elaboration, frame: Frame, stmt: ast.Statement) -> str:
    """The network's input node, added before its first layer or stage."""
    definition = run.spec.definition
    if run.input is None:
        raise ArgumentError(f"network '{definition.name}' has no input", stmt.span,
                            code="E314", hint="start the network with 'input 3x224x224'")
    frame.input_node = run.builder.add_op("input", "input", {"shape": run.input}, [],
                                          definition.span, {})
    return frame.input_node


def _projection(stmt: ast.ShortcutsDecl, frame: Frame) -> Projection:
    policy_name(stmt.kind, stmt.kind_span or stmt.span)
    return projection_options(stmt, lambda op, layer: op_arguments(op, layer, frame.lookup), frame.lookup)


# -- layers and blocks ---------------------------------------------------------------------------

def _callee(frame: Frame, name: str, span: Span) -> Op | BlockRef:
    if name in frame.env:
        value = frame.env[name]
        if isinstance(value, BlockRef):
            return value
        if isinstance(value, OpRef):  # `block b(act = relu) { act }`
            return OPS[value.name]
        raise ArgumentError(f"'{name}' is {describe(value)}, not a block or op", span, code="E317")
    found = frame.scope.lookup(name)
    if found is not None and isinstance(found[0], ast.BlockDef):
        return BlockRef(name, found[0], found[1])
    if name in OPS and not OPS[name].internal:
        return OPS[name]
    if found is not None:
        raise ArgumentError(f"'{name}' is a network and cannot be used as a layer", span, code="E305")
    known = set(source_ops()) | frame.scope.blocks()
    raise unknown_op(name, span, known, ALIASES)


def _layer(run: Elaboration, frame: Frame, layer: ast.Layer, current: str) -> str:
    callee = _callee(frame, layer.op, layer.op_span)
    given, layer = reads(layer)  # `from: NAME`: the block's `input` or an earlier layer, block
    if given is not None:  # or stage of this body; else the previous statement's value
        current = value_of(frame, given.value, given.name)
    if isinstance(callee, BlockRef):
        values, spans, named = evaluated(frame, layer.args, layer.kwargs)
        prefix = frame.node_id(layer.label, callee.name, layer.span) + "."
        # a block the network calls outside any stage records its path, so reports can row it
        scope = frame.node_scope if frame.stack else {"block_path": prefix[:-1], "block_type": callee.name}
        call = Call(callee, values, spans, named, layer.span, prefix, scope, frame.policy)
        output = _block(run, frame, call, current)
        frame.values[prefix[:-1][len(frame.prefix):]] = output
        return output
    if callee.arity == -1:
        return merge(run, frame, layer, callee, current)
    args = op_arguments(callee, layer, frame.lookup)
    node = frame.node_id(layer.label, callee.name, layer.span)
    add_node(run, frame, node, callee.name, args, [current], layer.span)
    frame.values[node[len(frame.prefix):]] = node
    if layer.label:
        run.named[node] = node
    return node


def _block(run: Elaboration, frame: Frame, call: Call, current: str) -> str:
    begin = len(run.builder.added)
    try:
        output = _expand(run, frame, call, current)
    except ResdslError as err:
        if not frame.stack:  # the network's own statement that led there
            _note_call(err, call)
        raise
    if not frame.stack:  # a block of the network itself
        run.blocks.append(run.builder.added[begin:])
    return output


def _note_call(err: ResdslError, call: Call) -> None:
    """An error inside a block written once and used many times: a note shows the network's
    statement that made this block (`stage layer2: ...`)."""
    for error in err.errors:
        span = error.span
        if span is None or (span.source is call.span.source
                            and call.span.line <= span.line <= call.span.end_line):
            continue  # at the call itself: nothing to add
        error.notes.append((f"in block {call.prefix[:-1]}", call.span))


def _expand(run: Elaboration, frame: Frame, call: Call, current: str) -> str:
    block = call.block
    if block.name in frame.stack:
        chain = " -> ".join(frame.stack + (block.name,))
        raise ArgumentError(f"block '{block.name}' uses itself ({chain})", call.span, code="E323",
                            hint="blocks cannot be recursive; repeat them with a stage instead")
    if len(frame.stack) >= LIMITS.block_depth:
        raise LimitError(f"blocks nest more than {LIMITS.block_depth} deep", call.span, code="E606")
    named = _with_fixed(call)
    replay_key = (block.name, id(block.definition), _frozen(call.values),
                  _frozen({k: v for k, (v, _) in named.items()}), call.policy, frame.projection,
                  run.builder.shape(current), frame.stack)
    cached = run.templates.get(replay_key)
    if cached:
        template, labelled = cached
        output = run.builder.replay(template, call.prefix, call.node_scope, current)
        run.named.update((call.prefix + name, call.prefix + name) for name in labelled)
        return output
    known = {IN_CHANNELS: run.builder.shape(current)[0]}
    env = bind_params(block.name, "block", block.definition.params, call.values, call.spans, named,
                      call.span, block.scope, known)
    inner = Frame({**known, **env}, block.scope, call.prefix, call.policy, call.node_scope,
                  block_input=current, stack=frame.stack + (block.name,), input_node=current,
                  projection=frame.projection)
    block_input, start = current, len(run.builder.added)
    for stmt in block.definition.body:
        current = _statement(run, inner, stmt, current)
    if replay_key not in run.templates:
        template = run.builder.template(start, call.prefix, call.node_scope, block_input, current)
        labelled = [n[len(call.prefix):] for n in run.builder.added[start:] if n in run.named]
        run.templates[replay_key] = (template, labelled) if template else None
    return current


def _with_fixed(call: Call) -> dict[str, tuple[Any, Span]]:
    """The call's keyword arguments and those its block reference fixes (`unit(groups: 4)`)."""
    fixed = call.block.fixed
    for key, _, _ in fixed:
        if key in call.named:
            raise ArgumentError(f"'{key}' is already fixed by {call.block}", call.named[key][1],
                                code="E309")
    return {**{key: (value, span) for key, value, span in fixed}, **call.named}


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


# -- stages --------------------------------------------------------------------------------------

def _stage(run: Elaboration, frame: Frame, stage: ast.Stage, current: str) -> str:
    callee = _callee(frame, stage.block, stage.block_span)
    if not isinstance(callee, BlockRef):
        raise ArgumentError(f"a stage repeats a block, and '{stage.block}' is an op", stage.block_span,
                            code="E324", hint=f"define a block that holds the {stage.block}")
    repeat = _repeat(frame, stage, callee)
    options = _StageOptions(callee, frame.policy)
    options.read(frame, stage)
    values, spans, shared = evaluated(frame, stage.args, stage.kwargs)
    for key, (_, span) in options.first_named.items():
        if key in shared:
            raise given_twice(key, span)
    stage_prefix = frame.node_id(stage.name, stage.name, stage.span) + "."
    path = stage_prefix[:-1]  # a stage inside a block is named by its module path (`layer1.0.units`)
    within = "stage" in frame.node_scope  # ... and its layers row with the outer stage's blocks
    first_node = None
    for index in range(repeat):
        block = options.first_block if index == 0 else callee
        named = {**shared, **(options.first_named if index == 0 else {})}
        prefix = f"{stage_prefix}{block_name(options.names, index)}."
        node_scope = frame.node_scope if within else {"stage": path, "block": index, "block_type": block.name}
        before = len(run.builder.added)
        current = _block(run, frame, Call(block, values, spans, named, stage.span, prefix,
                                          node_scope, options.policy), current)
        if first_node is None and len(run.builder.added) > before:
            first_node = run.builder.added[before]
    run.stages.append(Stage(path, stage.title, callee.name, repeat, first_node, current))
    run.stage_spans[stage_prefix[:-1]] = stage.span
    frame.values[stage.name] = current
    return current


def _repeat(frame: Frame, stage: ast.Stage, callee: BlockRef) -> int:
    """How many blocks a stage holds (`x 4`; 1 when it says no count)."""
    if stage.repeat is None:
        return 1
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
    return value


@dataclass
class _StageOptions:
    """What a stage's arguments after `x N` say (reserved.py names them): the block it starts
    with, its blocks' names, its shortcut option, and the first block's own arguments."""

    first_block: BlockRef
    policy: str
    names: str = DEFAULT_NAMES
    first_named: dict[str, tuple[Any, Span]] = field(default_factory=dict)

    def read(self, frame: Frame, stage: ast.Stage) -> None:
        for kw in stage.first_kwargs:  # in source order: the first mistake is the one reported
            if kw.name == NAMES:
                self.names = checked_names(evaluate(kw.value, frame.lookup), kw)
            elif kw.name == FIRST:
                self.first_block = _first_block(evaluate(kw.value, frame.lookup), kw)
            elif kw.name == SHORTCUTS:
                if not isinstance(kw.value, ast.Var):
                    raise ArgumentError("'shortcuts' takes an option such as A, B, C or none",
                                        kw.value.span, code="E320")
                self.policy = policy_name(kw.value.name, kw.value.span)
            else:
                self.first_named[kw.name] = (evaluate(kw.value, frame.lookup), kw.span)


def _first_block(value: Any, kw: ast.Kwarg) -> BlockRef:
    if not isinstance(value, BlockRef):
        raise ArgumentError(f"'first' names the block a stage starts with, not "
                            f"{describe(value)}", kw.value.span, code="E324")
    return value
