"""Repeated blocks are replayed from their first expansion: the graph must be the one that
expanding every block gives, node for node and edge for edge."""

from pathlib import Path

import pytest

import resdsl
from resdsl.netgraph.builder import GraphBuilder

CIFAR = Path(__file__).parent / "fixtures" / "cifar.rdsl"

NESTED = """
block unit(width, stride = 1) {
    c: conv 3x3, width, stride: stride;  n: bn;  relu
}
block pair(width, stride = 1) {
    first: unit width, stride: stride
    second: unit width
    add shortcut;  relu
}
block nothing(width) {
    add shortcut
}
network n {
    input 3x32x32
    shortcuts A
    stem: conv 3x3, 16
    stage s1: pair(16) x 3
    stage s2: pair(32) x 3, stride: 2
    stage s3: nothing(32) x 2, shortcuts: none
    again: pair 32
    avgpool;  fc 10
}
"""


def contents(graph):
    nodes = [(n, {k: v for k, v in d.items() if k != "span"}, d["span"]) for n, d in graph.nodes(data=True)]
    edges = sorted((u, v, sorted(d.items())) for u, v, d in graph.edges(data=True))
    return nodes, edges, graph.graph["stages"]


@pytest.mark.parametrize("build", [
    lambda: resdsl.graph("resnet152"), lambda: resdsl.graph("resnet34_a"),
    lambda: resdsl.graph("plain34"), lambda: resdsl.graph(f"{CIFAR}:resnet110"),
    lambda: resdsl.graph_from_text(NESTED)], ids=["resnet152", "option A", "plain", "cifar", "nested"])
def test_replayed_graph_equals_the_expanded_one(build, monkeypatch):
    replayed = build()
    monkeypatch.setattr(GraphBuilder, "template", lambda *args: None)  # expand every block
    expanded = build()
    assert contents(replayed) == contents(expanded)


def test_replayed_blocks_get_their_own_names_and_scopes():
    graph = resdsl.graph("resnet152")
    assert graph.nodes["layer3.35.conv2"]["scope"] == {"stage": "layer3", "block": 35,
                                                       "block_type": "bottleneck"}
    assert list(graph.predecessors("layer3.35.conv1")) == ["layer3.34.relu_2"]
    assert graph.nodes["layer3.35.conv1"]["args"] is not graph.nodes["layer3.34.conv1"]["args"]
