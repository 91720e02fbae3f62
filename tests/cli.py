"""The command line, as the tests run it.

`cli(...)` runs it in this process (click's test runner): the output and the exit status a
user would see, without an interpreter's start-up per call. `cli_process(...)` runs
`python -m resdsl` in a fresh interpreter, for what only a process shows: the exit status
through the interpreter, the modules a command imports, signals and broken pipes, limits read
from the environment at start-up. Both give the same `Result`.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Result:
    returncode: int
    stdout: str
    stderr: str
    output: str  # stdout and stderr as a terminal shows them, interleaved


def cli(*args, env: dict | None = None, cwd: Path | None = None) -> Result:
    """`resdsl ARGS` in this process. An exception that escapes the command (not a diagnostic
    with its exit status) is raised here, with its traceback, and fails the test."""
    from resdsl.cli import main

    with contextlib.chdir(cwd or ROOT), _torch_threads_kept(), _warnings_printed() as printed:
        done = _runner().invoke(main, [str(a) for a in args], env=env, catch_exceptions=False)
    # click 8.2 interleaves both streams in `output`; 8.1, told to keep stderr apart, gives stdout
    output = done.output if done.output != done.stdout or not done.stderr else done.stdout + done.stderr
    return Result(done.exit_code, done.stdout, done.stderr + "".join(printed), output + "".join(printed))


def _runner() -> CliRunner:
    try:
        return CliRunner(mix_stderr=False)  # click 8.1 mixes stderr into stdout unless told not to
    except TypeError:  # click 8.2 and later keep them apart, and have no such argument
        return CliRunner()


@contextlib.contextmanager
def _warnings_printed():
    """The warnings a fresh interpreter would print on stderr (its default filters), as text."""
    printed: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        warnings.simplefilter("default")
        for category in (DeprecationWarning, PendingDeprecationWarning, ImportWarning, ResourceWarning):
            warnings.filterwarnings("ignore", category=category)
        yield printed
    printed.extend(warnings.formatwarning(w.message, w.category, w.filename, w.lineno) for w in caught)


@contextlib.contextmanager
def _torch_threads_kept():
    """A training command sets torch's thread count for its process; here that is the test's."""
    torch = sys.modules.get("torch")
    threads = torch.get_num_threads() if torch else None
    try:
        yield
    finally:
        torch = sys.modules.get("torch")
        if torch and threads:
            torch.set_num_threads(threads)


def cli_process(*args, env: dict | None = None, cwd: Path | None = None) -> Result:
    """`python -m resdsl ARGS` in a fresh interpreter, as a user would run it."""
    done = subprocess.run([sys.executable, "-m", "resdsl", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, env={**os.environ, **(env or {})}, timeout=300,
                          check=False)
    return Result(done.returncode, done.stdout, done.stderr, done.stdout + done.stderr)


def python_process(code: str, cwd: Path | None = None) -> Result:
    """`python -c CODE` in a fresh interpreter: what a script sees (the modules it imports)."""
    done = subprocess.run([sys.executable, "-c", code], cwd=cwd or ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    return Result(done.returncode, done.stdout, done.stderr, done.stdout + done.stderr)


def commands(group=None, prefix: str = ""):
    """Every command a user can run, as ("experiment degradation", command), groups walked; the
    commands are loaded when asked for by name, so click's own `group.commands` is not enough."""
    import click

    from resdsl.cli import main

    group = group or main
    context = click.Context(group)
    for name in group.list_commands(context):
        command = group.get_command(context, name)
        if isinstance(command, click.Group):
            yield from commands(command, f"{prefix}{name} ")
        else:
            yield prefix + name, command
