"""Text to AST: Lark's LALR parser over grammar/resdsl.lark, then a Transformer to dataclasses."""

from __future__ import annotations

import functools
import os
import sys
from pathlib import Path

from lark import Lark, Token, Transformer_NonRecursive, v_args
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken, VisitError

from ..core.errors import LimitError, ParseError, Source, Span
from ..core.limits import LIMITS
from ..core.resources import grammar_file
from ..core.units import parse_number
from . import ast
from .brackets import position, too_deep
from .syntax_hints import character_error, keywords, token_error


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    return Lark(grammar_file().read_text(), parser="lalr", lexer="basic",
                propagate_positions=True, maybe_placeholders=True, cache=_parser_cache())


def _parser_cache() -> str | bool:
    """Where Lark keeps the LALR tables between runs, so that a command starts without building
    them (~0.2 s). Lark checks the grammar's hash before it uses the file. The user's own cache
    folder, not a shared temporary one: the file is unpickled."""
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "resdsl"
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # no home folder, or a read-only one
        return False
    return str(folder / f"grammar-py{sys.version_info[0]}{sys.version_info[1]}.lark-cache")


def _span(source: Source, meta) -> Span:
    return Span(source, meta.line, meta.column, meta.end_line, meta.end_column)


def _tok_span(source: Source, tok: Token) -> Span:
    return Span(source, tok.line, tok.column, tok.end_line, tok.end_column)


class _Name(str):
    """An identifier that remembers where it was written."""

    span: Span

    def __new__(cls, text, span):
        obj = super().__new__(cls, text)
        obj.span = span
        return obj


def _binop(op: str):
    """The rule method of a binary operator `op`."""
    @v_args(meta=True, inline=True)
    def build(self, meta, left, right):
        return self._deep(ast.BinOp(op, left, right, self._s(meta)), left, right)
    return build


