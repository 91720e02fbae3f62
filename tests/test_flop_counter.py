"""Exact agreement with PyTorch's own counter on the hand-written reference networks.

`torch.utils.flop_counter.FlopCounterMode` counts 2 x the multiply-adds of convolutions and
matrix products; resdsl counts multiply-adds of convolutions and fully connected layers. The
reference models (tests/reference_models.py) are built on the meta device: the counter needs
shapes, not values, and no weights are initialised.
"""

from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
from torch.utils.flop_counter import FlopCounterMode  # noqa: E402

import resdsl  # noqa: E402
from resdsl.analysis.costs import activation_memory  # noqa: E402
from resdsl.analysis.report import report  # noqa: E402

from . import reference_models as ref  # noqa: E402

CIFAR = Path(__file__).parent / "fixtures" / "cifar.rdsl"

NETWORKS = {
    "resnet18": (ref.resnet18, {}), "resnet34": (ref.resnet34, {}),
    "resnet50": (ref.resnet50, {}), "resnet101": (ref.resnet101, {}),
    "resnet152": (ref.resnet152, {}),
    "resnet50_v1": (ref.resnet50, {"stride_on_3x3": False}),
    "resnet101_v1": (ref.resnet101, {"stride_on_3x3": False}),
    "resnet152_v1": (ref.resnet152, {"stride_on_3x3": False}),
    f"{CIFAR}:resnet20": (ref.CifarResNet, {"n": 3}),
    f"{CIFAR}:resnet56": (ref.CifarResNet, {"n": 9}),
    f"{CIFAR}:resnet110": (ref.CifarResNet, {"n": 18}),
}


def counted(build, kwargs, input_shape):
    """What FlopCounterMode counts for one input, and the module's parameter count."""
    with torch.device("meta"):
        model = build(**kwargs)
        x = torch.empty(1, *input_shape)
    with FlopCounterMode(display=False) as counter:
        model(x)
    return counter.get_total_flops(), sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("name", NETWORKS, ids=lambda n: n.rsplit(":", 1)[-1])
def test_flop_counter_and_parameters_agree_exactly(name):
    data = report(resdsl.graph(name))
    flops, params = counted(*NETWORKS[name], data["input"])
    assert data["float_ops"] == 2 * data["macs"] == flops
    assert data["params"] == params


def test_another_input_size_agrees_too():
    data = report(resdsl.graph("resnet50", input_shape=(3, 320, 256)))
    assert counted(ref.resnet50, {}, (3, 320, 256)) == (data["float_ops"], data["params"])


@pytest.mark.parametrize("name", ["resnet18", "resnet50_v1"])
def test_activation_elements_match_the_module_outputs(name):
    """Every module's output (hooks; a ReLU module fires once per use) plus the additions, which
    are not modules: one per block, the size of the block's output."""
    build, kwargs = NETWORKS[name]
    with torch.device("meta"):
        model = build(**kwargs)
        x = torch.empty(1, 3, 224, 224)
    sizes = []
    for module in model.modules():
        if isinstance(module, (ref.BasicBlock, ref.Bottleneck)):
            module.register_forward_hook(lambda m, i, out: sizes.append(out.numel()))
        elif not list(module.children()):
            module.register_forward_hook(lambda m, i, out: sizes.append(out.numel()))
    model(x)
    assert sum(sizes) == activation_memory(resdsl.graph(name))["elements"]
