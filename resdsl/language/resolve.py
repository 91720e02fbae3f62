"""A static pass over a file's definitions: every unknown name, reported together.

Elaboration stops at its first error; this pass runs first so that a file with several typos
gets all of them in one go.
"""

from __future__ import annotations

from ..core.errors import ResdslError
from ..netgraph.ops import ALIASES, ARGUMENT_HINTS, OPS, source_ops
from ..netgraph.shortcuts import POLICIES, POLICY_ALIASES
from . import ast
from .auxiliary import check_option_names as auxiliary_options
from .evaluate import BUILTINS, IN_CHANNELS, SCHEDULE_WORDS, SCHEDULES, outside_block, unknown, unknown_op
from .functions import FUNCTIONS
from .loader import Scope
from .reserved import READS, SHORTCUTS, first_block_args
from .shortcut_options import OPTIONS, SHORTCUT, check_option_names


def check_names(scope: Scope) -> list[ResdslError]:
    errors: list[ResdslError] = []
    for item in scope.module.items:
        if isinstance(item, (ast.BlockDef, ast.NetworkDef)):
            _definition(scope, item, errors)
        elif isinstance(item, ast.Instance):
            if scope.lookup(item.base) is None:
                errors.append(unknown(item.base, item.base_span, scope.names(), "network"))
            for expr in _instance_exprs(item):
                _expression(scope, expr, set(), errors)
    return errors


def _blocks(scope: Scope) -> set[str]:
    return scope.blocks()


def _definition(scope: Scope, item, errors: list[ResdslError]) -> None:
    params = {p.name for p in item.params}
    if isinstance(item, ast.BlockDef):
        params.add(IN_CHANNELS)
    for p in item.params:
        if p.default is not None:
            _expression(scope, p.default, params, errors)
    for stmt in item.body:
        if isinstance(stmt, ast.Layer):
            _callee(scope, stmt.op, stmt.op_span, params, stmt.kwargs, errors)
            for expr in _value_args(scope, stmt, params):
                _expression(scope, expr, params, errors)
        elif isinstance(stmt, ast.Stage):
            _stage(scope, stmt, params, errors)
        elif isinstance(stmt, ast.ShortcutsDecl):
            _shortcuts(scope, stmt, params, errors)
        elif isinstance(stmt, ast.AuxiliaryDecl):
            _auxiliary(scope, stmt, params, errors)
        elif isinstance(stmt, ast.DefaultsDecl):
            for entry in stmt.entries:  # a block named here is refused when it is built
                if scope.lookup(entry.op) is None:
                    _callee(scope, entry.op, entry.op_span, params, entry.kwargs, errors)
                for expr in _value_args(scope, entry, params):
                    _expression(scope, expr, params, errors)


def _stage(scope: Scope, stmt: ast.Stage, params: set[str], errors: list[ResdslError]) -> None:
    _callee(scope, stmt.block, stmt.block_span, params, stmt.kwargs + first_block_args(stmt), errors)
    exprs = stmt.args + tuple(k.value for k in stmt.kwargs + stmt.first_kwargs if k.name != SHORTCUTS)
    for expr in exprs + ((stmt.repeat,) if stmt.repeat is not None else ()):
        _expression(scope, expr, params, errors)
    for k in stmt.first_kwargs:
        if k.name == SHORTCUTS and isinstance(k.value, ast.Var) and k.value.name not in POLICIES:
            errors.append(unknown(k.value.name, k.value.span, POLICIES, "shortcut option", POLICY_ALIASES))


def _shortcuts(scope: Scope, stmt: ast.ShortcutsDecl, params: set[str], errors: list[ResdslError]) -> None:
    if stmt.kind not in POLICIES:
        errors.append(unknown(stmt.kind, stmt.kind_span or stmt.span, POLICIES,
                              "shortcut option", POLICY_ALIASES))
    errors += check_option_names(stmt)
    for kw in stmt.options:  # the names, the bias, a norm's arguments: expressions
        if kw.name == "norm":  # `groupnorm(16)`: a norm's name is no expression, its arguments are
            call = kw.value if isinstance(kw.value, ast.Call) else None
            values = call.args + tuple(k.value for k in call.kwargs) if call else ()
        else:
            values = (kw.value,) if kw.name in OPTIONS else ()
        for value in values:
            _expression(scope, value, params, errors)


