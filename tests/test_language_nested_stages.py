"""A stage inside a block (`block group(w) { stage units: basic(w) x 2 }`): named by its module
path, as every other row and stage is, and its layers counted with the stage or block that
holds it."""

import resdsl
from resdsl.analysis.costs import cost_rows

BLOCKS = """
block basic(w) { conv 3x3, w;  bn;  relu }
block group(w) {
    stage units: basic(w) x 2
}
"""

IN_STAGES = BLOCKS + """
network n {
    input 3x32x32
    stage layer1: group(16) x 2
    stage layer2: group(32) x 1
    avgpool;  fc 10
}
"""

OUTSIDE = BLOCKS.replace("{\n    stage", "{\n    conv 1x1, w\n    stage") + """
network m {
    input 3x32x32
    conv1: conv 3x3, 8
    features.1: group(16)
    avgpool;  fc 10
}
"""

CONV = 9 * 32 * 32  # a 3x3 conv's multiply-adds per input and output channel at 32x32


def test_the_network_stages_row_the_blocks_that_hold_inner_stages():
    graph = resdsl.graph_from_text(IN_STAGES, "n")
    rows = {r.name: r for r in cost_rows(graph)}
    assert list(rows) == ["layer1", "layer2", "head"]
    assert rows["layer1"].macs == (3 * 16 + 3 * 16 * 16) * CONV  # four convs, the first from RGB
    assert rows["layer2"].macs == (16 * 32 + 32 * 32) * CONV
    blocks = [r.name for r in cost_rows(graph, by="block")]
    assert blocks == ["layer1.0", "layer1.1", "layer2.0", "head"]
    # each inner stage under its own path: three of them, none called plain `units`
    inner = [(s.name, s.first, s.last) for s in graph.graph["stages"] if s.block == "basic"]
    assert inner == [("layer1.0.units", "layer1.0.units.0.conv", "layer1.0.units.1.relu"),
                     ("layer1.1.units", "layer1.1.units.0.conv", "layer1.1.units.1.relu"),
                     ("layer2.0.units", "layer2.0.units.0.conv", "layer2.0.units.1.relu")]


def test_an_inner_stage_of_a_block_called_alone_is_a_row_under_its_path():
    graph = resdsl.graph_from_text(OUTSIDE, "m")
    rows = [(r.name, r.macs) for r in cost_rows(graph, by="block")]
    assert ("features.1.units.0", 16 * 16 * CONV) in rows and ("features.1.units.1", 16 * 16 * CONV) in rows
    staged = [r for r in cost_rows(graph) if r.kind == "stage"]
    assert [(r.name, r.macs) for r in staged] == [("features.1.units", 2 * 16 * 16 * CONV)]
    assert [s.name for s in graph.graph["stages"]] == ["features.1.units"]
