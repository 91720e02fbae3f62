"""The IR reader on malformed files: every failure is an E8xx diagnostic with a JSON path, and
the reader never opens the file a span names (issue 15, item 6)."""

import copy
import json
import os

import pytest

import resdsl
from resdsl.core.errors import IRError, ResdslError
from resdsl.ir import dump, load, read


@pytest.fixture(scope="module")
def ir():
    return dump(resdsl.graph("resnet18"))


def node(data, op):
    return next(n for n in data["nodes"] if n["op"] == op)


def changed(ir, edit):
    data = copy.deepcopy(ir)
    edit(data)
    return data


def _set_arg(op, key, value):
    def edit(data):
        node(data, op)["args"][key] = value
    return edit


def _drop_arg(op, key):
    def edit(data):
        del node(data, op)["args"][key]
    return edit


def _no_input(data):
    first = node(data, "input")
    data["nodes"].remove(first)
    data["edges"] = [e for e in data["edges"] if e["source"] != first["id"]]


def _input_op(data):  # a conv turned into a second input node
    conv = node(data, "conv")
    conv["op"] = "input"
    conv["args"] = {"shape": [3, 224, 224]}


def _add_with_one_input(data):
    add = node(data, "add")
    data["edges"] = [e for e in data["edges"] if not (e["target"] == add["id"] and e["port"] == 1)]


CASES = {
    "kernel is a word": (_set_arg("conv", "kernel", "x"), "E808",
                         "$.nodes[1].args.kernel: 'kernel' is a whole number or a pair of them, "
                         "from 1 to 1048576, not 'x'"),
    "kernel is missing": (_drop_arg("conv", "kernel"), "E808", "conv needs 'kernel'"),
    "groups is 0": (_set_arg("conv", "groups", 0), "E808",
                    "'groups' is a whole number from 1 to 1048576, not 0"),
    "stride is 0x0": (_set_arg("conv", "stride", [0, 0]), "E808",
                      "'stride' is a whole number or a pair of them, from 1 to 1048576, not [0, 0]"),
    "kernel of three": (_set_arg("conv", "kernel", [3, 3, 3]), "E808",
                        "'kernel' is a whole number or a pair of them"),
    "an unknown argument": (_set_arg("conv", "colour", 1), "E808", "conv takes no 'colour'"),
    "a second input node": (_input_op, "E809", "input takes 0 inputs, not 1"),
    "no input node": (_no_input, "E809", "a network has one input node, this one has 0"),
    "an add with one input": (_add_with_one_input, "E809", "add merges two or more inputs, not 1"),
    "an empty node": (lambda d: d["nodes"].append({}), "E801", "'id' is a required property"),
    "a 40-digit count": (lambda d: node(d, "conv").update(macs=10**40), "E801",
                         "is greater than the maximum of"),
    "a string for a count": (lambda d: node(d, "conv").update(params="7"), "E801",
                             "'7' is not of type 'integer'"),
    "the input over the spatial limit": (_set_arg("input", "shape", [3, 10**6, 10**6]), "E808",
                                         "'shape' is CxHxW"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_malformed_ir_is_a_diagnostic(ir, case):
    edit, code, message = CASES[case]
    with pytest.raises(ResdslError) as info:
        load(changed(ir, edit), "bad.json")
    err = info.value
    assert all(e.code.startswith("E8") for e in err.errors), err.render()
    assert code in {e.code for e in err.errors}, err.render()
    assert message in err.render(), err.render()


def test_the_ir_still_reads_back(ir):
    assert load(copy.deepcopy(ir)).number_of_nodes() == len(ir["nodes"])


@pytest.mark.parametrize("raw, message", [
    (b'{"ir_version": 1, "network": ' + b"9" * 5000 + b"}", "an integer of 5000 digits"),
    (b"[" * 100_000 + b"]" * 100_000, "nests too deeply"),
    (b'{"network": "caf\xe9"}', "byte 17 is not UTF-8"),
    (b'{"ir_version": NaN}', "NaN is not a number JSON allows"),
    (b'{"ir_version": 1,', "not valid JSON"),
])
def test_unreadable_json_is_e806(tmp_path, raw, message):
    path = tmp_path / "bad.json"
    path.write_bytes(raw)
    with pytest.raises(IRError) as info:
        read(path)
    assert info.value.code == "E806"
    assert message in info.value.message


def test_the_reader_refuses_what_is_not_a_regular_file(tmp_path):
    os.mkfifo(tmp_path / "fifo.json")  # opening it for reading would wait for a writer
    with pytest.raises(IRError, match="it is a pipe"):
        read(tmp_path / "fifo.json")
    with pytest.raises(IRError, match="it is a folder"):
        read(tmp_path)
    with pytest.raises(IRError, match="it is a device"):
        read("/dev/zero")


def test_the_reader_never_opens_a_span_file(ir, tmp_path):
    os.mkfifo(tmp_path / "fifo.rdsl")  # reading it would hang the test
    data = copy.deepcopy(ir)
    for n in data["nodes"]:
        if "span" in n:
            n["span"]["file"] = str(tmp_path / "fifo.rdsl")
    node(data, "conv")["out_shape"] = [1, 1, 1]  # an error rendered with a span
    with pytest.raises(IRError) as info:
        load(data, "bad.json")
    assert "records" in info.value.render()
    graph = load(changed(ir, lambda d: [n["span"].update(file="/dev/zero") for n in d["nodes"]
                                        if "span" in n]))
    assert graph.number_of_nodes() == len(ir["nodes"])


def test_the_reader_checks_the_size_before_reading(tmp_path, monkeypatch):
    from resdsl.core import limits

    path = tmp_path / "big.json"
    path.write_text(json.dumps({"pad": "x" * 5000}))
    monkeypatch.setattr(limits, "LIMITS", limits.Limits(ir_bytes=1000))
    import resdsl.ir.codec as codec
    monkeypatch.setattr(codec, "LIMITS", limits.LIMITS)
    with pytest.raises(IRError, match="larger than the limit of 1,000 bytes; raise it with RESDSL_MAX_IR_BYTES"):
        read(path)
