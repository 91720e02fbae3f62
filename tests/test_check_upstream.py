"""scripts/check_upstream.py, the comparison with the real torchvision and timm models, runs only
where those are installed (a separate environment); here: it says so and exits 0, it maps bundled
names to the upstream ones, and it makes every constant of a model random."""

import importlib.util
from pathlib import Path

import torch
from torch import nn

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_upstream.py"


def script():
    spec = importlib.util.spec_from_file_location("check_upstream", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_without_torchvision_and_timm_it_says_so_and_exits_0(monkeypatch, capsys):
    module = script()
    monkeypatch.setattr(module, "available", lambda: [])
    monkeypatch.setattr("sys.argv", ["check_upstream.py"])
    assert module.main() == 0
    assert "nothing to check" in capsys.readouterr().out


def test_torchvisions_name_comes_before_timms(monkeypatch):
    module = script()
    monkeypatch.setattr(module, "available", lambda: ["torchvision", "timm"])
    both = {"resnet50", "vgg19"}
    assert module.upstream_of("vgg19", both, both | {"dpn68"}) == ("torchvision", "vgg19", {})
    assert module.upstream_of("dpn68", both, both | {"dpn68"}) == ("timm", "dpn68", {})
    assert module.upstream_of("googlenet_noaux", set(), set())[2] == {"aux_logits": False}
    assert module.upstream_of("resnet20", both, both) is None
    monkeypatch.setattr(module, "available", lambda: ["timm"])
    assert module.upstream_of("googlenet_noaux", set(), set()) is None


def test_constants_become_random_and_random_weights_stay():
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))
    weight = model[0].weight.detach().clone()
    script().randomize(model)
    assert torch.equal(model[0].weight, weight)
    for tensor in (model[0].bias, model[1].weight, model[1].bias, model[1].running_mean,
                   model[1].running_var):
        assert tensor.min() < tensor.max()
    assert model[1].running_var.min() > 0
