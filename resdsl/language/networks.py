"""Networks by name: a template called with arguments, or an instance changed with `with`.

Binds parameters and collects each network's budgets and expectations; the layer graph itself is
elaborate.py's.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from ..core.errors import ArgumentError, LimitError, Span, given_twice
from ..core.limits import LIMITS, too_large, too_wide
from ..netgraph.checks import Check
from ..netgraph.ops import OPS
from ..netgraph.shortcuts import POLICIES, POLICY_ALIASES
from . import ast
from .evaluate import BUILTINS, IN_CHANNELS, BlockRef, OpRef, describe, evaluate, outside_block, unknown
from .loader import Scope

METRICS = {"flops": "multiply-adds (the paper's FLOPs)", "macs": "multiply-adds",
           "params": "parameters"}


@dataclass
class NetworkSpec:
    """A network ready to build: its definition, parameter values and the changes made to it."""

    name: str
    definition: ast.NetworkDef
    scope: Scope
    bindings: dict[str, Any]
    span: Span
    shortcuts: tuple[str, Span] | None = None
    input: tuple[tuple[int, ...], Span] | None = None
    outputs: tuple[tuple[str, Span], ...] | None = None
    checks: list[Check] = field(default_factory=list)


# -- networks by name ----------------------------------------------------------------------------

def resolve_network(scope: Scope, name: str, span: Span | None = None) -> NetworkSpec:
    """The named instance or parameterless network, with its chain of `with` changes applied."""
    return _resolve(scope, name, span, ())


def _resolve(scope: Scope, name: str, span: Span | None, seen: tuple[str, ...]) -> NetworkSpec:
    found = scope.lookup(name)
    if found is None:
        raise unknown(name, span, scope.networks() or scope.names(), "network")
    item, home = found
    if isinstance(item, ast.BlockDef):
        raise ArgumentError(f"'{name}' is a block, not a network", span, code="E305",
                            hint="build it inside a network: 'stage s: " + name + "(...)'")
    if isinstance(item, ast.NetworkDef):
        return _call_network(item, home, None, span or item.span, name)
    if name in seen:
        raise ArgumentError(f"'{name}' is defined in terms of itself", item.base_span, code="E306")
    base = home.lookup(item.base)
    if base is None:
        raise unknown(item.base, item.base_span, home.names(), "network")
    if isinstance(base[0], ast.NetworkDef):
        spec = _call_network(base[0], base[1], item.call, item.base_span, name, home)
    else:
        if item.call is not None:
            raise ArgumentError(f"'{item.base}' is already built; change it with 'with'",
                                item.base_span, code="E307",
                                hint=f"write '{name} = {item.base} with name: value'")
        if len(seen) >= LIMITS.derivations:  # each derivation is a level of recursion here
            raise LimitError(f"'{name}' is derived through more than {LIMITS.derivations} networks",
                             item.base_span, code="E610",
                             hint="derive from the template directly, or raise RESDSL_MAX_DERIVATIONS")
        spec = _resolve(home, item.base, item.base_span, seen + (name,))
        spec = replace(spec, checks=[])  # expectations describe one network, not its derivations
    spec = replace(spec, name=name, span=item.span, bindings=dict(spec.bindings), checks=list(spec.checks))
    _apply_changes(spec, item, home)
    for budget in item.budgets:
        spec.checks += budget_checks(budget, value_lookup({}, home))
    for expect in item.expects:
        spec.checks += expect_checks(expect, value_lookup({}, home))
    return spec


def _call_network(definition: ast.NetworkDef, home: Scope, call, span: Span, name: str,
                  caller: Scope | None = None) -> NetworkSpec:
    """Bind a template's parameters: arguments are the caller's names, defaults the template's."""
    positional, keywords = call if call else ((), ())
    lookup = value_lookup({}, caller or home)
    values = [evaluate(e, lookup) for e in positional]
    named = {k.name: (evaluate(k.value, lookup), k.span) for k in keywords}
    bindings = bind_params(definition.name, "network", definition.params, values,
                           [e.span for e in positional], named, span, home)
    return NetworkSpec(name, definition, home, bindings, span)


def _apply_changes(spec: NetworkSpec, item: ast.Instance, home: Scope) -> None:
    for change in item.changes:
        if isinstance(change, ast.ChangeShortcuts):
            spec.shortcuts = (policy_name(change.kind, change.span), change.span)
        elif isinstance(change, ast.ChangeInput):
            spec.input = (input_shape(change.shape, change.span), change.span)
        elif isinstance(change, ast.ChangeOutputs):
            spec.outputs = change.names
        else:
            params = {p.name for p in spec.definition.params}
            if change.name not in params:
                raise unknown(change.name, change.span, params,
                              f"parameter of network '{spec.definition.name}'")
            spec.bindings[change.name] = evaluate(change.value, value_lookup({}, home))


