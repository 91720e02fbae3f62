"""`resdsl eval --ten-crop | --scales` on a small generated image folder: ten-crop against a
hand-written loop over the files, multi-scale against the ordinary module, and a scale the
network cannot take refused before the data is read."""

import json

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from .cli import cli

NET = """\
use "blocks.rdsl"

network small(classes = 3) {
    input 3x16x16
    shortcuts A
    conv1: conv 3x3, 8;  bn1: bn;  relu
    stage layer1: basic(8) x 1
    stage layer2: basic(16) x 1, stride: 2
    avgpool;  fc: fc classes
}

network shrinking(classes = 3) {
    input 3x16x16
    conv1: conv 5x5, 8, padding: 0;  bn1: bn;  relu
    avgpool;  fc: fc classes
}
"""

MEAN, STD = [0.4, 0.5, 0.6], [0.2, 0.25, 0.3]
RECIPE = f"""\
recipe = 1
[optimizer]
lr = 0.1
[batch]
size = 4
[stop]
iterations = 1
[augment]
crop = 16
mean = {MEAN}
std = {STD}
"""
SIZES = [(18, 20), (21, 18), (18, 18)]  # width x height; the shorter side is 18 each time


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    from PIL import Image
    from safetensors.torch import save_file

    from resdsl.api import graph_from_text
    from resdsl.torch.backend import build_module

    root = tmp_path_factory.mktemp("views")
    rng = np.random.default_rng(0)
    for split in ("train", "val"):
        for name in ("a", "b", "c"):
            folder = root / "images" / split / name
            folder.mkdir(parents=True)
            for i, (w, h) in enumerate(SIZES):
                pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                Image.fromarray(pixels).save(folder / f"{i}.png")  # lossless: the test reads the same
    (root / "net.rdsl").write_text(NET)
    (root / "recipe.toml").write_text(RECIPE)
    torch.manual_seed(0)
    model = build_module(graph_from_text(NET, "small"))
    with torch.no_grad():  # BN statistics of their own, so that crops matter to the scores
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.uniform_(-0.3, 0.3)
                module.running_var.uniform_(0.5, 2.0)
                module.bias.uniform_(-0.3, 0.3)
    save_file(model.state_dict(), str(root / "weights.safetensors"))
    return root, model.eval()


def _eval(root, *extra):
    return cli("eval", f"{root / 'net.rdsl'}:small", "--weights", root / "weights.safetensors",
               "--data", f"folder:{root / 'images'}", "--recipe", root / "recipe.toml",
               "--json", *extra)


def _val_images(root):
    from PIL import Image

    for label, name in enumerate(("a", "b", "c")):
        for path in sorted((root / "images" / "val" / name).glob("*.png")):
            pixels = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255
            yield (pixels - MEAN) / STD, label  # H x W x C, normalised by hand


def _errors(scores, labels):
    scores, labels = torch.stack(scores), torch.tensor(labels)
    return float((scores.argmax(1) != labels).float().mean())


def test_ten_crop_is_the_mean_of_ten_logits_over_the_files(setup):
    root, model = setup
    result = _eval(root, "--ten-crop", "--resize", "18")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    scores, labels = [], []
    for image, label in _val_images(root):
        h, w = image.shape[:2]
        corners = [(0, 0), (0, w - 16), (h - 16, 0), (h - 16, w - 16),
                   (int(round((h - 16) / 2)), int(round((w - 16) / 2)))]
        views = []
        for top, left in corners:
            crop = image[top:top + 16, left:left + 16]
            views += [crop, crop[:, ::-1]]
        batch = torch.from_numpy(np.stack(views).transpose(0, 3, 1, 2).astype(np.float32))
        with torch.no_grad():
            scores.append(model(batch).mean(0))
        labels.append(label)
    assert got["images"] == 9
    assert got["top1_error"] == pytest.approx(_errors(scores, labels))
    assert "ten crops of 16x16" in got["testing"]


def test_multi_scale_averages_the_fully_convolutional_scores(setup):
    root, model = setup
    result = _eval(root, "--scales", "18,24")
    assert result.returncode == 0, result.stderr
    got = json.loads(result.stdout)
    scores, labels = [], []
    for image, label in _val_images(root):
        x = torch.from_numpy(image.transpose(2, 0, 1).astype(np.float32))[None]
        h, w = x.shape[-2:]
        at_24 = F.interpolate(x, size=(round(h * 24 / 18), round(w * 24 / 18)), mode="bilinear",
                              antialias=True, align_corners=False)
        with torch.no_grad():  # global pooling then fc equals the fc as a 1x1 conv, then pooling
            scores.append(((model(x) + model(at_24)) / 2)[0])
        labels.append(label)
    assert got["top1_error"] == pytest.approx(_errors(scores, labels))


def test_a_scale_the_network_cannot_take_is_refused_before_the_data(setup):
    root, _ = setup
    result = cli("eval", f"{root / 'net.rdsl'}:shrinking", "--weights", root / "missing.safetensors",
                 "--data", f"folder:{root / 'no-such-folder'}", "--recipe", root / "recipe.toml",
                 "--scales", "16,4")
    assert result.returncode == 1
    err = result.stderr
    assert "net.rdsl:14:5: error[E420]: network 'shrinking' cannot be tested at scale 4 (input " \
           "3x4x4): conv 5x5, stride 1, padding 0 shrinks the 4x4 input to nothing" in err
    assert "conv1: conv 5x5, 8, padding: 0" in err and "^" in err
    assert "no-such-folder" not in err and "missing" not in err  # nothing was read


def test_ten_crop_and_scales_are_one_or_the_other(setup):
    root, _ = setup
    result = _eval(root, "--ten-crop", "--scales", "16")
    assert result.returncode == 2
    assert "give one" in result.stderr


def test_bad_scales_are_a_usage_error(setup):
    root, _ = setup
    result = _eval(root, "--scales", "16,x")
    assert result.returncode == 2
    assert "'x' is not a scale" in result.stderr
