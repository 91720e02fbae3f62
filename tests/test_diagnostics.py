"""Every malformed file gets file:line:col, the source line, a caret and the expected message."""

import re
from pathlib import Path

import pytest

from resdsl.core.errors import ResdslError
from resdsl.language.library import build_graph, open_target

from .cli import cli

MALFORMED = sorted((Path(__file__).parent / "malformed").glob("*.rdsl"))


def expectation(path: Path):
    first = path.read_text().splitlines()[0]
    m = re.match(r"# expect: (\d+):(\d+): (.*)", first)
    assert m, f"{path.name} lacks an '# expect:' header"
    message, _, hint = m.group(3).partition(" | ")
    return int(m.group(1)), int(m.group(2)), message, hint


def test_there_are_enough_malformed_files():
    assert len(MALFORMED) >= 25


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.stem)
def test_malformed_file_reports_position_and_message(path):
    line, column, message, hint = expectation(path)
    result = cli("check", path)
    assert result.returncode == 1, result.stdout + result.stderr
    err = result.stderr
    assert "Traceback" not in err
    assert f"{path.name}:{line}:{column}: error[" in err, err
    assert message in err, err
    if hint:
        assert hint in err, err
    # the source line, and a caret under the column
    source_line = path.read_text().splitlines()[line - 1]
    rendered = err.splitlines()
    at = next(i for i, text in enumerate(rendered) if f":{line}:{column}: error[" in text)
    assert rendered[at + 1].endswith(source_line)
    caret_line = rendered[at + 2]
    gutter = rendered[at + 1].index("| ") + 2
    assert caret_line[gutter + column - 1] == "^", err


def test_errors_are_structured():
    path = Path(__file__).parent / "malformed" / "unknown_op.rdsl"
    with pytest.raises(ResdslError) as info:
        target = open_target(str(path))
        build_graph(target.scope, target.names[0])
    err = info.value
    assert (err.span.line, err.span.column, err.span.end_column) == (4, 12, 16)
    assert err.hint == "did you mean 'conv'?"


def test_several_errors_are_reported_together(tmp_path):
    path = tmp_path / "typos.rdsl"
    path.write_text("block basic(width) {\n    conv 3x3, widht;  batchnorm\n}\n"
                    "network n {\n    input 3x32x32\n    stage s: basc(16) x 2\n}\n")
    result = cli("check", path)
    assert result.returncode == 1
    assert "3 errors" in result.stderr
    for where in ("typos.rdsl:2:15", "typos.rdsl:2:23", "typos.rdsl:6:14"):
        assert where in result.stderr


def test_import_cycle_is_an_error(tmp_path):
    (tmp_path / "a.rdsl").write_text('use "b.rdsl"\n')
    (tmp_path / "b.rdsl").write_text('use "a.rdsl"\n')
    result = cli("check", tmp_path / "a.rdsl")
    assert result.returncode == 1
    assert "b.rdsl:1:1: error[E502]: import cycle: a.rdsl -> b.rdsl -> a.rdsl" in result.stderr


def test_tabs_keep_the_caret_aligned(tmp_path):
    path = tmp_path / "tabs.rdsl"
    path.write_text("network n {\n\tinput 3x32x32\n\tconv 3x3, 16;\tbnn\n}\n")
    result = cli("check", path)
    lines = result.stderr.splitlines()
    assert "tabs.rdsl:3:16" in lines[0]
    assert lines[2].endswith("\t" + " " * 13 + "\t^^^") or lines[2].split("| ", 1)[1] == "\t" + " " * 13 + "\t^^^"


def test_not_utf8_is_a_diagnostic(tmp_path):
    path = tmp_path / "latin1.rdsl"
    path.write_bytes(b"network n {\n  input 3x32x32 # caf\xe9\n}\n")
    result = cli("check", path)
    assert result.returncode == 1
    assert "latin1.rdsl:2:22: error[E503]: the file is not UTF-8 text" in result.stderr
