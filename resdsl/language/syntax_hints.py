"""What a syntax error says: the message in the language's terms, and a hint for the mistake the
user most likely made (`b(16) 3`, `input 3, 32, 32`, `stage s: basic x 2`, an unclosed '{', a
misspelt keyword).

Mistakes that show as one parser state are a table of malformed examples keyed by that state
(the idea of Lark's `match_examples`); the few that depend on the text around the error (which '{'
is open, whether the word before '(' is an op) are read from the source. Keywords come from the
grammar itself."""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedToken

from ..core.errors import Source, Span
from ..netgraph.ops import source_ops
from .brackets import position, still_open

# How expected terminals read in a message.
_TERMINAL_WORDS = {
    "_NL": "end of line", "NAME": "a name", "PATH": "a name", "DOTTED": "a dotted name", "NUMBER": "a number",
    "QUOTED": "a quoted name",
    "DIMS": "a size like 3x3", "STRING": "a quoted string", "BLOCK": "'block'", "SHORTCUTS": "'shortcuts'",
    "$END": "end of file",
}


@dataclass(frozen=True)
class Diagnosis:
    message: str
    hint: str | None = None
    notes: tuple[tuple[str, Span], ...] = ()


@functools.cache
def keywords(lark: Lark) -> frozenset[str]:
    """The grammar's words: its string literals that would otherwise read as a name."""
    return frozenset(t.pattern.value for t in lark.terminals
                     if t.pattern.type == "str" and re.fullmatch(r"[A-Za-z_]\w*", t.pattern.value))


@functools.cache
def top_level_keywords(lark: Lark) -> tuple[str, ...]:
    """The keywords a file's definitions start with (`network`, `block`, `use`)."""
    words = {t.name: t.pattern.value for t in lark.terminals
             if t.pattern.type == "str" and t.pattern.value in keywords(lark)}
    return tuple(sorted(words[t] for t in lark.parse_interactive("").accepts() if t in words))


def character_error(err: UnexpectedCharacters, text: str) -> Diagnosis:
    ch = text[err.pos_in_stream] if err.pos_in_stream < len(text) else ""
    if ch and (not ch.isprintable() or ord(ch) > 127):  # "" at the end of the text
        return Diagnosis(f"unexpected character {ch!r}",
                         "resdsl source is plain ASCII outside comments and strings")
    return Diagnosis(f"unexpected character '{ch}'")


def token_error(err: UnexpectedToken, source: Source, lark: Lark) -> Diagnosis:
    tok = err.token
    found = {"$END": "end of file", "_NL": "end of line"}.get(tok.type, f"'{tok}'")
    message = f"unexpected {found}"
    expected = _expected_words(err.expected, lark)
    if expected and len(expected) <= 4:
        message += "; expected " + (expected[0] if len(expected) == 1 else
                                    "one of " + ", ".join(expected))
    context = _Context(err, source, lark)
    for rule in _RULES:
        known = rule(context)
        if known:
            hint, notes = known if isinstance(known, tuple) else (known, ())
            return Diagnosis(message, hint, notes)
    return Diagnosis(message)


def _expected_words(names, lark: Lark) -> list[str]:
    words = set()
    for name in names:
        if name in _TERMINAL_WORDS:
            words.add(_TERMINAL_WORDS[name])
            continue
        try:
            pattern = lark.get_terminal(name).pattern
        except KeyError:
            continue
        words.add(f"'{pattern.value}'" if pattern.type == "str" else name.lower())
    return sorted(words)


class _Context:
    """The unexpected token and the text of its line before it."""

    def __init__(self, err: UnexpectedToken, source: Source, lark: Lark):
        self.err, self.source, self.lark = err, source, lark
        self.tok: Token = err.token
        self.word = str(self.tok)
        self.at_end = self.tok.type == "$END"
        offset = len(source.text) if self.at_end else self.tok.start_pos
        self.line_start = source.text.rfind("\n", 0, offset) + 1
        line_end = source.text.find("\n", offset)
        self.line = source.text[self.line_start: None if line_end < 0 else line_end]
        self.before = source.text[self.line_start: offset]
        self.offset = offset


