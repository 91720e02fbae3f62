"""Round trips of bundled networks whose layouts the paper's ResNets do not have: a container of
blocks (ResNetV2's `stages.0.blocks.0`), ConvNeXt's layer scale, branches whose first block reads
an earlier value (Inception-ResNet); and modules read back whatever their in-place setting."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import resdsl  # noqa: E402
from resdsl.importer.fold import fold  # noqa: E402
from resdsl.importer.optable import read_args  # noqa: E402
from resdsl.importer.trace import trace  # noqa: E402


@pytest.mark.parametrize("name", ["resnetv2_50", "convnext_atto", "inception_resnet_a10"])
def test_bundled_networks_with_nested_blocks_and_layer_scales_round_trip(name):
    model = resdsl.load(name).eval()
    text = fold(trace(model, torch.randn(1, *model.graph.graph["input"]), name))
    again, graph = resdsl.graph_from_text(text, name), resdsl.graph(name)
    assert list(again.nodes) == list(graph.nodes)
    for node in graph.nodes:
        assert again.nodes[node]["op"] == graph.nodes[node]["op"], node
        assert again.nodes[node]["args"] == graph.nodes[node]["args"], node
    assert sorted(again.edges) == sorted(graph.edges)


def test_a_module_working_in_place_reads_back_as_its_op():
    assert read_args("leaky_relu", nn.LeakyReLU(0.2, inplace=True), (8, 4, 4)) == {"negative_slope": 0.2}
    assert read_args("leaky_relu", nn.LeakyReLU(inplace=True), (8, 4, 4)) == {"negative_slope": 0.01}


def test_a_layer_scale_reads_back_with_its_starting_value_and_shape():
    class Scaled(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv2d(3, 8, 3, padding=1)
            self.gamma = nn.Parameter(torch.full((8,), 1e-6))

        def forward(self, x):
            return self.conv(x) * self.gamma.view(1, -1, 1, 1)

    layers = trace(Scaled().eval(), torch.randn(1, 3, 8, 8), "scaled").layers
    assert layers["gamma"].op == "layer_scale"
    assert layers["gamma"].args == {"init": 1e-6, "dims": 1}
    assert layers["gamma"].inputs == ["conv"]
