"""Testing as the paper did: ten crops against a hand-written crop loop, the fully convolutional
form against the ordinary module, and scales refused from the graph before any data is read."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from resdsl.api import graph_from_text
from resdsl.core.errors import ResdslError
from resdsl.experiments.scales import graphs_at_scales, parse_scales
from resdsl.experiments.views import fully_convolutional, multi_scale_logits, ten_crop_logits, ten_crops
from resdsl.torch.backend import build_module

from .torch_support import CIFAR


@pytest.fixture(scope="module")
def network():
    graph = graph_from_text(CIFAR, "resnet8")
    torch.manual_seed(0)
    model = build_module(graph).eval()
    # give the BNs statistics and scales of their own, so a wrong crop cannot hide behind zeros
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.2, 0.2)
                module.running_var.uniform_(0.5, 2.0)
                module.weight.uniform_(0.5, 1.5)
                module.bias.uniform_(-0.2, 0.2)
    return graph, model


def test_ten_crops_are_the_corners_the_centre_and_their_flips():
    images = torch.arange(2 * 3 * 6 * 7, dtype=torch.float32).reshape(2, 3, 6, 7)
    crops = ten_crops(images, (4, 4))
    plain = images.numpy()
    # (top, left) of each view, worked out by hand for a 6x7 image and 4x4 crops: the centre is
    # at ((6 - 4) / 2, (7 - 4) / 2) = (1, 1.5), which rounds to (1, 2)
    corners = [(0, 0), (0, 3), (2, 0), (2, 3), (1, 2)]
    assert len(crops) == 10
    for index, (top, left) in enumerate(corners):
        expected = plain[..., top:top + 4, left:left + 4]
        np.testing.assert_array_equal(crops[index].numpy(), expected)
        np.testing.assert_array_equal(crops[index + 5].numpy(), expected[..., ::-1])


def test_ten_crop_is_the_mean_of_the_ten_logits_of_a_hand_written_loop(network):
    graph, model = network
    torch.manual_seed(1)
    images = torch.randn(3, 3, 36, 37)
    got = ten_crop_logits(model, images, (32, 32))
    expected = []
    for image in images.numpy():  # one image at a time, crops sliced and flipped in numpy
        logits = []
        for top, left in [(0, 0), (0, 5), (4, 0), (4, 5), (2, 2)]:
            crop = image[:, top:top + 32, left:left + 32]
            for view in (crop, crop[:, :, ::-1]):
                with torch.no_grad():
                    logits.append(model(torch.from_numpy(view.copy())[None])[0])
        expected.append(torch.stack(logits).mean(0))
    torch.testing.assert_close(got, torch.stack(expected), rtol=1e-5, atol=1e-5)


def test_ten_crops_larger_than_the_image_are_refused():
    with pytest.raises(ValueError, match="at least that large"):
        ten_crops(torch.zeros(1, 3, 30, 40), (32, 32))


def test_fully_convolutional_form_gives_the_network_s_own_scores(network):
    graph, model = network
    converted = fully_convolutional(graph, model)
    assert not converted.training
    torch.manual_seed(2)
    for size in (32, 48):  # the module's global pool already takes any size: the same scores
        images = torch.randn(2, 3, size, size)
        with torch.no_grad():
            torch.testing.assert_close(converted(images), model(images), rtol=1e-5, atol=1e-5)
    # the classifier became a 1x1 convolution: a score map before averaging
    assert converted.classifier.kernel_size == (1, 1)
    assert "fc.weight" not in converted.trunk.state_dict()


def test_multi_scale_averages_the_scores_over_the_shorter_sides(network):
    graph, model = network
    converted = fully_convolutional(graph, model)
    torch.manual_seed(3)
    images = torch.randn(2, 3, 32, 40)
    got = multi_scale_logits(converted, images, [32, 48])
    with torch.no_grad():
        at_48 = F.interpolate(images, size=(48, 60), mode="bilinear", antialias=True,
                              align_corners=False)
        expected = (model(images) + model(at_48)) / 2
    torch.testing.assert_close(got, expected, rtol=1e-5, atol=1e-5)


def _graphs(text, name, scales):
    graph = graph_from_text(text, name)
    return graphs_at_scales(graph, lambda shape: graph_from_text(text, name, input_shape=shape),
                            scales)


def test_scales_the_network_takes_give_their_graphs():
    graphs = _graphs(CIFAR, "resnet8", [32, 64, 8])
    assert graphs[64].nodes["layer3.0.bn2"]["out_shape"] == (64, 16, 16)
    assert graphs[8].nodes["layer3.0.bn2"]["out_shape"] == (64, 2, 2)


SHRINKING = """\
network shrinking {
    input 3x16x16
    conv1: conv 5x5, 8, padding: 0;  bn1: bn;  relu
    avgpool;  fc: fc 10
}
"""


def test_a_scale_the_network_cannot_take_is_an_error_at_the_layer():
    with pytest.raises(ResdslError) as info:
        _graphs(SHRINKING, "shrinking", [16, 4, 3])
    errors = info.value.errors
    assert [e.code for e in errors] == ["E420", "E420"]  # both scales, together
    assert "cannot be tested at scale 4 (input 3x4x4)" in errors[0].message
    assert "shrinks the 4x4 input to nothing" in errors[0].message
    assert (errors[0].span.line, errors[0].span.column) == (3, 5)
    assert "scale 3" in errors[1].message


VGG_LIKE = """\
network vgg_like {
    input 3x16x16
    conv1: conv 3x3, 8;  relu;  maxpool 2x2
    fc1: fc 32;  relu;  fc2: fc 10
}
"""


def test_a_network_without_a_fully_convolutional_form_is_refused():
    with pytest.raises(ResdslError) as info:
        _graphs(VGG_LIKE, "vgg_like", [16])
    assert info.value.code == "E421"
    assert "no fully convolutional form" in info.value.message
    assert info.value.span.line == 4


@pytest.mark.parametrize("text, scales", [("224,256, 384", [224, 256, 384]), ("32", [32])])
def test_scales_parse(text, scales):
    assert parse_scales(text) == scales


@pytest.mark.parametrize("text", ["", "224,,256", "0", "22a", "-3", "9999999"])
def test_bad_scales_are_refused(text):
    with pytest.raises(ValueError, match="scale"):
        parse_scales(text)
