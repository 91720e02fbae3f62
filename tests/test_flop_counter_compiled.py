"""Every bundled architecture, compiled: resdsl's analytic counts equal PyTorch's own counter.

`FlopCounterMode` counts 2 x the multiply-adds of convolutions and matrix products on the module
resdsl.load builds; the parameter count equals sum(p.numel()). Built on the meta device: the
counter needs shapes, not values.
"""

import pytest
import torch
from torch.utils.flop_counter import FlopCounterMode

import resdsl
from resdsl.language.library import bundled_index
from resdsl.netgraph.infer import totals


@pytest.mark.parametrize("name", sorted(bundled_index()))
def test_compiled_module_counts_equal_torchs_counter(name):
    graph = resdsl.graph(name)
    with torch.device("meta"):
        model = resdsl.load(name).eval()
        x = torch.empty(1, *graph.graph["input"])
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    figures = totals(graph)
    assert counter.get_total_flops() == 2 * figures["macs"]
    assert sum(p.numel() for p in model.parameters()) == figures["params"]
