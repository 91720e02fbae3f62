"""How much space goes between two tokens: one, by default; none where the parse tree says the
tokens belong together (a call's parenthesis, an index's bracket, a negating minus).

Token kinds alone cannot tell `f(a)` (a call) from `conv (a)` (a layer whose first argument is
in parentheses), nor `a - 1` from `params -1` (a figure's name and a negative value): the tree can,
so the roles of the ambiguous tokens are read from it once, and the spacing asks them."""

from __future__ import annotations

from dataclasses import dataclass, field

from lark import Token, Tree

from .tokens import SourceTokens

NO_SPACE_BEFORE = frozenset({"COMMA", "RPAR", "RSQB", "COLON", "PERCENT", "SEMICOLON"})
NO_SPACE_AFTER = frozenset({"LPAR", "LSQB"})
# a bracket written against one of these stays against it where the tree does not say otherwise
# (a construct the formatter does not know yet keeps its own reading)
CALLABLE = frozenset({"NAME", "DOTTED", "BLOCK", "RPAR", "RSQB"})
# rules whose name (an `ident` child) is followed by its parenthesised arguments or parameters
CALLING = frozenset({"call", "stage", "instance", "block_def", "network_def", "op_default"})


@dataclass
class Roles:
    tight: set[int] = field(default_factory=set)   # written against the token before it
    loose: set[int] = field(default_factory=set)   # a space before, always
    unary: set[int] = field(default_factory=set)   # a minus that negates: nothing after it


def roles(tree: Tree, src: SourceTokens) -> Roles:
    """The roles of the tokens whose spacing depends on the rule they were parsed in."""
    found = Roles()
    for node in tree.iter_subtrees():
        if node.data in CALLING:
            for child in node.children:
                if isinstance(child, Tree) and child.data == "ident":
                    _after(src, child, found.tight, "LPAR")
        elif node.data == "index" and isinstance(node.children[1], Tree):
            j = src.index(node.children[1].meta.start_pos) - 1
            while _type(src, j) == "LPAR":
                j -= 1
            if _type(src, j) == "LSQB":
                found.tight.add(j)
        elif node.data == "negate":
            i = src.index(node.meta.start_pos)
            while _type(src, i) == "LPAR":
                i += 1
            if _type(src, i) == "MINUS":
                found.unary.add(i)
        elif node.data == "layer" and node.children[2] is not None:
            _after(src, node.children[1], found.loose, None)  # the op, then its arguments
        elif node.data in ("figure", "limit"):
            _after(src, node.children[0], found.loose, None)  # a metric, then its value
    return found


def _type(src: SourceTokens, i: int) -> str | None:
    tok = src.token(i)
    return tok.type if tok is not None else None


def _after(src: SourceTokens, node, into: set[int], kind: str | None) -> None:
    """Add the index of the token after `node`'s last token to `into` (if it is a `kind`)."""
    tok = node if isinstance(node, Token) else _last_token(node)
    if tok is None or tok.start_pos is None:
        return
    i = src.index(tok.start_pos) + 1
    if kind is None or _type(src, i) == kind:
        into.add(i)


def _last_token(node: Tree) -> Token | None:
    for child in reversed(node.children):
        if isinstance(child, Token):
            return child
        if isinstance(child, Tree):
            found = _last_token(child)
            if found is not None:
                return found
    return None


def space_before(src: SourceTokens, found: Roles, i: int) -> str:
    """The space between token i - 1 and token i on one line."""
    before, tok = src.tokens[i - 1], src.tokens[i]
    if i in found.loose:
        return " "
    if tok.type in NO_SPACE_BEFORE or before.type in NO_SPACE_AFTER or i - 1 in found.unary:
        return ""
    if i in found.tight:
        return ""
    if tok.type in NO_SPACE_AFTER and before.type in CALLABLE and not src.gap(i):
        return ""
    if tok.type == "RBRACE" and before.type == "LBRACE":
        return ""
    return " "
