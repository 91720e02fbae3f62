"""`bn scale: false` (MXNet's fix_gamma): the scale fixed at 1, only the shift learned and
counted, no `weight` in the module; against the formula, in both modes, and through the
.py export."""

import pytest

torch = pytest.importorskip("torch")

import resdsl  # noqa: E402
from resdsl.netgraph.infer import totals  # noqa: E402

from . import torch_support  # noqa: E402,F401  (one torch thread per worker)

NET = """
network n {
    input 3x8x8
    conv1: conv 3x3, 4, bias: true;  bn1: bn eps: 0.001, scale: false;  relu
    avgpool;  fc: fc 6;  bn2: bn scale: false
}
"""


def test_a_bn_without_scale_counts_and_keeps_only_its_shift():
    graph = resdsl.graph_from_text(NET)
    assert graph.nodes["bn1"]["params"] == 4 and graph.nodes["bn2"]["params"] == 6
    assert totals(graph)["params"] == (27 * 4 + 4) + 4 + (4 * 6 + 6) + 6
    from resdsl.torch.backend import build_module

    module = build_module(graph)
    keys = set(module.state_dict())
    assert {"bn1.bias", "bn1.running_mean", "bn1.running_var", "bn2.bias"} <= keys
    assert "bn1.weight" not in keys and "bn2.weight" not in keys
    assert sum(p.numel() for p in module.parameters()) == totals(graph)["params"]
    module.train()
    assert module(torch.randn(2, 3, 8, 8)).shape == (2, 6)  # bn2 normalises vectors


def test_a_bn_without_scale_normalises_and_shifts():
    from resdsl.torch.backend import build_module

    module = build_module(resdsl.graph_from_text(NET))
    bn = module.get_submodule("bn1")
    with torch.no_grad():
        bn.bias.copy_(torch.tensor([0.5, -1.0, 2.0, 0.0]))
        bn.running_mean.copy_(torch.tensor([0.1, 0.2, -0.3, 0.4]))
        bn.running_var.copy_(torch.tensor([0.5, 1.5, 2.0, 0.7]))
    x = torch.randn(5, 4, 3, 3)
    shape = (1, -1, 1, 1)
    bn.eval()
    want = (x - bn.running_mean.view(shape)) / torch.sqrt(bn.running_var.view(shape) + 1e-3) + bn.bias.view(shape)
    torch.testing.assert_close(bn(x), want)
    bn.train()
    mean, var = x.mean((0, 2, 3)), x.var((0, 2, 3), unbiased=False)
    want = (x - mean.view(shape)) / torch.sqrt(var.view(shape) + 1e-3) + bn.bias.view(shape)
    torch.testing.assert_close(bn(x), want)


def test_the_python_export_rebuilds_a_bn_without_scale():
    from resdsl.torch.backend import build_module, class_name
    from resdsl.torch.export import python_source

    graph = resdsl.graph("resnet_28_small")
    module = build_module(graph).eval()
    namespace: dict = {}
    exec(compile(python_source(module, graph), "resnet_28_small.py", "exec"), namespace)
    rebuilt = namespace[class_name("resnet_28_small")]().eval()
    rebuilt.load_state_dict(module.state_dict(), strict=True)
    x = torch.randn(2, 3, 28, 28)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), module(x), rtol=0, atol=0)
