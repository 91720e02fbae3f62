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
    """Auxiliary classifiers run in training only: those networks are counted in training mode,
    on a batch of two (BN in training needs more than one value per channel)."""
    graph = resdsl.graph(name)
    auxiliary = any(output.auxiliary for output in graph.graph["outputs"])
    batch = 2 if auxiliary else 1
    with torch.device("meta"):
        model = resdsl.load(name).train(auxiliary)
        x = torch.empty(batch, *graph.graph["input"])
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(x)
    figures = totals(graph)
    assert counter.get_total_flops() == 2 * batch * figures["macs"]
    assert sum(p.numel() for p in model.parameters()) == figures["params"]
