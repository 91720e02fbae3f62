"""The TextMate grammar (editors/vscode/syntaxes/rdsl.tmLanguage.json) run by a real TextMate
engine (vscode-textmate on Oniguruma, under node, as VS Code runs it) over every bundled file:
each keyword, op, number, size, string and comment gets its scope. Which token is which comes
from resdsl's own lexer, not from the grammar under test."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

from resdsl.core.resources import architectures_dir
from resdsl.highlight import textmate
from resdsl.highlight.textmate import SCOPES
from resdsl.language.parse import parser
from resdsl.netgraph.ops import ALIASES, OPS

from .conftest import ROOT
from .test_highlight import grammar_words

GRAMMAR = ROOT / "editors" / "vscode" / "syntaxes" / "rdsl.tmLanguage.json"
ENGINE = ROOT / "tests" / "node"
BUNDLED = sorted(architectures_dir().glob("*.rdsl"))
LITERALS = {"COMMENT": "comment", "STRING": "string", "NUMBER": "number", "DIMS": "dims"}


def test_the_grammar_file_is_generated_from_the_language():
    assert GRAMMAR.read_text() == textmate.text(), \
        "run: python -m resdsl.highlight.textmate > editors/vscode/syntaxes/rdsl.tmLanguage.json"
    data = json.loads(GRAMMAR.read_text())
    assert data["scopeName"] == "source.rdsl"
    keyword = next(p for p in data["patterns"] if p.get("name") == SCOPES["keyword"])["match"]
    assert set(re.search(r"\(\?:([^)]*)\)", keyword).group(1).split("|")) == grammar_words()
    op = next(p for p in data["patterns"] if p.get("name") == SCOPES["op"])["match"]
    assert set(re.search(r"\(\?:([^)]*)\)", op).group(1).split("|")) == set(OPS) | set(ALIASES)


def expected_scopes(text: str) -> list[tuple[int, int, int, str]]:
    """(line, start, end, scope) of every token that must be coloured, by resdsl's lexer."""
    words, ops = grammar_words(), set(OPS) | set(ALIASES)
    out, previous = [], None
    for tok in parser().lex(text + "\n", dont_ignore=True):
        kind = LITERALS.get(tok.type)
        if tok.value in words and tok.type not in ("NAME", "PATH"):
            kind = "keyword"
        elif tok.type == "NAME" and previous is not None and previous.value in ("network", "block") \
                and previous.type != "NAME":
            kind = "definition"
        elif tok.type == "NAME" and tok.value in ops:
            kind = "op"
        if tok.type not in ("WS", "_NL"):
            previous = tok
        if kind:
            out.append((tok.line, tok.column - 1, tok.column - 1 + len(tok.value), kind))
    return out


@pytest.fixture(scope="module")
def engine_tokens():
    node = shutil.which("node")
    if node is None or not (ENGINE / "node_modules" / "vscode-textmate").is_dir():
        pytest.skip("needs node and the npm packages scripts/bootstrap.sh installs in tests/node")
    run = subprocess.run([node, "scopes.js", str(GRAMMAR), *map(str, BUNDLED)], cwd=ENGINE,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_every_word_and_literal_gets_its_scope(engine_tokens, path):
    by_line: dict[int, list] = {}
    for line, start, end, scopes in engine_tokens[str(path)]:
        by_line.setdefault(line, []).append((start, end, scopes))
    wrong = []
    for line, start, end, kind in expected_scopes(path.read_text()):
        wanted = {"keyword": (SCOPES["keyword"], SCOPES["declaration"])}.get(kind, (SCOPES[kind],))
        covering = [s for a, b, s in by_line.get(line, []) if a < end and b > start]
        if not covering or not all(any(w in s for w in wanted) for s in covering):
            wrong.append((line, start, kind, covering))
    assert wrong == []
