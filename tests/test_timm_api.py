"""The Python API as timm's users write it: create_model, list_models and timm's model methods,
against timm's published figures for ResNet-50 (its `feature_info`: act1 and layer1..layer4)."""

import pickle

import pytest
import torch
from torch import nn

import resdsl

from . import torch_support  # noqa: F401  (one torch thread per worker)

# timm's resnet50: feature_info with out_indices (0, 1, 2, 3, 4), and num_features
TIMM_RESNET50_CHANNELS = [64, 256, 512, 1024, 2048]
TIMM_RESNET50_REDUCTIONS = [2, 4, 8, 16, 32]
# torchvision's resnet50: 25,557,032 parameters, 2048 -> 1000 fc
RESNET50_PARAMS = 25_557_032


@pytest.fixture(scope="module")
def resnet50():
    return resdsl.create_model("resnet50").eval()


def test_resnet50_features_and_classes_as_timm_states_them(resnet50):
    assert resnet50.num_features == 2048
    assert resnet50.num_classes == 1000
    assert resnet50.feature_info.channels() == TIMM_RESNET50_CHANNELS
    assert resnet50.feature_info.reduction() == TIMM_RESNET50_REDUCTIONS
    assert resnet50.pretrained_cfg["input_size"] == (3, 224, 224)
    assert "mean" not in resnet50.pretrained_cfg  # no trained weights ship, so no normalisation


def test_forward_head_of_forward_features_is_forward(resnet50):
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        features = resnet50.forward_features(x)
        assert features.shape == (2, 2048, 7, 7)
        assert torch.equal(resnet50.forward_head(features), resnet50(x))
        assert resnet50.forward_head(features, pre_logits=True).shape == (2, 2048)


def test_features_only_returns_the_picked_maps():
    backbone = resdsl.create_model("resnet50", features_only=True, out_indices=(0, 1, 2, 3, 4))
    maps = backbone(torch.randn(1, 3, 224, 224))
    assert isinstance(maps, list)
    assert [m.shape[1] for m in maps] == TIMM_RESNET50_CHANNELS
    assert [224 // m.shape[-1] for m in maps] == TIMM_RESNET50_REDUCTIONS
    picked = resdsl.create_model("resnet50", features_only=True, out_indices=(-2, -1))
    assert picked.feature_info.channels() == [1024, 2048]
    assert not hasattr(picked, "fc")  # nothing after the last picked map is built


def test_reset_classifier_gives_a_fresh_fc_and_the_report_follows():
    model = resdsl.create_model("resnet50").eval()
    old = model.get_classifier()
    model.reset_classifier(10)
    assert model.get_classifier() is not old and model.num_classes == 10
    assert model(torch.randn(1, 3, 224, 224)).shape == (1, 10)
    counted = sum(p.numel() for p in model.parameters())
    assert counted == RESNET50_PARAMS - (2048 * 1000 + 1000) + (2048 * 10 + 10)
    assert model.report()["params"] == counted
    assert model.report(source=True)["params"] == RESNET50_PARAMS


def test_a_replaced_fc_is_reported_as_it_is():
    model = resdsl.load("resnet50")
    model.fc = nn.Linear(2048, 10)
    report = model.report()
    assert report["params"] == sum(p.numel() for p in model.parameters())
    assert report["outputs"] == {"out": [10]}
    assert not [c for c in report["checks"] if not c["ok"]]  # the source's expect is not its


def test_a_layer_changed_otherwise_is_refused_in_the_report():
    model = resdsl.load("resnet18")
    model.layer1[0].conv1 = nn.Conv2d(64, 64, 1, bias=False)
    with pytest.raises(ValueError, match="layer1.0.conv1.*report.source=True"):
        model.report()


def test_num_classes_and_in_chans_map_to_the_template():
    model = resdsl.create_model("resnet18", num_classes=7, in_chans=1)
    assert model(torch.randn(2, 1, 64, 64)).shape == (2, 7)
    assert model.conv1.in_channels == 1


def test_unknown_keywords_list_the_template_parameters():
    with pytest.raises(TypeError, match=r"no parameter 'width'.*resnet\(block, depths, classes\)"
                       "|resnet\\(block, depths, classes\\).*no parameter 'width'"):
        resdsl.create_model("resnet50", width=2)
    with pytest.raises(TypeError, match="no parameter 'clases'; did you mean 'classes'"):
        resdsl.create_model("resnet50", clases=10)
    with pytest.raises(TypeError, match="no parameter for drop_path_rate"):
        resdsl.create_model("resnet50", drop_path_rate=0.1)
    with pytest.raises(TypeError, match="features_only"):
        resdsl.create_model("resnet50", out_indices=(1,))


def test_list_models_as_timm():
    assert resdsl.list_models("resnet5*") == resdsl.list_networks("resnet5*")
    assert "resnet50" in resdsl.list_models("resnet5*")


def test_torch_jit_script_matches_eager():
    model = resdsl.load("resnet18").eval()
    scripted = torch.jit.script(model)
    x = torch.randn(2, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(scripted(x), model(x))
    assert model.graph.graph["name"] == "resnet18"  # the typed graph stays for users


def test_pickled_model_keeps_the_interface(resnet50):
    copy = pickle.loads(pickle.dumps(resnet50))
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():
        assert torch.equal(copy.forward_head(copy.forward_features(x)), resnet50(x))


def test_drop_path_rate_sets_the_template_drop():
    model = resdsl.create_model("efficientnet_b0", num_classes=3, drop_path_rate=0.1)
    rates = {d["args"]["drop"] for _, d in model.graph.nodes(data=True) if d["op"] == "add"}
    assert rates == {0.1}
    assert model.num_classes == 3


def test_efficientnet_features_and_head_as_timm_states_them():
    # timm's efficientnet_b0 with features_only: the last block at each reduction
    model = resdsl.create_model("efficientnet_b0").eval()
    assert model.feature_info.channels() == [16, 24, 40, 112, 320]
    assert model.feature_info.reduction() == [2, 4, 8, 16, 32]
    assert model.num_features == 1280
    x = torch.randn(1, 3, 64, 64)
    with torch.no_grad():  # the head's dropout sits between pool and fc
        assert torch.equal(model.forward_head(model.forward_features(x)), model(x))