def _auxiliary(scope: Scope, stmt: ast.AuxiliaryDecl, params: set[str], errors: list[ResdslError]) -> None:
    errors += auxiliary_options(stmt)
    for kw in stmt.options:  # `weight: w`: an expression
        _expression(scope, kw.value, params, errors)


def _value_args(scope: Scope, layer: ast.Layer, params: set[str]):
    """A layer's argument expressions, less the bare words an op takes (`add shortcut`) and the
    values it reads (`from: branch1`, a merge's `a, b`: checked where the graph is built)."""
    op = OPS.get(layer.op)
    kwargs = tuple(k for k in layer.kwargs if k.name != READS
                   and not (k.name == SHORTCUT and op is not None and op.arity == -1))
    if op is None or layer.op in params or scope.lookup(layer.op) is not None:
        yield from layer.args + tuple(k.value for k in kwargs)
        return
    for spec, expr in zip(() if op.arity == -1 else op.args, layer.args):
        if spec.kind != "symbol":
            yield expr
    for kw in kwargs:
        named = op.arg(kw.name)
        if named is None or named.kind != "symbol":
            yield kw.value


def _callee(scope: Scope, name: str, span, params: set[str], kwargs, errors) -> None:
    if name in params:
        return  # a block passed in as an argument: checked when it is bound
    found = scope.lookup(name)
    if found is not None and isinstance(found[0], ast.BlockDef):
        allowed = {p.name for p in found[0].params}
        what = f"parameter of block '{name}'"
    elif found is None and name in OPS and not OPS[name].internal:
        allowed = {a.name for a in OPS[name].args}
        if OPS[name].arity == -1:
            allowed.add(SHORTCUT)  # `add bn3, shortcut: proj.1` (elaboration: add's only)
        what = f"argument of {name}"
    elif found is not None:
        return  # a network used as a layer: elaboration explains
    else:
        errors.append(unknown_op(name, span, set(source_ops()) | _blocks(scope), ALIASES))
        return
    for kw in kwargs:
        if kw.name not in allowed and kw.name != READS:  # any layer may say what it reads
            error = unknown(kw.name, kw.span, allowed, what)
            error.hint = ARGUMENT_HINTS.get((name, kw.name), error.hint)
            errors.append(error)


def _expression(scope: Scope, expr, params: set[str], errors) -> None:
    stack = [expr]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Var):
            if node.name not in params and node.name not in BUILTINS and scope.lookup(node.name) is None \
                    and (node.name not in OPS or OPS[node.name].internal):  # `act = relu`: an op is a value
                if node.name == IN_CHANNELS:
                    errors.append(outside_block(node.span))
                    continue
                errors.append(unknown(node.name, node.span, params | set(BUILTINS) | scope.names()))
        elif isinstance(node, ast.BinOp):
            stack += [node.right, node.left]
        elif isinstance(node, ast.Conditional):
            stack += [node.otherwise, node.then, node.test]
        elif isinstance(node, (ast.Negate, ast.Not)):
            stack.append(node.operand)
        elif isinstance(node, ast.Index):
            stack += [node.index, node.base]
        elif isinstance(node, ast.ListLit):
            stack += reversed(node.items)
        elif isinstance(node, ast.Call):
            if node.name not in SCHEDULES and node.name not in FUNCTIONS:
                _fixed_block(scope, node, params, errors)
            stack += [k.value for k in reversed(node.kwargs)
                      if node.name not in SCHEDULES or k.name not in SCHEDULE_WORDS] + list(reversed(node.args))


def _fixed_block(scope: Scope, call: ast.Call, params: set[str], errors) -> None:
    if call.name in params:
        return  # a block passed in as an argument: checked when it is bound
    found = scope.lookup(call.name)
    if found is None:
        errors.append(unknown(call.name, call.name_span, _blocks(scope) | params | set(FUNCTIONS),
                              "function or block"))
    elif isinstance(found[0], ast.BlockDef):
        allowed = {p.name for p in found[0].params}
        errors += [unknown(k.name, k.span, allowed, f"parameter of block '{call.name}'")
                   for k in call.kwargs if k.name not in allowed]


def _instance_exprs(item: ast.Instance):
    if item.call:
        yield from item.call[0]
        yield from (k.value for k in item.call[1])
    for change in item.changes:
        if isinstance(change, ast.ChangeParam):
            yield change.value
