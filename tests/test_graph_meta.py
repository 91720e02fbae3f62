"""The graph's metadata as named types, and the note an error inside a block gets."""

import json
from dataclasses import FrozenInstanceError

import pytest

import resdsl
from resdsl import ir
from resdsl.core.errors import ResdslError
from resdsl.netgraph.meta import NetworkMeta, Output, Stage


def test_stages_and_outputs_are_named_types():
    graph = resdsl.graph("resnet18")
    stages = graph.graph["stages"]
    assert all(isinstance(s, Stage) for s in stages)
    assert [s.repeat for s in stages] == [2, 2, 2, 2]  # the paper's Table 1, 18-layer column
    assert [s.title for s in stages] == ["conv2_x", "conv3_x", "conv4_x", "conv5_x"]
    assert stages[0].first == "layer1.0.conv1"  # torchvision's module path
    assert graph.graph["outputs"] == [Output("out", "fc")]
    with pytest.raises(FrozenInstanceError):
        stages[0].last = "fc"


def test_the_ir_maps_the_types_to_the_same_json_and_back():
    graph = resdsl.graph("resnet18")
    data = json.loads(json.dumps(ir.dump(graph)))
    assert list(data["stages"][0]) == ["name", "title", "block", "repeat", "first", "last"]
    assert data["outputs"] == [{"name": "out", "node": "fc"}]
    again = ir.load(data)
    assert again.graph["stages"] == graph.graph["stages"]
    meta, read = NetworkMeta.of(graph), NetworkMeta.of(again)
    assert (read.name, read.network, read.input, read.shortcuts) == ("resnet18", "resnet", (3, 224, 224), "B")
    assert read.checks == meta.checks and read.span is None


BLOCK = """block b(width) {
    conv 3x3, width;  bn
    add shortcut
}
"""


def test_an_error_inside_a_block_notes_the_network_statement_that_made_it():
    text = BLOCK + "network n {\n    input 3x8x8\n    shortcuts identity\n    conv 3x3, 4\n" \
                   "    stage s1: b(4) x 1\n    stage s2: b(8) x 1\n}\n"
    with pytest.raises(ResdslError) as info:
        resdsl.graph_from_text(text)
    err = info.value
    assert err.message == "the residual branch gives 8x8x8 but the shortcut gives 4x8x8 (in block s2.0)"
    assert (err.span.line, err.span.column) == (3, 5)  # `add shortcut`, in the block
    ((text_, at),) = err.notes
    assert text_ == "in block s2.0" and (at.line, at.column) == (10, 5)  # `stage s2`, in the network


def test_an_error_at_the_call_itself_gets_no_note():
    text = BLOCK + "network n {\n    input 3x8x8\n    conv 3x3, 4\n    stage s1: b(4, 5) x 1\n}\n"
    with pytest.raises(ResdslError) as info:
        resdsl.graph_from_text(text)
    assert info.value.span.line == 8 and info.value.notes == []


def test_a_template_error_inside_a_block_notes_the_block_and_the_users_instance(tmp_path):
    (tmp_path / "t.rdsl").write_text(BLOCK + "network tmpl(w) {\n    input 3x8x8\n    shortcuts identity\n"
                                             "    conv 3x3, 4\n    stage s: b(w) x 1\n}\n")
    mine = tmp_path / "mine.rdsl"
    mine.write_text('use "t.rdsl"\n\nnet = tmpl(8)\n')
    with pytest.raises(ResdslError) as info:
        resdsl.graph(mine)
    notes = [(text, at.source.name.endswith(name), at.line)
             for (text, at), name in zip(info.value.notes, ["t.rdsl", "mine.rdsl"])]
    assert notes == [("in block s.0", True, 9), ("in the instance 'net'", True, 3)]
