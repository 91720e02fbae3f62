"""docs/cli.md, the command-line reference, against the commands themselves: every option that
`--help` shows is documented in its command's section, and nothing documented there is missing
from the command."""

from __future__ import annotations

import re

import click

from resdsl.cli import main

from .cli import commands
from .conftest import ROOT

PAGE = ROOT / "docs" / "cli.md"
# An option's line in a command's section: "- `-n, --network NAME`: ..." or
# "- `--plain/--no-plain`: ...". The code spans that open the line name options; those in the
# description after them (`--level layer`) are examples.
_OPTION_LINE = re.compile(r"^- ((?:`[^`]+`(?:, )?)+)", re.MULTILINE)
_OPTION_NAME = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")



def _sections() -> dict[str, str]:
    """The page's "## resdsl ..." sections, by command name ("" for resdsl itself)."""
    parts = re.split(r"^## ", PAGE.read_text(), flags=re.MULTILINE)
    sections = {}
    for part in parts[1:]:
        title, _, body = part.partition("\n")
        if title.startswith("resdsl"):
            sections[title.removeprefix("resdsl").strip()] = body
    return sections


def _documented(body: str) -> set[str]:
    return {name for line in _OPTION_LINE.findall(body) for name in _OPTION_NAME.findall(line)}


def _visible(command: click.Command) -> set[str]:
    """The names --help shows. Hidden options (`flops --flops`, refused with a pointer to
    --float-ops) and hidden older names (`--out`, read as -o/--output) are left out of the
    command sections; the shared options say that `--out` is still read."""
    names = set()
    for param in command.params:
        if isinstance(param, click.Option) and not param.hidden:
            hidden_names = set(getattr(param, "hidden_names", ()))
            names |= {n for n in [*param.opts, *param.secondary_opts] if n not in hidden_names}
    return names


def _every_name(command: click.Command) -> set[str]:
    return {n for param in command.params for n in [*param.opts, *param.secondary_opts]
            if isinstance(param, click.Option)}


def test_every_command_has_a_section():
    names = {name for name, _ in commands()}
    assert {"check", "list", "compile", "flops", "diff", "viz", "train", "eval", "explain",
            "experiment degradation", "experiment cifar-depths", "analyze responses"} <= names
    assert set(_sections()) == names | {""}


def test_every_option_of_every_command_is_documented_in_its_section():
    sections = _sections()
    for name, command in [("", main), *commands()]:
        documented = _documented(sections[name])
        missing = _visible(command) - documented
        assert not missing, f"resdsl {name}: options not in docs/cli.md: {sorted(missing)}"
        unknown = documented - _every_name(command)
        assert not unknown, f"resdsl {name}: docs/cli.md names options it lacks: {sorted(unknown)}"


def test_the_page_agrees_with_help():
    """What --help prints, option by option, is what the page lists (the help text's names)."""
    from .cli import cli

    sections = _sections()
    for name, _command in commands():
        shown = cli(*name.split(), "--help").stdout
        # an option's line: two spaces, its names and metavar, two spaces, its help;
        # -h/--help, which every command has, is in the shared options
        stanzas = re.findall(r"^  (-.*?)(?:  |$)", shown, re.MULTILINE)
        in_help = {n for stanza in stanzas for n in _OPTION_NAME.findall(stanza)} - {"-h", "--help"}
        assert in_help == _documented(sections[name]), name


def test_the_documented_exit_codes_are_the_tools():
    from .cli import cli

    text = PAGE.read_text()
    for code in "0123":
        assert re.search(rf"^\| {code} \|", text, re.MULTILINE)
    assert cli("check", "resnet20").returncode == 0
    assert cli("check", "resnet50", "--max-flops", "1G").returncode == 1
    assert cli("check", "resnet20", "--no-such-option").returncode == 2
    assert cli("check", "resnet20", "-n", "a", "-n", "b").returncode == 2


def test_the_reference_is_linked_from_the_readme():
    assert "(docs/cli.md)" in (ROOT / "README.md").read_text()