# -- mistakes keyed by parser state --------------------------------------------------------------

# A typical mistake is written once as a malformed example; an error that leaves the parser in the
# same state, expecting the same tokens, is the same mistake. This is the idea of Lark's
# `match_examples`, which cannot be used as it is: it also compares the depth of the parser's
# stack (a stage needs an example with and without the network's parameters, after a line break
# or not, after other statements or not), and lark 1.3.1 raises TypeError while logging when a
# state matches and the expected tokens do not (LALR merges states: a name before '(' in a stage
# and an op's name share one).

@dataclass(frozen=True)
class _Mistake:
    tokens: frozenset[str] | None  # the unexpected tokens it explains (None: any)
    examples: tuple[str, ...]  # one for each state the mistake can leave the parser in
    hint: Callable[[_Context], str | None]


def _parsed(c: _Context) -> list:
    """What the parser has read of the statement so far: tokens and trees, the last one last."""
    return c.err.state.value_stack


def _repeat_without_x(c: _Context) -> str:
    parsed = _parsed(c)  # ... 'stage' stage_name ':' ident '(' [args] ')'
    call = c.source.text[_last(c, "COLON").end_pos: parsed[-1].end_pos].strip()
    return f"repeat a block with 'x': write '{call} x {c.word}'"


def _last(c: _Context, token_type: str) -> Token:
    return next(t for t in reversed(_parsed(c)) if isinstance(t, Token) and t.type == token_type)


def _input_with_commas(c: _Context) -> str:
    after = c.source.text[_last(c, "INPUT").end_pos:].split("\n", 1)[0]
    dims = re.findall(r"\d+", after)
    shown = "x".join(dims) if len(dims) > 1 else "3x224x224"
    return f"the input size is one word, channels x height x width: write 'input {shown}'"


def _stage_without_parentheses(c: _Context) -> str:
    block = _parsed(c)[-1]  # the name, or the name read as an `ident`
    block = block.children[0] if isinstance(block, Tree) else block
    return f"a stage calls its block with parentheses: '{block}(...) x {2 if c.word == 'x' else 'N'}'"


def _outputs_not_last(c: _Context) -> str | None:
    # a network's own `outputs a, b` leaves the parser in the same state: only `with` has a rest
    if not any(isinstance(t, Token) and t.type == "WITH" for t in _parsed(c)):
        return None
    return ("'outputs' takes the rest of the list: put it last, "
            "as in 'with shortcuts B, outputs layer1, layer2'")


