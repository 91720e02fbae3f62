"""A file of the wrong kind is named for what it is: a binary file (a model, weights, an image)
given as source, a folder, a name that is a file once .rdsl is added, another resdsl output given
where the IR is expected."""

import json
import struct

import pytest

from .cli import cli

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10"
# an ONNX ModelProto starts with its ir_version (field 1) and producer_name (field 2)
ONNX = b"\x08\x08\x12\x07pytorch\x1a\x052.5.0"


def safetensors_bytes() -> bytes:
    header = json.dumps({"fc.weight": {"dtype": "F32", "shape": [1], "data_offsets": [0, 4]}}).encode()
    return struct.pack("<Q", len(header)) + header + b"\x00\x00\x80\x3f"


@pytest.mark.parametrize("name, content, kind", [
    ("logo.png", PNG, "a PNG image"),
    ("model.onnx", ONNX, "an ONNX model"),
    ("weights.safetensors", safetensors_bytes(), "safetensors weights"),
])
def test_a_binary_file_is_not_a_resdsl_source(tmp_path, name, content, kind):
    (tmp_path / name).write_bytes(content)
    result = cli("check", name, cwd=tmp_path)
    assert result.returncode == 1
    assert f"error[E508]: cannot read {name}: not a resdsl source (binary, {kind})" in result.output
    assert "help: " in result.output and "UTF-8" not in result.output


def test_a_large_binary_file_is_named_binary_before_its_size_is_judged(tmp_path):
    with open(tmp_path / "resnet50.onnx", "wb") as f:  # 2 GB, sparse: only the head is read
        f.write(ONNX)
        f.truncate(2 << 30)
    result = cli("flops", "resnet50.onnx", cwd=tmp_path)
    assert result.returncode == 1
    assert "error[E508]: cannot read resnet50.onnx: not a resdsl source (binary, an ONNX model)" in result.output
    assert "larger than the limit" not in result.output


def test_a_binary_file_named_in_use_is_refused_at_the_use_line(tmp_path):
    (tmp_path / "blocks.rdsl").write_bytes(PNG)
    (tmp_path / "a.rdsl").write_text('use "blocks.rdsl"\n')
    result = cli("check", "a.rdsl", cwd=tmp_path)
    assert result.returncode == 1
    assert "a.rdsl:1:1: error[E508]: cannot read blocks.rdsl: not a resdsl source (binary, a PNG image)" \
        in result.output


def test_a_binary_file_named_json_is_not_an_ir_file(tmp_path):
    with open(tmp_path / "net.json", "wb") as f:  # a PNG saved as .json, over the IR size limit
        f.write(PNG)
        f.truncate(1 << 30)
    result = cli("compile", "net.json", cwd=tmp_path)
    assert result.returncode == 1
    assert "error[E508]: cannot read net.json: not an IR file (binary, a PNG image)" in result.output
    assert "larger than the limit" not in result.output and "UTF-8" not in result.output


def test_latin1_text_is_still_not_utf8_rather_than_binary(tmp_path):
    (tmp_path / "n.rdsl").write_bytes(b"network n {\n  input 3x32x32 # caf\xe9\n}\n")
    result = cli("check", "n.rdsl", cwd=tmp_path)
    assert "error[E503]" in result.output and "E508" not in result.output


def test_a_folder_is_called_a_folder(tmp_path):
    (tmp_path / "nets").mkdir()
    (tmp_path / "nets" / "mine.rdsl").write_text("net = resnet(basic, [1, 1, 1, 1])\n")
    result = cli("check", "nets", cwd=tmp_path)
    assert result.returncode == 1
    assert "error[E505]: 'nets' is a folder, not a resdsl source" in result.output
    assert "help: give one of its files, e.g. nets/mine.rdsl" in result.output
    (tmp_path / "empty").mkdir()
    assert "error[E505]: 'empty' is a folder" in cli("flops", "empty", cwd=tmp_path).output


def test_a_name_that_is_a_file_with_rdsl_added_is_suggested(tmp_path):
    (tmp_path / "typo.rdsl").write_text("n = resnet(basic, [1, 1, 1, 1])\n")
    result = cli("check", "typo", cwd=tmp_path)
    assert result.returncode == 1
    assert "error[E204]: no file or bundled network named 'typo'" in result.output
    assert "did you mean the file 'typo.rdsl'?" in result.output
    # a close bundled name is still offered, beside the file
    (tmp_path / "resnet5.rdsl").write_text("n = resnet(basic, [1, 1, 1, 1])\n")
    output = cli("check", "resnet5", cwd=tmp_path).output
    assert "did you mean the file 'resnet5.rdsl'?" in output and "'resnet56' (bundled)" in output
    assert "did you mean 'resnet50'?" in cli("check", "resnt50", cwd=tmp_path).output


@pytest.mark.parametrize("command, what", [
    (("flops", "resnet18", "--format", "json"), "a flops report ('resdsl flops --format json')"),
    (("diff", "resnet18", "resnet34", "--format", "json"), "a diff ('resdsl diff --format json')"),
    (("list", "resnet1*", "--format", "json"), "a listing ('resdsl list --format json')"),
])
def test_another_output_given_as_the_ir_says_what_it_is(tmp_path, command, what):
    written = cli(*command)
    assert written.returncode == 0
    (tmp_path / "r.json").write_text(written.stdout)
    for reader in ("check", "flops", "compile"):
        result = cli(reader, "r.json", cwd=tmp_path)
        assert result.returncode == 1
        assert f"error[E810]: r.json is {what}, not the IR" in result.output, result.output
        assert "E801" not in result.output


def test_json_that_is_no_resdsl_output_still_gets_the_schema_errors(tmp_path):
    (tmp_path / "x.json").write_text('{"a": 1}\n')
    result = cli("check", "x.json", cwd=tmp_path)
    assert "error[E801]" in result.output and "E810" not in result.output
