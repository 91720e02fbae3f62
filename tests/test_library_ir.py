"""The library's new ops and shortcuts survive the JSON IR: dump, load, re-infer, compare."""

import json

import pytest

import resdsl
from resdsl import ir


@pytest.mark.parametrize("name", ["se_resnet50", "highway20", "densenet121", "resnet50d",
                                  "preact_resnet164", "resnet50_backbone", "resnet110_sd",
                                  "resnext50_32x4d", "inception_resnet_v2", "efficientnet_b0",
                                  "res2net50_26w_4s", "skresnet18"])
def test_round_trip(name):
    graph = resdsl.graph(name)
    again = ir.load(json.loads(json.dumps(ir.dump(graph))))
    assert dict(again.nodes(data=True)) == dict(graph.nodes(data=True))
    assert list(again.edges(data=True)) == list(graph.edges(data=True))
    assert again.graph["outputs"] == graph.graph["outputs"]
