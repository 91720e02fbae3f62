"""The Pygments lexer: registered as `rdsl`, its words those of the grammar and the op table, and
every bundled file lexed without an error token."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from pygments.lexers import get_lexer_by_name, get_lexer_for_filename
from pygments.token import Comment, Error, Keyword, Name, Number, Operator, String

from resdsl.core.resources import architectures_dir, grammar_file
from resdsl.highlight.lexer import RdslLexer
from resdsl.netgraph.ops import ALIASES, OPS

BUNDLED = sorted(architectures_dir().glob("*.rdsl"))


# in a .lark file: a quoted literal, a /regular expression/, a // comment
_LARK = re.compile(r'("(?:[^"\\\n]|\\.)*")|/(?!/)(?:[^/\\\n]|\\.)+/[imslux]*|//[^\n]*')


def grammar_literals() -> set[str]:
    """The literals the grammar file quotes (`"network"`, `"x"`, `"<="`), read from the file."""
    return {m.group(1)[1:-1] for m in _LARK.finditer(grammar_file().read_text()) if m.group(1)}


def grammar_words() -> set[str]:
    return {w for w in grammar_literals() if re.fullmatch(r"[A-Za-z_]\w*", w)}


def kinds(text: str) -> dict[str, object]:
    """What each word is the first time it is written."""
    found: dict[str, object] = {}
    for kind, value in RdslLexer().get_tokens(text):
        if value.strip():
            found.setdefault(value, kind)
    return found


def test_registered_through_the_entry_point():
    assert isinstance(get_lexer_by_name("rdsl"), RdslLexer)
    assert isinstance(get_lexer_for_filename("resnet.rdsl"), RdslLexer)


def test_every_keyword_of_the_grammar_is_a_keyword():
    words = grammar_words()
    assert {"network", "block", "stage", "expect", "x", "within"} <= words
    found = kinds("\n".join(sorted(words)))
    assert {w for w in words if found[w] not in (Keyword, Keyword.Declaration)} == set()


def test_every_op_and_alias_is_a_builtin():
    names = (set(OPS) | set(ALIASES)) - grammar_words()  # `input` is a keyword first
    found = kinds(" ".join(sorted(names)))
    assert {n for n in names if found[n] is not Name.Builtin} == set()


def test_every_operator_of_the_grammar_is_an_operator():
    symbols = {s for s in grammar_literals() if not re.match(r"[\w{}()\[\],;:]", s)}
    assert {"+", "-", "*", "/", "//", "<=", "=", "%"} <= symbols
    tokens = list(RdslLexer().get_tokens(" ".join(sorted(symbols))))
    assert {v: k for k, v in tokens if v.strip()} == dict.fromkeys(symbols, Operator)


def test_literals_labels_and_comments():
    found = kinds('network n {\n  conv1: conv 3x3, 64, stride: 2  # note\n}\n'
                  'm = n  expect params 11_689_512 within 0.5%, flops 1.81G\nuse "blocks.rdsl"\n')
    assert found["n"] is Name.Function and found["conv1"] is Name.Label
    assert found["stride"] is Name.Label and found["conv"] is Name.Builtin
    assert {found[v] for v in ("3x3", "64", "11_689_512", "0.5", "1.81G")} == {Number}
    assert found["# note"] is Comment.Single and found['"blocks.rdsl"'] is String.Double


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_files_lex_without_errors(path):
    text = path.read_text()
    tokens = list(RdslLexer().get_tokens(text))
    assert [v for k, v in tokens if k is Error] == []
    assert "".join(v for _, v in tokens) == text


def test_pygmentize_highlights_rdsl(tmp_path):
    run = subprocess.run([sys.executable, "-m", "pygments", "-l", "rdsl", "-f", "html",
                          str(architectures_dir() / "resnet.rdsl")],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert '<span class="k">expect</span>' in run.stdout
