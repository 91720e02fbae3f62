"""The error catalogue: every code the package raises has an entry (`resdsl explain CODE`), every
entry is a code that is raised (or reserved), the examples cause their codes, and docs/errors.md
is the catalogue as generated."""

import re
import sys
from pathlib import Path

import pytest

from resdsl.core.catalogue import entries

from .cli import cli, python_process

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "resdsl"
# a code in the source: a literal "E202" (code=..., a class default) or one in a message, error[E607]
RAISED = re.compile(r"\"(E\d{3,4})\"|error\[(E\d{3,4})\]")


def raised_codes() -> set[str]:
    found = set()
    for path in PACKAGE.rglob("*.py"):
        if path.name == "catalogue.py":
            continue
        for match in RAISED.finditer(path.read_text(encoding="utf-8")):
            found.add(match.group(1) or match.group(2))
    return found


def explain(*args):
    return cli("explain", *args)


def test_the_source_walk_finds_the_codes_it_should():
    codes = raised_codes()
    # an independent sample: a literal code= (E303), a class default (E930), a message (E607)
    assert {"E303", "E930", "E607", "E206"} <= codes
    assert len(codes) >= 90


@pytest.mark.parametrize("code", sorted(raised_codes()))
def test_every_raised_code_is_explained(code):
    result = explain(code)
    assert result.returncode == 0, result.output
    title, _, body = result.output.partition("\n")
    assert title.startswith(f"{code}: ") and len(title) > len(code) + 4
    assert len(body.split()) >= 10, f"{code}'s explanation is too short"


def test_every_entry_is_raised_or_reserved():
    raised = raised_codes()
    stale = [code for code, entry in entries().items() if code not in raised and not entry.reserved]
    assert not stale, f"entries for codes nothing raises (mark them reserved): {stale}"


def test_entries_are_complete():
    for code, entry in entries().items():
        assert re.fullmatch(r"E\d{3,4}", code)
        assert "\n" not in entry.title and entry.title
        if code[-2:] != "00" and not entry.reserved:  # a family's root explains the family
            assert entry.example and entry.fix, f"{code} needs an example and a fix"


@pytest.mark.parametrize("code", [c for c, e in entries().items() if e.runs])
def test_the_example_causes_its_code(code, tmp_path):
    source = tmp_path / "example.rdsl"
    source.write_text(entries()[code].example + "\n")
    # check builds every network of the file, as a user checks an example; a file without
    # networks is nothing to check, and only a command that needs one says E205
    result = cli("compile", source) if code == "E205" else cli("check", source)
    assert result.returncode == 1, result.output
    assert f"error[{code}]" in result.output, result.output


def test_explain_accepts_the_code_in_any_case_and_without_the_e():
    assert explain("e303").output == explain("303").output == explain("E303").output
    assert explain("E303").output.startswith("E303: division by zero\n")


def test_an_unknown_code_is_a_usage_error_with_a_suggestion():
    result = explain("E2020")
    assert result.returncode == 2
    assert "no error code 'E2020'; did you mean 'E202'?" in result.output
    result = explain("banana")
    assert result.returncode == 2 and "'resdsl explain' lists every code" in result.output


def test_explain_alone_lists_every_code_with_its_title():
    out = explain().output
    for code, entry in entries().items():
        assert f"  {code}  {entry.title}" in out
    assert out.index("Syntax") < out.index("E101") < out.index("Names") < out.index("E202")


def test_docs_page_is_the_generated_catalogue():
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        from errors_page import PAGE, page
    finally:
        sys.path.pop(0)
    current = PAGE.read_text(encoding="utf-8")
    assert page(current) == current, "docs/errors.md is stale: run python scripts/errors_page.py"
    for code in entries():
        assert f"#### {code}: " in current


def test_checking_a_file_does_not_load_the_catalogue():
    code = ("import sys\nfrom resdsl.cli import main\n"
            "try:\n    main(['check', 'resnet18', '--error-format', 'json'])\n"
            "except SystemExit as done:\n    assert done.code in (0, None), done.code\n"
            "assert 'resdsl.core.catalogue' not in sys.modules\n"
            "assert 'tomllib' not in sys.modules\n")
    result = python_process(code)
    assert result.returncode == 0, result.stderr
