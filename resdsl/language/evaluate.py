"""Expressions to values. The AST is evaluated directly: user text is never run as Python."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from ..core.errors import ArgumentError, LimitError, ResdslError, Span, UnknownName, did_you_mean, given_twice
from ..core.limits import LIMITS
from ..netgraph.ops import UNLIKE, source_ops
from . import ast
from .functions import FUNCTIONS, call_function


class Dims(tuple):
    """A size written as `3x3` or `3x224x224`."""

    def __str__(self) -> str:
        return "x".join(str(d) for d in self)


@dataclass(frozen=True)
class BlockRef:
    """A block definition passed around as a value (`resnet(basic, ...)`)."""

    name: str
    definition: ast.BlockDef
    scope: Any  # loader.Scope
    fixed: tuple[tuple[str, Any, Span], ...] = ()  # arguments given by `name(key: value)`

    def __str__(self) -> str:
        if not self.fixed:
            return self.name
        return f"{self.name}(" + ", ".join(f"{k}: {_show(v)}" for k, v, _ in self.fixed) + ")"

    def fix(self, arguments: list[tuple[str, Any, Span]]) -> "BlockRef":
        """This block with more of its arguments fixed."""
        params = [p.name for p in self.definition.params]
        taken = {k for k, _, _ in self.fixed}
        for key, _, span in arguments:
            if key not in params:
                raise unknown(key, span, params, f"parameter of block '{self.name}'")
            if key in taken:
                raise given_twice(key, span)
            taken.add(key)
        return BlockRef(self.name, self.definition, self.scope, self.fixed + tuple(arguments))


@dataclass(frozen=True)
class OpRef:
    """An op passed around as a value (`act = relu`), used where a layer's op goes (`act`)."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class LinearDecay:
    """`linear_decay(0.5)`: a drop rate that grows along the network, stochastic depth's linear
    decay rule (Huang et al. 2016, eq. 4: survival p_l = 1 - l/L (1 - p_L)). The l-th of the L
    layers given it, in network order, drops with probability l/L x `last`: the last one with
    `last`, the first with nearly none. Resolved once the whole network is built.

    `over: blocks` counts the network's blocks instead (every block a stage repeats or the
    network calls, whether or not it holds the layer), so a layer's rate is that of its block's
    place in the whole network; `start: 0` numbers the first counted 0 instead of 1 (it then
    drops nothing and the last drops `last` x (L - 1)/L: torchvision's EfficientNet rule)."""

    last: float
    over: str = "layers"
    start: int = 1

    def rate(self, index: int, count: int) -> float:
        """The rate of the `index`-th (from 0) of `count` counted layers or blocks."""
        return self.last * (index + self.start) / count

    def __str__(self) -> str:
        options = ([f"over: {self.over}"] if self.over != "layers" else []) + \
            ([f"start: {self.start}"] if self.start != 1 else [])
        return f"linear_decay({', '.join([f'{self.last:g}', *options])})"


DECAY_COUNTS = ("layers", "blocks")  # what `linear_decay(p, over: ...)` counts


def _linear_decay(expr: ast.Call, lookup: Callable[[str, Span], Any]) -> LinearDecay:
    if len(expr.args) != 1:
        raise ArgumentError("linear_decay takes one number: the drop rate of the last block",
                            expr.span, code="E327", hint="for example 'drop: linear_decay(0.5)'")
    value = evaluate(expr.args[0], lookup)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
        raise ArgumentError(f"linear_decay's rate is a probability from 0 up to 1 (excluded), not "
                            f"{describe(value)}", expr.args[0].span, code="E327",
                            hint="the paper drops the last block with probability 0.5")
    options: dict[str, Any] = {}
    for kw in expr.kwargs:
        if kw.name in options:
            raise given_twice(kw.name, kw.span)
        if kw.name == "over":
            if not isinstance(kw.value, ast.Var) or kw.value.name not in DECAY_COUNTS:
                raise ArgumentError("linear_decay's 'over' is 'layers' (the layers given it, the "
                                    "default) or 'blocks' (every block of the network)",
                                    kw.value.span, code="E327")
            options["over"] = kw.value.name
        elif kw.name == "start":
            first = evaluate(kw.value, lookup)
            if isinstance(first, bool) or first not in (0, 1):
                raise ArgumentError(f"linear_decay's 'start' is 0 or 1 (the number of the first "
                                    f"block counted), not {describe(first)}", kw.value.span,
                                    code="E327", hint="'start: 0' gives the first block no drop")
            options["start"] = int(first)
        else:
            raise unknown(kw.name, kw.span, ["over", "start"], "argument of linear_decay")
    return LinearDecay(float(value), **options)


