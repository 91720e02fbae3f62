"""The architecture library compiled: training steps on the CIFAR-sized networks, reference
weights in the bundled files, drop-path in training only, torchvision's names.

Every bundled network's eval forward pass (each node's shape, the outputs, the parameter count)
is checked by tests/test_torch_backend.py, which iterates the bundled index.
"""

import pytest
import torch

import resdsl
from resdsl.language.library import bundled_index
from resdsl.netgraph.infer import totals

from . import reference_models


# training steps where they are cheap: CIFAR-sized networks under 1G multiply-adds (ResNet-1202,
# ResNet-1001 and the wide ones run their forward pass in test_torch_backend.py)
def _trainable(name: str) -> bool:
    graph = resdsl.graph(name)
    return graph.graph["input"][1] <= 32 and totals(graph)["macs"] < 1e9


TRAINABLE = sorted(filter(_trainable, bundled_index()))


@pytest.mark.parametrize("name", TRAINABLE)
def test_cifar_sized_network_trains_a_step(name):
    graph = resdsl.graph(name)
    model = resdsl.load(name).train()
    assert sum(p.numel() for p in model.parameters()) == totals(graph)["params"]
    x = torch.randn(2, *graph.graph["input"])
    out = model(x)
    assert tuple(out.shape) == (2, *totals(graph)["outputs"]["out"])
    loss = torch.nn.functional.cross_entropy(out, torch.tensor([0, 1]))
    loss.backward()
    assert torch.isfinite(loss)
    missing = [n for n, p in model.named_parameters() if p.grad is None]
    assert not missing


def test_drop_path_changes_training_only():
    torch.manual_seed(0)
    x = torch.randn(4, 3, 32, 32)
    dropped, plain = resdsl.load("resnet110_sd"), resdsl.load("resnet110")
    plain.load_state_dict(dropped.state_dict(), strict=True)  # drop-path adds no weights
    # the linear decay rule: 54 blocks, the l-th dropped with probability l/54 x 0.5
    rates = [m.p for m in dropped.modules() if type(m).__name__ == "DropPathAdd"]
    assert rates == pytest.approx([0.5 * l / 54 for l in range(1, 55)])
    dropped.eval(), plain.eval()
    with torch.no_grad():
        torch.testing.assert_close(dropped(x), plain(x))
        dropped.train(), plain.train()
        assert not torch.allclose(dropped(x), dropped(x))  # a new draw of dropped branches
        torch.testing.assert_close(plain(x), plain(x))


@pytest.mark.parametrize("name,n", [("resnet20", 3), ("resnet56", 9)])
def test_bundled_cifar_resnets_are_the_hand_written_reference(name, n):
    reference = reference_models.CifarResNet(n).eval()
    compiled = resdsl.load(name).eval()
    compiled.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(compiled(x), reference(x))


def test_backbone_taps_are_the_reference_resnet50s_stages():
    reference = reference_models.resnet50().eval()
    backbone = resdsl.load("resnet50_backbone").eval()
    weights = {k: v for k, v in reference.state_dict().items() if not k.startswith("fc.")}
    backbone.load_state_dict(weights, strict=True)
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        taps = backbone(x)
        y = reference.maxpool(reference.relu(reference.bn1(reference.conv1(x))))
        for stage in ("layer1", "layer2", "layer3", "layer4"):
            y = getattr(reference, stage)(y)
            torch.testing.assert_close(taps[stage], y)


# torchvision's Bottleneck: width = planes * base_width / 64 * groups, conv2 grouped
@pytest.mark.parametrize("name,groups,base_width", [("resnext50_32x4d", 32, 4),
                                                    ("wide_resnet50_2", 1, 128)])
def test_resnext_and_wide_state_dicts_are_torchvisions(name, groups, base_width):
    compiled = resdsl.load(name).state_dict()
    resnet50 = reference_models.resnet50().state_dict()
    assert list(compiled) == list(resnet50)
    for stage, planes in (("layer1", 64), ("layer2", 128), ("layer3", 256), ("layer4", 512)):
        width = planes * base_width // 64 * groups
        assert compiled[f"{stage}.1.conv1.weight"].shape == (width, 4 * planes, 1, 1)
        assert compiled[f"{stage}.1.conv2.weight"].shape == (width, width // groups, 3, 3)
        assert compiled[f"{stage}.1.conv3.weight"].shape == (4 * planes, width, 1, 1)


def test_the_forward_passes_exercise_every_op_the_library_added():
    used, dropping, ceil_pools = set(), False, False
    for name in bundled_index():
        for _, data in resdsl.graph(name).nodes(data=True):
            used.add(data["op"])
            dropping |= data["op"] == "add" and data["args"]["drop"] > 0
            ceil_pools |= data["op"] == "avgpool" and data["args"]["ceil"]
    assert {"se", "gate", "concat", "pad_shortcut", "dropout", "avgpool", "maxpool"} <= used
    assert dropping and ceil_pools


SMALL = """
use "cifar.rdsl"
use "se.rdsl"
se_small = cifar(1, block: se_bottleneck(reduction: 4))
drop_small = cifar(1, block: basic(drop: 0.2))
"""


@pytest.mark.parametrize("name", ["highway20", "drop_small", "se_small"])
def test_python_export_rebuilds_the_new_modules(name, tmp_path):
    """The standalone .py export writes and rebuilds SqueezeExcite, HighwayGate, DropPathAdd."""
    from resdsl.torch.backend import build_module, class_name
    from resdsl.torch.export import python_source

    graph = resdsl.graph_from_text(SMALL, name) if name.endswith("_small") else resdsl.graph(name)
    module = build_module(graph).eval()
    namespace: dict = {}
    exec(compile(python_source(module, graph), f"{name}.py", "exec"), namespace)
    rebuilt = namespace[class_name(name)]().eval()
    rebuilt.load_state_dict(module.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(rebuilt(x), module(x), rtol=0, atol=0)
