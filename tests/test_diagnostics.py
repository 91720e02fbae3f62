"""Every malformed file gets file:line:col, its error code, the source line, a caret and the
expected message. The fixtures run in this process (click's runner); a few also run as a user
runs them, in a process of their own, for the exit code and stderr."""

import re
from pathlib import Path

import pytest

from resdsl.core.errors import ResdslError
from resdsl.language.library import build_graph, open_target

from .cli import cli

ROOT = Path(__file__).resolve().parent.parent
MALFORMED = sorted((Path(__file__).parent / "malformed").glob("*.rdsl"))
END_TO_END = ("bad_character", "channel_mismatch", "use_missing", "budget_exceeded")


def expectation(path: Path):
    """The header `# expect: LINE:COLUMN: error[CODE]: MESSAGE | HINT` (the hint optional)."""
    first = path.read_text().splitlines()[0]
    m = re.match(r"# expect: (\d+):(\d+): error\[(E\d{3})\]: (.*)", first)
    assert m, f"{path.name} lacks an '# expect: LINE:COLUMN: error[CODE]: MESSAGE' header"
    message, _, hint = m.group(4).partition(" | ")
    return int(m.group(1)), int(m.group(2)), m.group(3), message, hint


def test_there_are_enough_malformed_files():
    assert len(MALFORMED) >= 25


def assert_diagnostic(path: Path, stderr: str) -> None:
    line, column, code, message, hint = expectation(path)
    assert "Traceback" not in stderr
    assert f"{path.name}:{line}:{column}: error[{code}]: " in stderr, stderr
    assert message in stderr, stderr
    if hint:
        assert hint in stderr, stderr
    # the source line, and a caret under the column
    source_line = path.read_text().splitlines()[line - 1]
    rendered = stderr.splitlines()
    at = next(i for i, text in enumerate(rendered) if f":{line}:{column}: error[" in text)
    assert rendered[at + 1].endswith(source_line)
    caret_line = rendered[at + 2]
    gutter = rendered[at + 1].index("| ") + 2
    assert caret_line[gutter + column - 1] == "^", stderr


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.stem)
def test_malformed_file_reports_position_code_and_message(path, monkeypatch):
    monkeypatch.chdir(ROOT)  # messages name files relative to where resdsl runs
    result = cli("check", path)
    assert result.returncode == 1, result.output
    assert_diagnostic(path, result.stderr)


@pytest.mark.parametrize("name", END_TO_END)
def test_malformed_file_end_to_end(name, run_cli):
    path = Path(__file__).parent / "malformed" / f"{name}.rdsl"
    result = run_cli("check", path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert_diagnostic(path, result.stderr)


def test_errors_are_structured():
    path = Path(__file__).parent / "malformed" / "unknown_op.rdsl"
    with pytest.raises(ResdslError) as info:
        target = open_target(str(path))
        build_graph(target.scope, target.names[0])
    err = info.value
    assert (err.span.line, err.span.column, err.span.end_column) == (4, 12, 16)
    assert err.hint == "did you mean 'conv'?"


def test_several_errors_are_reported_together(tmp_path, run_cli):
    path = tmp_path / "typos.rdsl"
    path.write_text("block basic(width) {\n    conv 3x3, widht;  batchnorm\n}\n"
                    "network n {\n    input 3x32x32\n    stage s: basc(16) x 2\n}\n")
    result = run_cli("check", path)
    assert result.returncode == 1
    assert "3 errors" in result.stderr
    for where in ("typos.rdsl:2:15", "typos.rdsl:2:23", "typos.rdsl:6:14"):
        assert where in result.stderr


def test_import_cycle_is_an_error(tmp_path, run_cli):
    (tmp_path / "a.rdsl").write_text('use "b.rdsl"\n')
    (tmp_path / "b.rdsl").write_text('use "a.rdsl"\n')
    result = run_cli("check", tmp_path / "a.rdsl")
    assert result.returncode == 1
    assert "b.rdsl:1:1: error[E502]: import cycle: a.rdsl -> b.rdsl -> a.rdsl" in result.stderr


def test_tabs_keep_the_caret_aligned(tmp_path, run_cli):
    path = tmp_path / "tabs.rdsl"
    path.write_text("network n {\n\tinput 3x32x32\n\tconv 3x3, 16;\tbnn\n}\n")
    result = run_cli("check", path)
    lines = result.stderr.splitlines()
    assert "tabs.rdsl:3:16" in lines[0]
    assert lines[2].endswith("\t" + " " * 13 + "\t^^^") or lines[2].split("| ", 1)[1] == "\t" + " " * 13 + "\t^^^"


def test_not_utf8_is_a_diagnostic(tmp_path, run_cli):
    path = tmp_path / "latin1.rdsl"
    path.write_bytes(b"network n {\n  input 3x32x32 # caf\xe9\n}\n")
    result = run_cli("check", path)
    assert result.returncode == 1
    assert "latin1.rdsl:2:22: error[E503]: the file is not UTF-8 text" in result.stderr