def bind_params(owner: str, kind: str, params: tuple[ast.Param, ...], values: list, spans: list[Span],
                named: dict[str, tuple[Any, Span]], span: Span, home: Scope,
                known: dict[str, Any] | None = None) -> dict[str, Any]:
    """Bind positional and keyword arguments to parameters; defaults see earlier parameters
    (and the names in `known`)."""
    if len(values) > len(params):
        raise ArgumentError(f"{kind} '{owner}' takes {len(params)} argument"
                            f"{'s' if len(params) != 1 else ''} but is given {len(values)}",
                            spans[len(params)], code="E308")
    bound: dict[str, Any] = {}
    for param, value in zip(params, values):
        bound[param.name] = value
    names = [p.name for p in params]
    for key, (value, key_span) in named.items():
        if key not in names:
            raise unknown(key, key_span, names, f"parameter of {kind} '{owner}'")
        if key in bound:
            raise given_twice(key, key_span)
        bound[key] = value
    for param in params:
        if param.name in bound:
            continue
        if param.default is None:
            raise ArgumentError(f"{kind} '{owner}' needs a value for '{param.name}'", span,
                                code="E310")
        bound[param.name] = evaluate(param.default, value_lookup({**(known or {}), **bound}, home))
    return {name: bound[name] for name in names}


def value_lookup(env: dict[str, Any], scope: Scope):
    def lookup(name: str, span: Span) -> Any:
        if name in env:
            return env[name]
        if name in BUILTINS:
            return BUILTINS[name]
        found = scope.lookup(name)
        if found is not None and isinstance(found[0], ast.BlockDef):
            return BlockRef(name, found[0], found[1])
        if found is not None:
            raise ArgumentError(f"'{name}' is a network and cannot be used as a value", span,
                                code="E305")
        if name in OPS and not OPS[name].internal:  # `act = relu`: an op as a value
            return OpRef(name)
        if name == IN_CHANNELS:
            raise outside_block(span)
        raise unknown(name, span, set(env) | set(BUILTINS) | scope.names())
    return lookup


def policy_name(kind: str, span: Span) -> str:
    if kind not in POLICIES:
        raise unknown(kind, span, POLICIES, "shortcut option", POLICY_ALIASES)
    return kind


def input_shape(shape: tuple[int, ...], span: Span) -> tuple[int, ...]:
    if len(shape) != 3 or any(isinstance(d, bool) or not isinstance(d, int) for d in shape):
        raise ArgumentError(f"the input must be CxHxW, three whole numbers, not {shape!r}"[:200],
                            span, code="E311")
    if min(shape) < 1:
        raise ArgumentError(f"the input must be CxHxW with every size at least 1, not "
                            f"{'x'.join(map(str, shape))}", span, code="E311")
    if shape[0] > LIMITS.width:  # channels are a width, not a spatial size
        raise too_wide(f"input channels {shape[0]} are over the limit of {LIMITS.width}", span)
    if max(shape[1:]) > LIMITS.spatial:
        raise too_large(f"input size {max(shape[1:])} is over the limit of {LIMITS.spatial}", span)
    return shape


def _number_of(value: Any, span: Span, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ArgumentError(f"{what} must be a number, not {describe(value)}", span, code="E312")
    return value


def _metric(name: str, span: Span) -> str:
    if name not in METRICS:
        raise unknown(name, span, METRICS, "metric")
    return "flops" if name == "macs" else name


def budget_checks(budget: ast.Budget, lookup) -> list[Check]:
    return [Check("budget", _metric(lim.metric, lim.span),
                  _number_of(evaluate(lim.value, lookup), lim.value.span, "a budget"), 0.0, lim.span)
            for lim in budget.limits]


DEFAULT_TOLERANCE = 2.0  # percent: published figures carry two or three significant digits


def expect_checks(expect: ast.Expect, lookup) -> list[Check]:
    checks = []
    for fig in expect.figures:
        tolerance = DEFAULT_TOLERANCE
        if fig.tolerance is not None:
            tolerance = _number_of(evaluate(fig.tolerance, lookup), fig.tolerance.span, "a tolerance")
        checks.append(Check("expect", _metric(fig.metric, fig.span),
                            _number_of(evaluate(fig.value, lookup), fig.value.span, "an expectation"),
                            tolerance, fig.span))
    return checks
