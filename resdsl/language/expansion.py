"""The state of one elaboration: the network being built (`Elaboration`), the body being expanded
(`Frame`), one use of a block (`Call`), and what every statement does with them: take a name, add
a node, read a value."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..core.errors import ArgumentError, Span
from ..core.names import prefixes
from ..netgraph.builder import GraphBuilder
from ..netgraph.meta import Stage
from ..netgraph.shortcuts import Projection
from . import ast
from .evaluate import BlockRef, evaluate, unknown
from .loader import Scope
from .networks import NetworkSpec, value_lookup

# what `from:` and a merge may name besides the layers written before them
INPUT = "input"
SHORTCUT = "shortcut"


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

    def in_block(self) -> str:
        """What a shape error adds inside a block (` (in block layer2.0)`): one block written once
        is many blocks in the network."""
        return f" (in block {self.prefix[:-1]})" if self.prefix else ""


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
    # outputs in training only, each with its loss weight (None: the statement gives none)
    auxiliary: list[tuple[str, Span, float | None]] = field(default_factory=list)
    stages: list[Stage] = field(default_factory=list)
    stage_spans: dict[str, Span] = field(default_factory=dict)  # where each stage is written
    checks: list = field(default_factory=list)  # budgets and expectations
    named: dict[str, str] = field(default_factory=dict)
    # a block expanded once with the same arguments, policy and input shape is replayed
    templates: dict[tuple, tuple | None] = field(default_factory=dict)
    # the nodes of each block the network itself calls, in order (`linear_decay(p, over: blocks)`)
    blocks: list[list[str]] = field(default_factory=list)


@dataclass(frozen=True)
class Call:
    """One use of a block: what it is given, where it is written and where its layers go."""

    block: BlockRef
    values: list  # the positional arguments' values
    spans: list[Span]  # where each is written
    named: dict[str, tuple[Any, Span]]  # the keyword arguments: name -> (value, where)
    span: Span  # the statement that calls it
    prefix: str  # its layers' module path (`layer2.0.`)
    node_scope: dict  # what its nodes record as their scope (stage, block index, block type)
    policy: str  # the shortcut option in force


def evaluated(frame: Frame, args: tuple[ast.Expr, ...], kwargs: tuple[ast.Kwarg, ...]
              ) -> tuple[list, list[Span], dict[str, tuple[Any, Span]]]:
    """A call's arguments as values: the positional ones with their spans, the keyword ones by
    name with theirs."""
    values = [evaluate(e, frame.lookup) for e in args]
    return values, [e.span for e in args], {k.name: (evaluate(k.value, frame.lookup), k.span)
                                            for k in kwargs}


def add_node(run: Elaboration, frame: Frame, node: str, op: str, args: dict, inputs: list[str],
             span: Span, roles: list[str] | None = None) -> str:
    return run.builder.add_op(node, op, args, inputs, span, frame.node_scope, roles=roles,
                              where=frame.in_block())


def value_of(frame: Frame, expr: ast.Expr, where: str) -> str:
    """The node a name reads (`input`, `branch1`, `branch1.0`)."""
    if not isinstance(expr, ast.Var):
        raise ArgumentError(f"'{where}' names a value: 'input' or a layer written before it",
                            expr.span, code="E328")
    if expr.name == INPUT:
        if frame.input_node is None:
            raise ArgumentError("'input' is read before the network has an input", expr.span,
                                code="E328")
        return frame.input_node
    if expr.name in frame.values:
        return frame.values[expr.name]
    if expr.name == SHORTCUT:
        raise ArgumentError("'shortcut' is what a merge adds ('add shortcut'); a layer reads "
                            "the block's input as 'input'", expr.span, code="E328")
    where_ = "layer of this block" if frame.block_input is not None else "layer"
    raise unknown(expr.name, expr.span, [INPUT, *frame.values], where_)