# values written like calls that are not blocks: `drop: linear_decay(0.5)`
SCHEDULES = {"linear_decay": _linear_decay}
SCHEDULE_WORDS = frozenset({"over"})  # a schedule's options given as a bare word (`over: blocks`)


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return f'"{value}"' if isinstance(value, str) else str(value)


BUILTINS = {"true": True, "false": False}

# Known in a block's body and parameter defaults: the channel count of the block's input
# (DenseNet's transition halves it: `conv 1x1, in_channels // 2`).
IN_CHANNELS = "in_channels"


def outside_block(span: Span) -> UnknownName:
    return UnknownName(f"'{IN_CHANNELS}' is known inside a block only", span, code="E207",
                       hint="it is the channel count of the block's input; give a network a number")


def describe(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return f"the number {value}"
    if isinstance(value, float):
        return f"the number {value:g}"
    if isinstance(value, Dims):
        return f"the size {value}"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, BlockRef):
        return f"the block '{value.name}'"
    if isinstance(value, str):
        return f"the string \"{value}\""
    if isinstance(value, LinearDecay):
        return f"the schedule {value}"
    if isinstance(value, OpRef):
        return f"the op '{value.name}'"
    return type(value).__name__


def evaluate(expr: ast.Expr, lookup: Callable[[str, Span], Any]) -> Any:
    """Evaluate `expr`; `lookup(name, span)` resolves a variable or raises."""
    if isinstance(expr, ast.Number):
        return expr.value
    if isinstance(expr, ast.DimsLit):
        return Dims(expr.values)
    if isinstance(expr, ast.StringLit):
        return expr.value
    if isinstance(expr, ast.Var):
        return lookup(expr.name, expr.span)
    if isinstance(expr, ast.ListLit):
        return [evaluate(item, lookup) for item in expr.items]
    if isinstance(expr, ast.Index):
        return _index(expr, lookup)
    if isinstance(expr, ast.Call):
        return _call(expr, lookup)
    if isinstance(expr, ast.Conditional):
        return _conditional(expr, lookup)
    if isinstance(expr, ast.Negate):
        return -_number(evaluate(expr.operand, lookup), expr.operand.span, "-")
    if isinstance(expr, ast.Not) or isinstance(expr, ast.BinOp) and expr.op in ("and", "or"):
        return _logical(expr, lookup)
    if isinstance(expr, ast.BinOp):
        left = _number(evaluate(expr.left, lookup), expr.left.span, expr.op)
        right = _number(evaluate(expr.right, lookup), expr.right.span, expr.op)
        return _arithmetic(expr.op, left, right, expr)
    raise AssertionError(f"unknown expression {expr!r}")


def _index(expr: ast.Index, lookup: Callable[[str, Span], Any]) -> Any:
    base = evaluate(expr.base, lookup)
    index = evaluate(expr.index, lookup)
    if not isinstance(base, list):
        raise ArgumentError(f"only a list can be indexed, but this is {describe(base)}",
                            expr.base.span, code="E301")
    if not isinstance(index, int) or isinstance(index, bool):
        raise ArgumentError(f"a list index must be a whole number, not {describe(index)}",
                            expr.index.span, code="E301")
    if not -len(base) <= index < len(base):
        raise ArgumentError(f"index {index} is out of range for a list of {len(base)}",
                            expr.index.span, code="E302",
                            hint=f"valid indices are 0 to {len(base) - 1}" if base else None)
    return base[index]


def _call(expr: ast.Call, lookup: Callable[[str, Span], Any]) -> Any:
    """A schedule (`linear_decay(0.5)`), a function of numbers (`max(32, w // 2)`), or a block
    with arguments fixed (`bottleneck(groups: 32)`)."""
    if expr.name in SCHEDULES:
        return SCHEDULES[expr.name](expr, lookup)
    if expr.name in FUNCTIONS:
        return call_function(expr.name, [(evaluate(a, lookup), a.span) for a in expr.args],
                             [(k.name, evaluate(k.value, lookup), k.value.span) for k in expr.kwargs],
                             expr.span, describe)
    return _fix_block(expr, lookup)


def _conditional(expr: ast.Conditional, lookup: Callable[[str, Span], Any]) -> Any:
    test = evaluate(expr.test, lookup)
    if not isinstance(test, bool):
        raise ArgumentError(f"the test of 'if' is a comparison such as 'stride > 1', not "
                            f"{describe(test)}", expr.test.span, code="E301")
    return evaluate(expr.then if test else expr.otherwise, lookup)