def _misspelt_keyword(c: _Context) -> str | None:
    word = str(_parsed(c)[-1])  # read as a name: `netwrok` in `netwrok t {`
    close = difflib.get_close_matches(word, top_level_keywords(c.lark), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None


def _use_without_quotes(c: _Context) -> str:
    if c.tok.type in ("NAME", "DOTTED"):
        return f"the file to use is a quoted string: write 'use \"{c.word}\"'"
    return "the file to use is a quoted string, as in 'use \"blocks.rdsl\"'"


# The parser's state can depend on the unexpected token too (LALR merges lookaheads): `b x 2`
# fails in another state than `b 2`.
_MISTAKES = (
    _Mistake(frozenset({"NUMBER"}), ("network n { stage s: b(16) 3 }", "network n { stage s: b() 3 }"),
             _repeat_without_x),
    _Mistake(frozenset({"NUMBER", "COMMA"}),
             ("network n { input 3, 32, 32 }", "m = n with input 3, 32, 32"), _input_with_commas),
    _Mistake(None, ("network n { stage s: b x 2 }", "network n { stage s: b 2 }"),
             _stage_without_parentheses),
    _Mistake(None, ("m = n with outputs a, shortcuts B", "m = n with outputs a, b, shortcuts B"),
             _outputs_not_last),
    _Mistake(frozenset({"NAME", "BLOCK", "STRING"}), ("netwrok n {\n}",), _misspelt_keyword),
    _Mistake(None, ("use blocks.rdsl",), _use_without_quotes),
)


def _state(err: UnexpectedToken) -> tuple[int, frozenset[str]]:
    return err.state.position, frozenset(err.accepts)


@functools.cache
def _mistakes_by_state(lark: Lark) -> dict[tuple[int, frozenset[str]], _Mistake]:
    table: dict[tuple[int, frozenset[str]], _Mistake] = {}
    for mistake in _MISTAKES:
        for example in mistake.examples:
            try:
                lark.parse(example + "\n")
            except UnexpectedToken as err:
                assert table.setdefault(_state(err), mistake) is mistake, f"{example!r} is taken"
            else:
                raise AssertionError(f"the example {example!r} parses")
    return table


def _typical_mistake(c: _Context) -> str | None:
    mistake = _mistakes_by_state(c.lark).get(_state(c.err))
    if mistake and (mistake.tokens is None or c.tok.type in mistake.tokens):
        return mistake.hint(c)
    return None


# -- mistakes read from the text -----------------------------------------------------------------

def _unclosed_brace(c: _Context):
    """An unclosed '{' surfaces at the end of the file, or at the next definition: `net = ...`
    or `network m {` inside a body."""
    if not (c.at_end and "RBRACE" in c.err.expected
            or c.word == "="
            or (c.word in top_level_keywords(c.lark) and not c.before.strip())
            or (c.tok.type == "NAME" and not c.before.strip() and "=" in c.line)):
        return None
    opened = still_open(c.source.text, "{", 0, c.offset)
    if not opened:
        return None
    line, column = position(c.source.text, opened[-1])
    note = ("the '{' opened here is never closed", Span(c.source, line, column, line, column + 1))
    where = "on a line of its own" if c.at_end else f"before line {c.tok.line}"
    return f"the '{{' at line {line} is never closed; add '}}' {where}", (note,)


def _op_with_parentheses(c: _Context) -> str | None:
    """`conv(3x3, 16)`: ops take their arguments without parentheses."""
    call = re.match(r"^\s*(?:\w+\s*:\s*)?(\w+)\((.*)$", c.line)
    if call and call.group(1) in source_ops() and "(" in c.before:
        inside = call.group(2).rsplit(")", 1)[0]
        return f"ops take no parentheses: write '{call.group(1)} {inside.strip()}'"
    return None


def _open_parenthesis_before_x(c: _Context) -> str | None:
    """`b(16 x 2`: the parenthesis is still open where the repeat starts."""
    if c.word == "x" and still_open(c.source.text, "(", c.line_start, c.offset):
        return "close the parenthesis before 'x': the repeat count comes after the arguments"
    return None


def _separators(c: _Context) -> str | None:
    expected = c.err.expected
    if c.tok.type == "NAME" and "_NL" in expected and "SEMICOLON" in expected:
        return "separate layers on one line with ';'"
    if c.tok.type == "NUMBER" and "COMMA" in expected:
        return "separate arguments with ','"
    return None


def _keyword_as_name(c: _Context) -> str | None:
    """A keyword where a name was meant: the unexpected word itself, or the word just before it."""
    words = keywords(c.lark)
    if c.tok.type not in _TERMINAL_WORDS and c.word in words:
        return f"'{c.word}' is a keyword and cannot be used as a name"
    previous = c.before.split()
    if not c.at_end and previous and previous[-1].rstrip(":") in words:
        return f"'{previous[-1].rstrip(':')}' is a keyword and cannot be used as a name"
    return None


def _if_statement(c: _Context) -> str | None:
    """`if stride > 1 {`: a statement that branches, which the language does not have."""
    if c.word not in ("if", "else") or c.before.strip():
        return None
    return ("there is no 'if' statement: an expression chooses a value ('w if stride > 1 else "
            "2 * w'), and a layer only some blocks have is a block parameter that an empty block "
            "leaves out ('shortcut_conv = nothing' with 'block nothing() {}')")


# Tried in order; each returns a hint, a hint and its notes, or None.
_RULES = (_unclosed_brace, _typical_mistake, _op_with_parentheses, _open_parenthesis_before_x,
          _separators, _if_statement, _keyword_as_name)
