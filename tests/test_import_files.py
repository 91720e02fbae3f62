"""`resdsl import` of files: the authors' Caffe ResNet-50 deploy file (its structure, written out
by tests/caffe_prototxt.py from the released layer list) and the protobuf text grammar."""

from __future__ import annotations

import pytest

import resdsl
from resdsl.core.errors import ResdslError
from resdsl.importer.build import checked_layers, graph_difference
from resdsl.importer.prototxt import parse, read
from resdsl.netgraph.infer import totals

from .caffe_prototxt import resnet_prototxt
from .cli import cli


def _layers(graph):
    return [(graph.nodes[n]["op"], graph.nodes[n]["args"]) for n in graph.nodes]


def test_the_protobuf_text_grammar_reads_fields_messages_and_repeats():
    net = parse('name: "n"  # a comment\ninput_dim: 1\ninput_dim: 3\nlayer { name: "a" '
                'convolution_param: { num_output: 64 bias_term: false eps: 1e-5 } }', "x")
    assert net["name"] == ["n"] and net["input_dim"] == [1, 3]
    conv = net["layer"][0]["convolution_param"][0]
    assert conv == {"num_output": [64], "bias_term": [False], "eps": [1e-5]}


def test_the_authors_resnet50_deploy_file_imports_as_the_papers_network():
    result = checked_layers(read(resnet_prototxt(), "ResNet-50-deploy.prototxt", "caffe50"))
    text = result.text
    assert "stage res3: residual(128) x 4, stride: 2" in text
    assert 'shortcuts B, names: ["branch1", "bn_branch1"]' in text
    assert text.count("\n") <= 25
    ours = resdsl.graph_from_text(text, "caffe50")
    bundled = resdsl.graph("resnet50_caffe")  # written by hand from the paper, independently
    assert totals(ours)["params"] == totals(bundled)["params"]
    assert totals(ours)["macs"] == totals(bundled)["macs"]
    assert _layers(ours) == _layers(bundled)  # the same layers in the same order, names aside
    # Caffe's names, as dotted paths: the first block's projection and its BatchNorm + Scale
    assert {"res2.0.branch1", "res2.0.bn_branch1", "res5.2.branch2c", "fc1000"} <= set(ours.nodes)


def test_a_caffe_layer_the_language_cannot_say_is_named(tmp_path):
    text = resnet_prototxt().replace('type: "ReLU"', 'type: "PReLU"', 1)
    with pytest.raises(ResdslError) as caught:
        read(text, "x.prototxt", "x")
    assert caught.value.code == "E1030" and "PReLU layer conv1_relu" in caught.value.message


def test_the_command_imports_a_prototxt_and_refuses_a_broken_one(tmp_path):
    source = tmp_path / "ResNet-50-deploy.prototxt"
    source.write_text(resnet_prototxt())
    done = cli("import", source, "-o", tmp_path / "caffe.rdsl")
    assert done.returncode == 0, done.stderr
    assert "params: 25,557,096 in the file, 25,557,096 imported" in done.stderr
    assert cli("check", tmp_path / "caffe.rdsl").returncode == 0
    broken = tmp_path / "broken.prototxt"
    broken.write_text("layer { name: ")
    refused = cli("import", broken)
    assert refused.returncode == 1 and "E1035" in refused.stderr


@pytest.mark.slow  # the export takes most of it
def test_an_onnx_export_imports_as_the_network_it_was_exported_from(tmp_path):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnxscript")
    model = resdsl.load("resnet18", input_shape=(3, 64, 64))
    path = resdsl.export(model, tmp_path / "r18.onnx")  # BN fused into the convs by the exporter
    done = cli("import", path, "--name", "r18")
    assert done.returncode == 0, done.stderr
    # the same graph as the bundled network, layer for layer (the fused BNs come back)
    ours = resdsl.graph_from_text(done.stdout, "r18")
    assert not graph_difference(ours, model.graph, ordered=True)
    assert "outputs on a seeded input, onnxruntime and imported: max |diff|" in done.stderr