def _fix_block(expr: ast.Call, lookup: Callable[[str, Span], Any]) -> BlockRef:
    block = lookup(expr.name, expr.name_span)
    if not isinstance(block, BlockRef):
        raise ArgumentError(f"only a block can be given arguments in an expression, and "
                            f"'{expr.name}' is {describe(block)}", expr.name_span, code="E325")
    if expr.args:
        raise ArgumentError(f"arguments fixed on a block are named, as in "
                            f"'{expr.name}(stride: 2)'", expr.args[0].span, code="E326",
                            hint="the block's positional arguments come where it is used")
    return block.fix([(k.name, evaluate(k.value, lookup), k.span) for k in expr.kwargs])


def _logical(expr: ast.BinOp | ast.Not, lookup: Callable[[str, Span], Any]) -> bool:
    """`not a`, `a and b`, `a or b` of switches; the right one is read only where it decides."""
    if isinstance(expr, ast.Not):
        return not _switch(evaluate(expr.operand, lookup), expr.operand.span, "not")
    left = _switch(evaluate(expr.left, lookup), expr.left.span, expr.op)
    if left == (expr.op == "or"):
        return left
    return _switch(evaluate(expr.right, lookup), expr.right.span, expr.op)


def _switch(value: Any, span: Span, op: str) -> bool:
    if not isinstance(value, bool):
        raise ArgumentError(f"'{op}' needs true or false (a comparison such as 'stride > 1'), "
                            f"but this is {describe(value)}", span, code="E301")
    return value


def _number(value: Any, span: Span, op: str) -> int | float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"'{op}' needs numbers, but this is {describe(value)}", span, code="E301")
    return value


def _arithmetic(op: str, left, right, expr: ast.BinOp):
    try:
        value = _operate(op, left, right, expr)
    except OverflowError:  # a float from an integer too large for one
        value = math.inf
    if isinstance(value, float) and not math.isfinite(value) or abs(value) > LIMITS.magnitude:
        raise LimitError(f"'{op}' makes a number too large to be a size or a count (over "
                         f"1e{len(str(LIMITS.magnitude)) - 1})", expr.span, code="E611")
    return value


COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "<": lambda a, b: a < b, "<=": lambda a, b: a <= b, ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b, "==": lambda a, b: a == b, "!=": lambda a, b: a != b,
}


def _operate(op: str, left, right, expr: ast.BinOp):
    if op in COMPARISONS:
        return COMPARISONS[op](left, right)
    if op == "+":
        return left + right
    if op == "-":
        return left - right
    if op == "*":
        return left * right
    if right == 0:
        raise ArgumentError("division by zero", expr.right.span, code="E303")
    if op == "//":
        return left // right
    quotient = left / right
    # `/` keeps whole numbers whole, so `width / 2` can still be a channel count.
    return int(quotient) if quotient.is_integer() and isinstance(left, int) and isinstance(right, int) else quotient


def unknown(name: str, span: Span | None, known, kind: str = "name", aliases=None) -> UnknownName:
    if name in SCHEDULES:  # a schedule's name without its call
        return UnknownName(f"'{name}' is written with its rate", span,
                           hint=f"for example '{name}(0.5)'", code="E202")
    if name.lower() in _SWITCH_WORDS:  # `bias: True`, `bias: yes`: a switch as other languages write it
        return UnknownName(f"unknown {kind} '{name}'", span, code="E202",
                           hint=f"write '{_SWITCH_WORDS[name.lower()]}': the language's switches are "
                                "true and false, in lower case")
    return UnknownName(f"unknown {kind} '{name}'", span, hint=did_you_mean(name, known, aliases),
                       code="E202")


def option_errors(options, allowed: tuple[str, ...], statement: str) -> list[ResdslError]:
    """A statement's unknown or repeated options (`shortcuts`, `auxiliary`), as errors: the
    static pass reports them all at once."""
    errors: list[ResdslError] = []
    seen = set()
    for kw in options:
        if kw.name not in allowed:
            errors.append(unknown(kw.name, kw.span, allowed, f"option of {statement}"))
        elif kw.name in seen:
            errors.append(given_twice(kw.name, kw.span))
        seen.add(kw.name)
    return errors


_SWITCH_WORDS = {"true": "true", "false": "false", "yes": "true", "no": "false", "on": "true",
                 "off": "false"}


def unknown_op(name: str, span: Span | None, known, aliases=None) -> UnknownName:
    """An unknown op or block: the closest name, unless the closest op computes something else
    (`conv1d` is not `conv`), where the message lists what exists instead."""
    if name.lower() in UNLIKE:
        return UnknownName(f"unknown op '{name}': {UNLIKE[name.lower()]}", span, code="E202",
                           hint="the ops are " + ", ".join(source_ops()))
    return unknown(name, span, known, "op or block", aliases)
