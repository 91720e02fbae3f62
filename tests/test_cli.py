"""The command line as users run it: output, exit codes, and no torch for the light commands."""


import pytest

from .cli import cli, cli_process, python_process
from .conftest import ARCH


def test_check_a_bundled_name():
    result = cli("check", "resnet50")
    assert result.returncode == 0, result.stderr
    assert "resnet50: 50 weighted layers" in result.stdout
    assert "25,557,032 params" in result.stdout and "4.09G multiply-adds" in result.stdout
    assert "output 1000" in result.stdout


def test_check_a_path_and_a_path_with_name(tmp_path):
    assert "resnet34_full: 34 weighted" in cli("check", ARCH / "resnet34.rdsl").stdout
    result = cli("check", f"{ARCH / 'resnet.rdsl'}:plain18")
    assert result.stdout.startswith("plain18: 18 weighted layers")
    result = cli("check", ARCH / "resnet.rdsl", "-n", "resnet152_v1")
    assert result.stdout.startswith("resnet152_v1:")


def test_check_counts_one_layer_in_the_singular(tmp_path):
    (tmp_path / "one.rdsl").write_text("network one {\n  input 3x8x8\n  conv 3x3, 4\n}\n")
    result = cli("check", tmp_path / "one.rdsl")
    assert result.stdout.startswith("one: 1 weighted layer (1 node), 108 params"), result.stdout


def test_check_a_whole_family():
    result = cli("check", ARCH / "resnet.rdsl")
    assert result.returncode == 0
    assert len(result.stdout.splitlines()) >= 13


def test_list_shows_bundled_networks():
    result = cli("list")
    assert result.returncode == 0
    for name in ("resnet18", "resnet152_v1", "plain34", "resnet34_c"):
        assert name in result.stdout
    assert "60,192,808" in result.stdout


def test_unknown_file_is_an_input_error_with_a_hint():
    result = cli("check", "resnet5O")
    assert result.returncode == 1
    assert "no file or bundled network named 'resnet5O'" in result.stderr
    assert "did you mean" in result.stderr


def test_usage_errors_exit_2():
    assert cli_process("frobnicate").returncode == 2  # through the interpreter's exit status too
    assert cli("check").returncode == 2
    assert cli("frobnicate").returncode == 2
    assert cli("compile", "resnet18", "-o", "x.txt").returncode == 2
    assert cli("check", "resnet18", "--input", "3x0").returncode == 2


def test_input_option_rebuilds_for_another_resolution():
    result = cli("check", "resnet50", "--input", "3x320x320")
    assert result.returncode == 0
    assert "input 3x320x320" in result.stdout


def test_failed_compile_leaves_no_file(tmp_path):
    bad = tmp_path / "bad.rdsl"
    bad.write_text("network n {\n  input 3x8x8\n  conv 9x9, 4, padding: 0\n}\n")
    out = tmp_path / "out.json"
    result = cli("compile", bad, "-o", out)
    assert result.returncode == 1
    assert not out.exists() and list(tmp_path.iterdir()) == [bad]


LIGHT_COMMANDS = [["check", "resnet50"], ["list"], ["compile", "resnet18", "-o", "{tmp}/r.json"],
                  ["viz", "resnet18", "--cost", "-o", "{tmp}/r.svg"],
                  ["flops", "resnet50", "--by", "block", "--batch", "8"],
                  ["flops", "architectures/resnet.rdsl", "--all", "--format", "json"],
                  ["diff", "resnet34", "plain34"]]


@pytest.mark.parametrize("args", LIGHT_COMMANDS, ids=lambda a: a[0])
def test_light_commands_do_not_import_torch(args, tmp_path):
    args = [a.format(tmp=tmp_path) for a in args]
    code = ("import sys\nfrom resdsl.cli import main\n"
            f"try:\n    main({args!r}, standalone_mode=False)\nfinally:\n"
            "    assert 'torch' not in sys.modules, 'torch was imported'\n")
    result = python_process(code)
    assert result.returncode == 0, result.stderr


def test_python_dash_m_works():
    result = cli_process("--version")
    assert result.returncode == 0 and "resdsl" in result.stdout