class _ToAst(Transformer_NonRecursive):
    """One method per grammar rule; every node keeps its span. Not recursive: a 5,000-term
    product is a tree 5,000 deep; `_deep` refuses expressions the evaluator could not walk."""

    def __init__(self, source: Source):
        super().__init__(visit_tokens=False)
        self.source = source
        self.depth: dict[int, int] = {}  # id(expression) -> operators nested in it

    def _deep(self, node, *operands):
        depth = 1 + max(self.depth.get(id(o), 0) for o in operands)
        if depth > LIMITS.expression_depth:
            raise LimitError(f"this expression nests more than {LIMITS.expression_depth} "
                             "operations", node.span, code="E607",
                             hint="split it into parameters, or write the value as one number")
        self.depth[id(node)] = depth
        return node

    def _s(self, meta) -> Span:
        return _span(self.source, meta)

    def _t(self, tok: Token) -> Span:
        return _tok_span(self.source, tok)

    # expressions
    @v_args(meta=True, inline=True)
    def number(self, meta, tok):
        return ast.Number(parse_number(str(tok), self._t(tok)), self._s(meta))

    @v_args(meta=True, inline=True)
    def dims(self, meta, tok):
        span = self._s(meta)
        parts = str(tok).split("x")
        if any(len(p) > LIMITS.literal_digits for p in parts):
            raise LimitError("size literal has too many digits", span)
        return ast.DimsLit(tuple(int(p) for p in parts), span)

    @v_args(meta=True, inline=True)
    def var(self, meta, name):
        return ast.Var(str(name).strip("`"), self._s(meta))  # a QUOTED path: `0`

    @v_args(meta=True, inline=True)
    def call(self, meta, name, args):
        positional, keywords = self._split(args)
        return ast.Call(str(name), name.span, positional, keywords, self._s(meta))

    @v_args(meta=True, inline=True)
    def ident(self, _meta, tok):
        return _Name(tok, self._t(tok))

    @v_args(meta=True, inline=True)
    def index(self, meta, base, idx):
        return self._deep(ast.Index(base, idx, self._s(meta)), base, idx)

    @v_args(meta=True)
    def list(self, meta, items):
        return ast.ListLit(tuple(i for i in items if i is not None), self._s(meta))

    @v_args(meta=True, inline=True)
    def string(self, meta, tok):
        return ast.StringLit(str(tok)[1:-1], self._s(meta))

    plus, minus, times = _binop("+"), _binop("-"), _binop("*")
    divide, floordiv = _binop("/"), _binop("//")
    logical_and, logical_or = _binop("and"), _binop("or")

    @v_args(meta=True, inline=True)
    def logical_not(self, meta, operand):
        return self._deep(ast.Not(operand, self._s(meta)), operand)
    less, less_equal, greater = _binop("<"), _binop("<="), _binop(">")
    greater_equal, equal, not_equal = _binop(">="), _binop("=="), _binop("!=")

    @v_args(meta=True, inline=True)
    def conditional(self, meta, then, test, otherwise):
        node = ast.Conditional(test, then, otherwise, self._s(meta))
        return self._deep(node, test, then, otherwise)

    @v_args(meta=True, inline=True)
    def negate(self, meta, operand):
        return self._deep(ast.Negate(operand, self._s(meta)), operand)

    # arguments
    @v_args(meta=True, inline=True)
    def kwarg(self, meta, name, value):
        return ast.Kwarg(str(name), value, self._s(meta))

    def args(self, items):
        return items

    @staticmethod
    def _split(items) -> tuple[tuple, tuple]:
        items = items or []
        return (tuple(i for i in items if not isinstance(i, ast.Kwarg)),
                tuple(i for i in items if isinstance(i, ast.Kwarg)))

    # statements
    @v_args(meta=True)
    def input_ref(self, meta, _children):
        return ast.Var("input", self._s(meta))

    @v_args(meta=True, inline=True)
    def layer(self, meta, label, op, args):
        positional, keywords = self._split(args)
        if label is not None:
            _check_path(label, self._t(label), "layer")
        return ast.Layer(str(label) if label else None, str(op), positional, keywords,
                         self._s(meta), op.span)

    @v_args(meta=True, inline=True)
    def input_decl(self, meta, tok):
        return ast.InputDecl(tuple(int(p) for p in str(tok).split("x")), self._s(meta))

    @v_args(meta=True)
    def shortcuts_decl(self, meta, children):
        _kw, tok, *options = children
        return ast.ShortcutsDecl(str(tok), self._s(meta), tuple(options), self._t(tok))

    @v_args(meta=True)
    def outputs_decl(self, meta, toks):
        return ast.OutputsDecl(tuple((str(t), self._t(t)) for t in toks), self._s(meta))

    @v_args(meta=True)
    def auxiliary_decl(self, meta, items):
        names = tuple((str(t), self._t(t)) for t in items if not isinstance(t, ast.Kwarg))
        return ast.AuxiliaryDecl(names, self._s(meta), tuple(i for i in items if isinstance(i, ast.Kwarg)))

    @v_args(meta=True)
    def defaults_decl(self, meta, entries):
        return ast.DefaultsDecl(tuple(entries), self._s(meta))

    @v_args(meta=True, inline=True)
    def op_default(self, meta, op, args):
        positional, keywords = self._split(args)
        return ast.Layer(None, str(op), positional, keywords, self._s(meta), op.span)

    @v_args(meta=True)
    def stage(self, meta, children):
        (name, title), block, args, repeat, *first = children
        positional, keywords = self._split(args)
        return ast.Stage(str(name), str(title)[1:-1] if title else None, str(block), block.span,
                         positional, keywords, repeat, tuple(first), self._s(meta))

    def stage_name(self, children):
        name, title = (children + [None])[:2]
        _check_path(name, self._t(name), "stage")
        return name, title

    @v_args(meta=True, inline=True)
    def limit(self, meta, metric, value):
        return ast.Limit(str(metric), value, self._s(meta))

    @v_args(meta=True)
    def budget(self, meta, limits):
        return ast.Budget(tuple(limits), self._s(meta))

    @v_args(meta=True, inline=True)
    def figure(self, meta, metric, value, tolerance):
        return ast.Figure(str(metric), value, tolerance, self._s(meta))

    @v_args(meta=True)
    def expect(self, meta, figures):
        return ast.Expect(tuple(figures), self._s(meta))

    @v_args(meta=True)
    def body(self, _meta, statements):
        return tuple(statements)

    # top level
    @v_args(meta=True, inline=True)
    def param(self, meta, name, default):
        return ast.Param(str(name), default, self._s(meta))

    def params(self, items):
        return tuple(i for i in items if i is not None)

    @v_args(meta=True, inline=True)
    def block_def(self, meta, _kw, name, params, body):
        return ast.BlockDef(str(name), params or (), body, self._s(meta))

    @v_args(meta=True, inline=True)
    def network_def(self, meta, name, params, body):
        return ast.NetworkDef(str(name), params or (), body, self._s(meta))

    @v_args(meta=True, inline=True)
    def change_shortcuts(self, meta, _kw, tok):
        return ast.ChangeShortcuts(str(tok), self._s(meta))

    @v_args(meta=True, inline=True)
    def change_input(self, meta, tok):
        return ast.ChangeInput(tuple(int(p) for p in str(tok).split("x")), self._s(meta))

    @v_args(meta=True, inline=True)
    def change_param(self, meta, name, value):
        return ast.ChangeParam(str(name), value, self._s(meta))

    @v_args(meta=True)
    def change_outputs(self, meta, toks):
        return ast.ChangeOutputs(tuple((str(t), self._t(t)) for t in toks), self._s(meta))

    def changes(self, items):
        return tuple(i for i in items if i is not None)

    def call_args(self, items):
        return self._split(items[0] if items else [])

    @v_args(meta=True)
    def instance(self, meta, children):
        name, base, call, changes, *notes = children
        return ast.Instance(str(name), str(base), base.span, call, changes or (),
                            tuple(n for n in notes if isinstance(n, ast.Budget)),
                            tuple(n for n in notes if isinstance(n, ast.Expect)), self._s(meta))

    @v_args(meta=True, inline=True)
    def use_stmt(self, meta, tok):
        return ast.Use(str(tok)[1:-1], self._s(meta))

    def start(self, items):
        return items


