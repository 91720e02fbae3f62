"""`resdsl fmt`: the layout rules on small texts written out by hand, and the command itself
(--check, --diff, '-', folders, files that do not parse)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from resdsl.core.errors import ParseError
from resdsl.core.resources import architectures_dir
from resdsl.format import format_text

from .cli import ROOT, cli


def test_spacing_from_the_tree():
    text = ("network n(a,b=2){\ninput 3x32x32\nconv1:conv 3x3,(a+1)*2,stride:b\n"
            "relu  (a)\nfc -a , k: y[0]//2\n}\n"
            "m=n( 1,[2,3] )expect params  1_000  within 5 %,flops 1e-6\n")
    assert format_text(text) == (
        "network n(a, b = 2) {\n"
        "    input 3x32x32\n"
        "    conv1: conv 3x3, (a + 1) * 2, stride: b\n"
        "    relu (a)\n"                       # a layer's argument in parentheses, not a call
        "    fc -a, k: y[0] // 2\n"
        "}\n"
        "m = n(1, [2, 3])  expect params 1_000 within 5%, flops 1e-6\n")  # numbers as written


def test_parentheses_and_minus_as_written():
    text = "network n {\n  conv 3x3, -(-a), ((b)), - 2\n}\nm = n expect params -1\n"
    assert format_text(text) == ("network n {\n    conv 3x3, -(-a), ((b)), -2\n}\n"
                                 "m = n  expect params -1\n")


def test_semicolons_stay_where_two_statements_share_a_line():
    text = "network n { input 3x8x8; conv 3x3, 4 ;bn;\nrelu;; }\n"
    assert format_text(text) == "network n {\n    input 3x8x8;  conv 3x3, 4;  bn\n    relu\n}\n"


def test_rows_of_statements_line_up_in_columns():
    text = ("block b(w) {\n  conv1: conv 3x3, w, stride: 2; bn1: bn; relu\n"
            "  conv2: conv 3x3, w; bn2: bn\n\n  add shortcut; relu\n}\n")
    assert format_text(text) == (
        "block b(w) {\n"
        "    conv1: conv 3x3, w, stride: 2;  bn1: bn;  relu\n"
        "    conv2: conv 3x3, w;             bn2: bn\n"
        "\n"                                          # a blank line ends the columns
        "    add shortcut;  relu\n"
        "}\n")
    # a row that starts with another op is not part of the table
    assert format_text("block c {\n conv 1x1, 8;  bn\n add shortcut; relu\n}\n") == \
        "block c {\n    conv 1x1, 8;  bn\n    add shortcut;  relu\n}\n"


def test_instances_and_stages_line_up():
    text = ("network r(d) {\n  stage layer1: b(64) x d[0]\n  stage layer2: b(128) x d[1], stride: 2\n}\n"
            "r18 = r([2, 2]) expect params 1\nr101 = r([3, 23]) expect params 2\n"
            "plain = r18 with shortcuts none\n")
    assert format_text(text) == (
        "network r(d) {\n"
        "    stage layer1: b(64)  x d[0]\n"
        "    stage layer2: b(128) x d[1], stride: 2\n"
        "}\n"
        "r18   = r([2, 2])   expect params 1\n"
        "r101  = r([3, 23])  expect params 2\n"
        "plain = r18 with shortcuts none\n")


def test_comments_and_blank_lines_are_kept():
    text = ("\n\n# head\nuse \"blocks.rdsl\"   # why\n\n\n\nnetwork n {   # opens\n"
            "    # first\n  input 3x8x8\n\n\n   conv 3x3, 4 # four\n    relu   # then\n"
            "  # last\n}  # closes\n# tail\n\n")
    assert format_text(text) == (
        "# head\n"
        "use \"blocks.rdsl\"  # why\n"
        "\n"
        "network n {  # opens\n"
        "    # first\n"
        "    input 3x8x8\n"
        "\n"
        "    conv 3x3, 4  # four\n"
        "    relu         # then\n"
        "    # last\n"
        "}  # closes\n"
        "# tail\n")


def test_long_parameter_lists_break_where_written():
    text = "block b(a, b = 1,\n  c = a * 2) {\n relu\n}\nnetwork e {}\n"
    assert format_text(text) == "block b(a, b = 1,\n        c = a * 2) {\n    relu\n}\nnetwork e {}\n"


def test_line_ends_and_byte_order_mark():
    assert format_text("\ufeffnetwork n {\r\n  relu\r\n}\r\n") == "network n {\n    relu\n}\n"
    assert format_text("") == ""


def test_text_that_does_not_parse_is_refused_with_its_diagnostic():
    with pytest.raises(ParseError) as err:
        format_text("network n {\n  conv 3x3,\n}\n", "n.rdsl")
    assert err.value.code == "E102" and err.value.span.line == 2


# -- the command -----------------------------------------------------------------------------

UGLY = "network n {\nconv 3x3,4\n}\n"
PRETTY = "network n {\n    conv 3x3, 4\n}\n"


def test_fmt_rewrites_and_lists_the_files_that_changed(tmp_path):
    (tmp_path / "a.rdsl").write_text(UGLY)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.rdsl").write_text(PRETTY)
    result = cli("fmt", str(tmp_path))
    assert result.returncode == 0, result.output
    assert result.stdout.splitlines() == [str(tmp_path / "a.rdsl")]
    assert (tmp_path / "a.rdsl").read_text() == PRETTY
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


def test_check_lists_and_exits_1_without_writing(tmp_path):
    (tmp_path / "a.rdsl").write_text(UGLY)
    (tmp_path / "b.rdsl").write_text(PRETTY)
    result = cli("fmt", "--check", str(tmp_path / "a.rdsl"), str(tmp_path / "b.rdsl"))
    assert result.returncode == 1 and result.stdout.splitlines() == [str(tmp_path / "a.rdsl")]
    assert (tmp_path / "a.rdsl").read_text() == UGLY
    assert cli("fmt", "--check", str(tmp_path / "b.rdsl")).returncode == 0


def test_diff_prints_a_unified_diff(tmp_path):
    (tmp_path / "a.rdsl").write_text(UGLY)
    result = cli("fmt", "--diff", str(tmp_path / "a.rdsl"))
    assert result.returncode == 0
    assert "-conv 3x3,4\n+    conv 3x3, 4\n" in result.stdout
    assert result.stdout.startswith(f"--- {tmp_path / 'a.rdsl'} (as written)\n")
    assert (tmp_path / "a.rdsl").read_text() == UGLY


def test_a_file_that_does_not_parse_is_left_untouched_with_its_diagnostic(tmp_path):
    broken = "network n {\n  conv 3x3,\n}\n"
    (tmp_path / "a.rdsl").write_text(broken)
    (tmp_path / "b.rdsl").write_text(UGLY)
    result = cli("fmt", str(tmp_path))
    assert result.returncode == 1
    assert f"{tmp_path / 'a.rdsl'}:2:" in result.stderr and "E102" in result.stderr
    assert (tmp_path / "a.rdsl").read_text() == broken
    assert (tmp_path / "b.rdsl").read_text() == PRETTY  # the others are formatted


def test_standard_input_to_standard_output():
    run = subprocess.run([sys.executable, "-m", "resdsl", "fmt", "-"], input=UGLY,
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 0 and run.stdout == PRETTY
    run = subprocess.run([sys.executable, "-m", "resdsl", "fmt", "--check", "-"], input=UGLY,
                         capture_output=True, text=True, cwd=ROOT)
    assert run.returncode == 1 and run.stdout == "<stdin>\n"


def test_the_bundled_files_are_formatted():
    """`resdsl fmt --check architectures/` passes: every bundled file is in the canonical layout
    (after adding or editing one, run `resdsl fmt architectures/`)."""
    result = cli("fmt", "--check", str(architectures_dir()))
    assert result.returncode == 0, result.output
