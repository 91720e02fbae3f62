"""Syntax errors name the mistake the user most likely made: file:line:col, the line with a caret
under the unexpected token, and a hint. The hints keyed by parser state hold wherever the mistake
is written (inside a block with parameters, after other statements, on one line)."""

import re

import pytest

from resdsl.core.errors import ParseError
from resdsl.core.limits import LIMITS
from resdsl.core.resources import grammar_file
from resdsl.language.brackets import position, still_open, too_deep
from resdsl.language.parse import parse, parser
from resdsl.language.syntax_hints import keywords, top_level_keywords


def diagnose(text: str) -> tuple[ParseError, list[str]]:
    with pytest.raises(ParseError) as info:
        parse(text, "f.rdsl")
    return info.value, info.value.render().splitlines()


def assert_points_at(text: str, line: int, column: int, hint: str) -> ParseError:
    """The header names f.rdsl:line:column, the quoted line is the source's, the caret sits under
    the column, and the help line is the hint."""
    err, rendered = diagnose(text)
    assert rendered[0].startswith(f"f.rdsl:{line}:{column}: error["), rendered
    source_line = text.split("\n")[line - 1]
    assert rendered[1].endswith(source_line)
    gutter = rendered[1].index("| ") + 2
    assert rendered[2][gutter + column - 1] == "^" and rendered[2][gutter:gutter + column - 1].strip() == ""
    assert rendered[-1] == f"  help: {hint}"
    return err


# the same statement in each kind of place a statement stands
PLACES = ["network n {{ {s} }}",
          "network n {{\n    {s}\n}}",
          "block b(w, v) {{\n    relu\n\n    {s}\n}}",
          'use "blocks.rdsl"\n# a comment\nnetwork n(w = 1) {{ relu; {s}; relu }}']


def located(place: str, statement: str, column_in_statement: int) -> tuple[str, int, int]:
    text = place.format(s=statement)
    start = text.index(statement)
    line, column = position(text, start)
    return text, line, column + column_in_statement - 1


@pytest.mark.parametrize("place", PLACES)
def test_a_repeat_without_x_is_named_wherever_it_stands(place):
    text, line, column = located(place, "stage s: b(16, w: 2) 3", 22)
    assert_points_at(text, line, column, "repeat a block with 'x': write 'b(16, w: 2) x 3'")
    text, line, column = located(place, "stage s: b() 3", 14)
    assert_points_at(text, line, column, "repeat a block with 'x': write 'b() x 3'")


@pytest.mark.parametrize("place", PLACES)
def test_a_stage_without_parentheses_is_named_wherever_it_stands(place):
    text, line, column = located(place, 'stage s "Stage 1": basic x 2', 26)
    assert_points_at(text, line, column, "a stage calls its block with parentheses: 'basic(...) x 2'")


def test_a_stage_without_parentheses_before_a_comment():
    # the block's name is the one the parser read, not a word from the comment
    text = "network n {\n    stage s: basic   # then: maxpool 2x2\n}\n"
    assert_points_at(text, 2, 41, "a stage calls its block with parentheses: 'basic(...) x N'")


def test_a_misspelt_use_is_named():
    text = '# blocks\nusee "blocks.rdsl"\n'
    assert_points_at(text, 2, 6, "did you mean 'use'?")


def test_use_without_quotes_is_named():
    assert_points_at("use blocks.rdsl\n", 1, 5, "the file to use is a quoted string: write 'use \"blocks.rdsl\"'")
    assert_points_at("use 3\n", 1, 5, "the file to use is a quoted string, as in 'use \"blocks.rdsl\"'")


def test_an_unclosed_brace_at_the_end_of_the_file_points_at_the_brace():
    text = "block b(w) {\n    conv 3x3, w\n}\nnetwork n {\n    input 3x8x8\n    b(4)\n"
    err = assert_points_at(text, 6, 9, "the '{' at line 4 is never closed; add '}' on a line of its own")
    (note, at), = err.notes
    assert note == "the '{' opened here is never closed"
    assert (at.line, at.column) == (4, 11)


def test_outputs_in_a_network_are_not_told_to_come_last():
    # `outputs a, shortcuts` in a body leaves the parser where `with outputs a, shortcuts` does;
    # only the latter has a list to put outputs last in
    err, _ = diagnose("network n {\n    input 3x8x8\n    outputs a, shortcuts\n}\n")
    assert (err.span.line, err.span.column) == (3, 16)
    assert err.hint is None
    err, _ = diagnose("n = m with outputs a, shortcuts B\n")
    assert err.hint.startswith("'outputs' takes the rest of the list: put it last")


def test_keywords_are_the_grammars_words():
    grammar = grammar_file().read_text()
    words = set(re.findall(r'"([a-z]+)"', grammar))  # string literals: "network", "x", ...
    assert keywords(parser()) == words
    assert {"network", "block", "use", "stage", "x", "within"} <= words
    assert top_level_keywords(parser()) == ("block", "network", "use")


def test_brackets_in_comments_and_strings_do_not_count():
    text = 'a ( # ( [\nb "{ (" { "unclosed ( \n ) ]'
    assert still_open(text, "(") == []
    assert [position(text, o) for o in still_open(text, "{")] == [(2, 9)]
    assert still_open(text, "[") == []  # a ']' with none open closes nothing
    assert too_deep("((" + "[" * 3 + "#(((\n", 4) == (4, 5)
    assert too_deep("((()))", LIMITS.nesting) is None
