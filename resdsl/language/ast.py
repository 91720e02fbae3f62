"""The syntax tree: frozen dataclasses, each node with the span it came from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union

from ..core.errors import Source, Span

# -- expressions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Number:
    value: int | float
    span: Span


@dataclass(frozen=True)
class DimsLit:
    """`3x3` or `3x224x224`: a size written as one token."""

    values: tuple[int, ...]
    span: Span


@dataclass(frozen=True)
class Var:
    name: str
    span: Span


@dataclass(frozen=True)
class Index:
    base: "Expr"
    index: "Expr"
    span: Span


@dataclass(frozen=True)
class ListLit:
    items: tuple["Expr", ...]
    span: Span


@dataclass(frozen=True)
class StringLit:
    value: str
    span: Span


@dataclass(frozen=True)
class BinOp:
    op: str  # one of + - * / //, a comparison (< <= > >= == !=), or `and`, `or`
    left: "Expr"
    right: "Expr"
    span: Span


@dataclass(frozen=True)
class Negate:
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class Call:
    """`bottleneck(groups: 32)`: a block with some of its arguments fixed, passed as a value; or a
    function of numbers (`max(32, w // 2)`, `make_divisible(w * 0.75, 8)`)."""

    name: str
    name_span: Span
    args: tuple["Expr", ...]
    kwargs: tuple["Kwarg", ...]
    span: Span


@dataclass(frozen=True)
class Not:
    operand: "Expr"
    span: Span


@dataclass(frozen=True)
class Conditional:
    """`then if test else otherwise`: one of two values, by a comparison."""

    test: "Expr"
    then: "Expr"
    otherwise: "Expr"
    span: Span


Expr = Union[Number, DimsLit, Var, Index, ListLit, StringLit, BinOp, Negate, Not, Call, Conditional]


@dataclass(frozen=True)
class Kwarg:
    name: str
    value: Expr
    span: Span


# -- statements inside a block or network body -------------------------------------------------

@dataclass(frozen=True)
class Layer:
    """`[label:] op args`: one op from the op table, or a call of a block."""

    label: str | None
    op: str
    args: tuple[Expr, ...]
    kwargs: tuple[Kwarg, ...]
    span: Span
    op_span: Span


@dataclass(frozen=True)
class InputDecl:
    shape: tuple[int, ...]
    span: Span


@dataclass(frozen=True)
class ShortcutsDecl:
    """`shortcuts B`, with options for its projections (`norm: groupnorm`, `names`, `bias`)."""

    kind: str
    span: Span
    options: tuple[Kwarg, ...] = ()
    kind_span: Span | None = None


@dataclass(frozen=True)
class OutputsDecl:
    names: tuple[tuple[str, Span], ...]
    span: Span


@dataclass(frozen=True)
class AuxiliaryDecl:
    """`auxiliary aux1.fc2, aux2.fc2, weight: 0.3`: values the network returns in training only;
    `weight`, each one's loss weight in training."""

    names: tuple[tuple[str, Span], ...]
    span: Span
    options: tuple[Kwarg, ...] = ()


@dataclass(frozen=True)
class DefaultsDecl:
    """`defaults bn(eps: 0.001), layernorm(eps: 1e-6)`: arguments an op takes, in every layer of
    the network after it, where the layer does not give them; each entry read as a layer."""

    entries: tuple[Layer, ...]
    span: Span


@dataclass(frozen=True)
class Stage:
    """`stage name "title": block(args) x count, first-block kwargs`."""

    name: str
    title: str | None
    block: str
    block_span: Span
    args: tuple[Expr, ...]
    kwargs: tuple[Kwarg, ...]
    repeat: Expr | None
    first_kwargs: tuple[Kwarg, ...]
    span: Span


@dataclass(frozen=True)
class Limit:
    metric: str
    value: Expr
    span: Span


@dataclass(frozen=True)
class Budget:
    limits: tuple[Limit, ...]
    span: Span


@dataclass(frozen=True)
class Figure:
    metric: str
    value: Expr
    tolerance: Expr | None  # percent
    span: Span


@dataclass(frozen=True)
class Expect:
    figures: tuple[Figure, ...]
    span: Span


Statement = Union[Layer, InputDecl, ShortcutsDecl, OutputsDecl, AuxiliaryDecl, DefaultsDecl, Stage,
                  Budget, Expect]


# -- top level ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Param:
    name: str
    default: Expr | None
    span: Span


@dataclass(frozen=True)
class BlockDef:
    name: str
    params: tuple[Param, ...]
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class NetworkDef:
    name: str
    params: tuple[Param, ...]
    body: tuple[Statement, ...]
    span: Span


@dataclass(frozen=True)
class ChangeShortcuts:
    kind: str
    span: Span


@dataclass(frozen=True)
class ChangeInput:
    shape: tuple[int, ...]
    span: Span


@dataclass(frozen=True)
class ChangeParam:
    name: str
    value: Expr
    span: Span


@dataclass(frozen=True)
class ChangeOutputs:
    """`with outputs layer1, layer2`: tap these stages or layers instead of the network's own."""

    names: tuple[tuple[str, Span], ...]
    span: Span


Change = Union[ChangeShortcuts, ChangeInput, ChangeParam, ChangeOutputs]


@dataclass(frozen=True)
class Instance:
    """`name = base(args) with changes budget ... expect ...`."""

    name: str
    base: str
    base_span: Span
    call: tuple[tuple[Expr, ...], tuple[Kwarg, ...]] | None
    changes: tuple[Change, ...]
    budgets: tuple[Budget, ...]
    expects: tuple[Expect, ...]
    span: Span


@dataclass(frozen=True)
class Use:
    path: str
    span: Span


Item = Union[Use, BlockDef, NetworkDef, Instance]


@dataclass(frozen=True)
class Module:
    source: Source
    items: tuple[Item, ...]
