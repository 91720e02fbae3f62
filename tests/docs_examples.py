"""The examples of README.md and docs/*.md, read from the Markdown: console sessions (` ```console`,
`$ command` then the output it prints) and Python (` ```python`, a script, or `>>>` doctest lines).

An example that cannot run in CI (a download, hours of training) is marked on the line before its
fence, with the reason:

    <!-- docs-test: skip (needs torchvision's checkpoint, a download) -->

Use it sparingly: an example that is not run is an example that may be wrong. In expected output
a line `...` stands for any number of lines. A command that shows no output must exit 0, unless
its comment says otherwise (`$ resdsl flops resnet50 --max-flops 4G   # ... exits 1`).

Each command and each Python block is a step the suite runs on its own. A step that reads a file
an earlier command of its page writes (`-o FILE`, `--save-weights FILE`, `> FILE`) runs after that
command, in the same folder; a Python block runs after the page's earlier blocks, in their
namespace.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

SKIP = re.compile(r"<!--\s*docs-test:\s*skip\b.*-->")
FENCE = re.compile(r"^```(\w*)\s*$")
WRITES = re.compile(r"(?:^|\s)(?:-o|--save-weights|>)\s*([^\s;|&<>]+)")


@dataclass
class Command:
    line: int  # in the Markdown file
    text: str  # the shell command, without `$ `
    expected: list[str] = field(default_factory=list)

    @property
    def exit_code(self) -> int:
        """0, or what the command's comment says (`# a budget that fails exits 1`)."""
        said = re.search(r"#.*\bexits (\d+)", self.text)
        return int(said.group(1)) if said else 0


@dataclass
class Example:
    path: Path
    line: int
    kind: str  # "console" or "python"
    text: str
    commands: list[Command] = field(default_factory=list)

    @property
    def where(self) -> str:
        return f"{self.path.name}:{self.line}"


def examples(path: Path) -> list[Example]:
    """The console and Python examples of one Markdown file, in order, skipped ones left out."""
    lines = path.read_text().splitlines()
    found, index = [], 0
    while index < len(lines):
        match = FENCE.match(lines[index])
        if not match:
            index += 1
            continue
        kind, start = match.group(1), index
        end = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("```"))
        before = next((lines[i] for i in range(start - 1, -1, -1) if lines[i].strip()), "")
        if kind in ("console", "python") and not SKIP.search(before):
            body = lines[start + 1:end]
            example = Example(path, start + 1, kind, "\n".join(body) + "\n")
            if kind == "console":
                example.commands = _commands(body, start + 2)
            found.append(example)
        index = end + 1
    return found


@dataclass
class Step:
    """One command of a console example (`command` set), or one Python example."""
    example: Example
    command: Command | None = None
    needs: list[Step] = field(default_factory=list)  # earlier steps of the page, in order

    @property
    def text(self) -> str:
        return self.command.text if self.command else self.example.text

    def writes(self) -> set[str]:
        return set(WRITES.findall(self.command.text)) - {"-"} if self.command else set()

    def __str__(self) -> str:
        if self.command is None:
            return f"{self.example.where} python"
        shown = self.command.text.partition("  #")[0].strip()
        shown = shown if len(shown) <= 60 else shown[:57] + "..."
        return f"{self.example.path.name}:{self.command.line} {shown}"


def steps(path: Path) -> list[Step]:
    """The steps of one Markdown file, each with the earlier steps it needs."""
    found: list[Step] = []
    for example in examples(path):
        for command in example.commands or [None]:
            step = Step(example, command)
            words = set(step.text.split()) | set(re.findall(r"[\"']([^\"']+)[\"']", step.text))
            wanted = {id(s) for s in found
                      if s.writes() & words or (command is None and s.command is None)}
            for earlier in found:  # what the steps it reads from need, first
                if id(earlier) in wanted:
                    wanted.update(id(s) for s in earlier.needs)
            step.needs = [s for s in found if id(s) in wanted]
            found.append(step)
    return found


def _commands(body: list[str], first_line: int) -> list[Command]:
    commands: list[Command] = []
    for offset, line in enumerate(body):
        if line.startswith("$ "):
            commands.append(Command(first_line + offset, line[2:]))
        elif commands:
            commands[-1].expected.append(line.rstrip())
    for command in commands:
        while command.expected and not command.expected[-1]:
            command.expected.pop()
    return commands


def output_matches(expected: list[str], actual: list[str]) -> bool:
    """Line by line; a line `...` in `expected` matches any number of lines."""
    if not expected:
        return not actual
    if expected[0] == "...":
        return any(output_matches(expected[1:], actual[i:]) for i in range(len(actual) + 1))
    return bool(actual) and actual[0] == expected[0] and output_matches(expected[1:], actual[1:])
