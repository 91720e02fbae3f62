"""The JSON IR: round trips, schema validation, errors with JSON paths."""

import json

import networkx as nx
import pytest

import resdsl
from resdsl import ir
from resdsl.core.errors import ResdslError
from resdsl.language.library import bundled_index

from .cli import cli


@pytest.mark.parametrize("name", ["resnet18", "resnet50_v1", "plain34", "resnet34_a", "resnet34_c"])
def test_load_of_dump_is_the_same_graph(name):
    graph = resdsl.graph(name)
    data = json.loads(json.dumps(ir.dump(graph)))
    again = ir.load(data)
    assert dict(again.nodes(data=True)) == dict(graph.nodes(data=True))
    assert list(again.edges(data=True)) == list(graph.edges(data=True))
    assert again.graph["outputs"] == graph.graph["outputs"]
    assert nx.is_isomorphic(again, graph)


def test_dump_validates_against_the_shipped_schema():
    ir.validate(ir.dump(resdsl.graph("resnet152")))
    schema = ir.validator().schema
    assert schema["$schema"].endswith("2020-12/schema")
    assert schema["properties"]["ir_version"] == {"const": ir.IR_VERSION}


def test_malformed_ir_names_the_json_path():
    data = ir.dump(resdsl.graph("resnet18"))
    data["nodes"][3]["op"] = 7
    del data["edges"][2]["shape"]
    with pytest.raises(ResdslError) as info:
        ir.load(data, "bad.json")
    messages = [e.message for e in info.value.errors]
    assert any("$.nodes[3].op" in m for m in messages)
    assert any("$.edges[2]" in m and "'shape' is a required property" in m for m in messages)


def test_inconsistent_ir_is_refused():
    data = ir.dump(resdsl.graph("resnet18"))
    node = next(n for n in data["nodes"] if n["id"] == "layer1.0.conv1")
    node["params"] += 1
    with pytest.raises(ResdslError, match="layer1.0.conv1"):
        ir.load(data)


def test_compile_writes_ir_without_torch(tmp_path):
    out = tmp_path / "r34.json"
    result = cli("compile", "resnet34", "-o", out)
    assert result.returncode == 0, result.stderr
    assert ir.read(out).number_of_nodes() == resdsl.graph("resnet34").number_of_nodes()


@pytest.mark.parametrize("name", sorted(bundled_index()))  # one test each: xdist spreads them
def test_every_bundled_network_dumps_valid_ir(name):
    ir.validate(ir.dump(resdsl.graph(name)), name)
