"""Every console and Python example of README.md and docs/ runs as written, from a folder
outside the checkout, and prints what the docs say it prints (tests/docs_examples.py reads them;
it also says how to mark the rare example that cannot run in CI)."""

from __future__ import annotations

import ast
import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import ROOT
from .docs_examples import Step, examples, output_matches, steps

DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    env.pop("PYTHONPATH", None)  # resdsl as installed, not the checkout on the path
    return env


def _run_console(example, command, cwd: Path) -> None:
    done = subprocess.run(["bash", "-c", command.text], cwd=cwd, env=_env(), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
    actual = [line.rstrip() for line in done.stdout.rstrip("\n").splitlines()]
    where = f"{example.path.name}:{command.line}: $ {command.text}"
    if command.expected:
        assert output_matches(command.expected, actual), (
            f"{where}\n--- the docs say\n" + "\n".join(command.expected)
            + "\n--- it prints\n" + "\n".join(actual))
    else:
        assert done.returncode == command.exit_code, f"{where}\nexit {done.returncode}\n{done.stdout}"


def _run_python(example, cwd: Path, namespace: dict) -> None:
    old = Path.cwd()
    os.chdir(cwd)
    try:
        if example.text.lstrip().startswith(">>>"):
            test = doctest.DocTestParser().get_doctest(example.text, namespace, example.where,
                                                       str(example.path), example.line)
            runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
            report = []
            runner.run(test, out=report.append)
            assert not runner.failures, "".join(report)
        else:
            _run_script(example, namespace)
    finally:
        os.chdir(old)


def _run_script(example, namespace: dict) -> None:
    """Run the block; a statement `expr  # value` must give that value (`# (128, 28, 28)`)."""
    lines = example.text.splitlines()
    for statement in ast.parse(example.text).body:
        code = compile(ast.Module([statement], []), example.where, "exec")
        comment = lines[statement.end_lineno - 1].partition("#")[2].strip()
        expected = _literal(comment) if isinstance(statement, ast.Expr) else None
        if expected is None:
            exec(code, namespace)
            continue
        value = eval(compile(ast.Expression(statement.value), example.where, "eval"), namespace)
        assert value == expected[0], (
            f"{example.path.name}:{example.line + statement.lineno}: {ast.unparse(statement)} "
            f"gives {value!r}, the docs say {comment}")


def _literal(comment: str):
    try:
        return (ast.literal_eval(comment),)
    except (ValueError, SyntaxError):
        return None


def _run(step: Step, cwd: Path, namespace: dict) -> None:
    if step.command is not None:
        _run_console(step.example, step.command, cwd)
    else:
        _run_python(step.example, cwd, namespace)


STEPS = [step for doc in DOCS for step in steps(doc)]


@pytest.mark.slow
@pytest.mark.parametrize("step", STEPS, ids=str)
def test_a_documented_example_runs_as_written(step, tmp_path):
    """Each command and Python block on its own (xdist spreads them), in a folder outside the
    checkout; the earlier steps of its page that it needs run first, in the same folder."""
    assert ROOT not in tmp_path.parents
    namespace: dict = {"__name__": "__docs__"}
    for earlier in step.needs:
        try:
            _run(earlier, tmp_path, namespace)
        except Exception as err:  # noqa: BLE001 (an assertion, or the example's own error)
            pytest.fail(f"{step} needs {earlier}, which failed: {type(err).__name__}: {err}")
    _run(step, tmp_path, namespace)


def test_the_reader_finds_examples_and_honours_the_skip_marker(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```console\n$ resdsl list 'x*'\nno networks\n\n$ true\n```\n\n"
                    "<!-- docs-test: skip (a download) -->\n```python\nimport nowhere\n```\n"
                    "```\nnetwork n { }\n```\n```python\nx = 1\n```\n"
                    "```console\n$ false   # exits 1\n```\n")
    found = examples(page)
    assert [e.kind for e in found] == ["console", "python", "console"]
    assert found[2].commands[0].exit_code == 1 and found[0].commands[1].exit_code == 0
    assert [(c.text, c.expected) for c in found[0].commands] == [("resdsl list 'x*'", ["no networks"]),
                                                                ("true", [])]
    assert output_matches(["a", "...", "d"], ["a", "b", "c", "d"])
    assert not output_matches(["a", "d"], ["a", "b", "d"])


def test_a_step_runs_after_the_earlier_steps_whose_files_it_reads(tmp_path):
    page = tmp_path / "page.md"
    page.write_text("```console\n$ printf 'x' > a.rdsl\n$ resdsl compile a.rdsl -o a.json\n"
                    "$ resdsl check resnet50\n$ resdsl flops a.json   # reads a.json\n```\n"
                    "```python\nx = 1\n```\n```python\nprint(x)\n```\n")
    found = steps(page)
    assert [str(s) for s in found] == [
        "page.md:2 printf 'x' > a.rdsl", "page.md:3 resdsl compile a.rdsl -o a.json",
        "page.md:4 resdsl check resnet50", "page.md:5 resdsl flops a.json",
        "page.md:7 python", "page.md:10 python"]
    needs = {str(s): [str(n) for n in s.needs] for s in found}
    assert needs["page.md:3 resdsl compile a.rdsl -o a.json"] == ["page.md:2 printf 'x' > a.rdsl"]
    assert needs["page.md:4 resdsl check resnet50"] == []
    assert needs["page.md:5 resdsl flops a.json"] == ["page.md:2 printf 'x' > a.rdsl",
                                                      "page.md:3 resdsl compile a.rdsl -o a.json"]
    assert needs["page.md:10 python"] == ["page.md:7 python"]
