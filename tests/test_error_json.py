"""`--error-format json`: every diagnostic as one JSON document on stderr's last line, valid
against the schema the package ships, on every command that reads sources."""

import json
import subprocess
import sys
from importlib.resources import files

import jsonschema
import pytest

from .cli import cli, commands

SCHEMA = json.loads(files("resdsl.core").joinpath("schema/diagnostics-v1.json").read_text())


def run(*args):
    result = cli(*args)
    document = json.loads(result.stderr.splitlines()[-1])
    jsonschema.validate(document, SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    return result, document["diagnostics"]


def test_the_schema_is_a_valid_schema():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)


def test_several_errors_with_their_spans(tmp_path):
    path = tmp_path / "typos.rdsl"
    path.write_text("block basic(width) {\n    conv 3x3, widht;  batchnorm\n}\n"
                    "network n {\n    input 3x32x32\n    stage s: basc(16) x 2\n}\n")
    result, found = run("check", path, "--error-format", "json")
    assert result.returncode == 1
    assert [(d["code"], d["severity"]) for d in found] == [("E202", "error")] * 3
    # 'widht' is 5 characters from column 15, 'batchnorm' 9 from 23, 'basc' 4 from 14
    assert [(d["span"]["line"], d["span"]["column"], d["span"]["end_line"], d["span"]["end_column"])
            for d in found] == [(2, 15, 2, 20), (2, 23, 2, 32), (6, 14, 6, 18)]
    assert {d["span"]["file"] for d in found} == {str(path)}
    assert found[0]["message"] == "unknown name 'widht'" and found[0]["hint"] == "did you mean 'width'?"
    assert found[1]["hint"] == "did you mean 'bn'?"
    assert found[0]["rendered"].startswith(f"{path}:2:15: error[E202]: unknown name 'widht'\n")


def test_the_human_form_is_unchanged_without_the_option(tmp_path):
    path = tmp_path / "zero.rdsl"
    path.write_text("network n {\n    input 3x32x32\n    conv 3x3, 16 // 0\n}\n")
    human = cli("check", path)
    result, found = run("check", path, "--error-format", "json")
    assert human.returncode == result.returncode == 1
    assert human.stderr.rstrip("\n") == found[0]["rendered"]
    assert result.stdout == ""


def test_a_note_carries_its_span(tmp_path):
    path = tmp_path / "my.rdsl"
    instance = "net = resnet(basic, [2, 2, 2])"  # resnet indexes depths[3]: out of range
    path.write_text(f'use "resnet.rdsl"\n\n{instance}\n')
    _, found = run("check", path, "--error-format", "json")
    (error,) = found
    assert error["code"] == "E302" and error["span"]["file"].endswith("architectures/resnet.rdsl")
    (note,) = error["notes"]
    assert note["message"] == "in the instance 'net'"
    assert (note["span"]["file"], note["span"]["line"], note["span"]["column"]) == (str(path), 3, 1)


def test_an_error_without_a_place_has_a_null_span():
    result, found = run("flops", "no-such-network", "--error-format", "json")
    assert result.returncode == 1
    assert [(d["code"], d["span"]) for d in found] == [("E204", None)]


def test_success_prints_an_empty_document():
    result, found = run("check", "resnet18", "--error-format", "json")
    assert result.returncode == 0 and found == []
    assert result.stdout.startswith("resnet18: 18 weighted layers")


def test_a_check_passed_over_is_a_warning(tmp_path):
    path = tmp_path / "tight.rdsl"
    path.write_text("network n {\n    input 3x32x32\n    conv 3x3, 16\n    budget flops <= 100K\n}\n")
    result, found = run("compile", path, "--no-check", "-o", tmp_path / "n.json", "--error-format", "json")
    assert result.returncode == 0 and (tmp_path / "n.json").exists()
    assert [(d["code"], d["severity"], d["span"]["line"]) for d in found] == [("E701", "warning", 4)]
    human = cli("compile", path, "--no-check", "-o", tmp_path / "m.json")
    assert human.stderr.startswith(f"warning (--no-check): {path}:4:12: error[E701]: ")
    assert human.stderr.rstrip("\n") == found[0]["rendered"]



def test_every_command_that_reads_sources_takes_the_option():
    leaves = dict(commands())
    assert {"check", "flops", "compile", "viz", "train", "eval", "experiment degradation"} <= set(leaves)
    for name, command in leaves.items():
        options = {opt for param in command.params for opt in param.opts}
        assert ("--error-format" in options) == (name != "explain"), name


@pytest.mark.parametrize("fmt", ["human", "json"])
def test_end_to_end_exit_code_and_stderr(tmp_path, fmt):
    path = tmp_path / "zero.rdsl"
    path.write_text("network n {\n    input 3x32x32\n    conv 3x3, 16 // 0\n}\n")
    done = subprocess.run([sys.executable, "-m", "resdsl", "check", str(path), "--error-format", fmt],
                          capture_output=True, text=True)
    assert done.returncode == 1 and done.stdout == ""
    if fmt == "json":
        (error,) = json.loads(done.stderr)["diagnostics"]
        assert (error["code"], error["span"]["line"], error["span"]["column"]) == ("E303", 3, 21)
    else:
        assert done.stderr.startswith(f"{path}:3:21: error[E303]: division by zero\n")