def _check_path(tok: Token, span: Span, what: str) -> None:
    """A layer or stage name is a module path: names and numbers joined by dots (`conv1.0`),
    not a keyword alone (inside a path one is only a name: `features.1.0.block.0`)."""
    for part in [str(tok)]:
        if part in keywords(parser()):
            raise ParseError(f"'{part}' is a keyword and cannot name a {what}", span, code="E103",
                             hint=f"rename the {what}, e.g. '{part}_1'")


def _syntax_error(err: UnexpectedInput, source: Source) -> ParseError:
    """Lark's error as ours: where it is, and what `syntax_hints` says about it."""
    if isinstance(err, UnexpectedCharacters):
        said = character_error(err, source.text)
        span = Span(source, err.line, err.column, err.line, err.column + 1)
        return ParseError(said.message, span, hint=said.hint, code="E101")
    assert isinstance(err, UnexpectedToken)
    tok = err.token
    if tok.type == "$END":  # Lark places it at the last token: point past the last character
        lines = source.text.rstrip("\n").split("\n")
        line, col = len(lines), len(lines[-1]) + 1
        span = Span(source, line, col, line, col + 1)
    elif tok.type == "_NL":
        span = Span(source, tok.line, tok.column, tok.line, tok.column + 1)
    else:
        span = Span(source, tok.line, tok.column, tok.end_line or tok.line,
                    tok.end_column or tok.column + 1)
    said = token_error(err, source, parser())
    error = ParseError(said.message, span, hint=said.hint, code="E102")
    if said.notes:
        error.notes = list(said.notes)
    return error


def parse(text: str, name: str = "<string>", private: bool = False, *,
          tree_into: list | None = None) -> ast.Module:
    """Parse resdsl source into an `ast.Module`; raises `ParseError` with a position.

    A UTF-8 byte-order mark is dropped; CRLF and CR-only line ends read as newlines.
    `tree_into` receives Lark's tree too (the formatter lays it out)."""
    if text.startswith("\ufeff"):
        text = text[1:]
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    source = Source(name, text, private=private)
    if len(text.encode("utf-8", "surrogatepass")) > LIMITS.source_bytes:
        raise LimitError(f"source is larger than {LIMITS.source_bytes:,} bytes",
                         Span(source, 1, 1, 1, 2), code="E601",
                         hint="raise the limit with RESDSL_MAX_SOURCE_BYTES")
    deep = too_deep(text, LIMITS.nesting)
    if deep:
        line, column = position(text, deep[0])
        raise LimitError(f"brackets nest more than {LIMITS.nesting} deep here",
                         Span(source, line, column, line, column + 1), code="E602",
                         hint="raise the limit with RESDSL_MAX_NESTING")
    try:
        tree = parser().parse(text + "\n")
    except UnexpectedInput as err:
        raise _syntax_error(err, source) from None
    if tree_into is not None:
        tree_into.append(tree)
    try:
        items = _ToAst(source).transform(tree)
    except VisitError as err:
        raise err.orig_exc from None
    return ast.Module(source, tuple(items))
