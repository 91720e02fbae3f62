"""The random-resized crop for image files (train/crops.py, augment.crop_kind = "random_resized")
and validation at its own size (augment.eval_crop): the box equals a hand computation of
torchvision's RandomResizedCrop for given draws, lies in the ranges, and a folder run with it
trains, evaluates at the validation size and resumes bitwise."""

from __future__ import annotations

import json
import math
import random

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.crops import box, draws
from resdsl.train.recipe import RecipeError, load_recipe

from .train_support import image_folder

SCALE, RATIO = (0.08, 1.0), (3 / 4, 4 / 3)


def _given(*values):
    it = iter(values)
    return lambda: next(it)


def test_the_box_is_a_hand_computation_for_fixed_draws():
    # 200x100, area 20000. Try 1: share 0.08 + 0.92 * 0.5 = 0.54 -> 10800 pixels, ratio
    # exp(log 3/4 + log(16/9) * 0.5) = 1 -> a 104x104 box, taller than the image: refused.
    # Try 2: share 0.08 + 0.92 * 0.25 = 0.31 -> 6200, ratio 3/4 * (16/9) ** 0.75 = sqrt(4/3) = 1.1547
    # -> w = round(sqrt(6200 * 1.1547)) = round(84.61) = 85, h = round(sqrt(6200 / 1.1547)) = round(73.28) = 73;
    # top = int(0.3 * (100 - 73 + 1)) = int(8.4) = 8, left = int(0.9 * (200 - 85 + 1)) = int(104.4) = 104
    assert box(200, 100, SCALE, RATIO, _given(0.5, 0.5, 0.25, 0.75, 0.3, 0.9)) == (104, 8, 85, 73)


def test_ten_refusals_fall_back_to_the_centre_box_of_the_clamped_ratio():
    always_too_big = _given(*[1.0, 0.0] * 10)  # the whole area at ratio 3/4 never fits a 300x100 image
    assert box(300, 100, SCALE, RATIO, always_too_big) == ((300 - 133) // 2, 0, 133, 100)
    assert box(100, 300, SCALE, RATIO, _given(*[1.0, 1.0] * 10)) == (0, (300 - 133) // 2, 100, 133)
    assert box(100, 90, (1.0, 1.0), (2.0, 3.0), _given(*[0.5, 0.5] * 10)) == (0, 20, 100, 50)  # clamped to 2
    assert box(100, 100, (1.0, 1.0), (0.9, 1.1), _given(*[0.0] * 20)) == (0, 0, 100, 100)  # 95x105: whole image


def test_boxes_lie_in_the_ranges_and_inside_the_image():
    rng = random.Random(3)
    for _ in range(2000):  # images of a ratio in the range (elsewhere the fallback clamps it, above)
        height = rng.randint(8, 400)
        width = min(max(round(height * rng.uniform(*RATIO)), math.ceil(height * RATIO[0])), int(height * RATIO[1]))
        left, top, w, h = box(width, height, SCALE, RATIO, draws([rng.random() for _ in range(8)]))
        assert 0 <= left and 0 <= top and 0 < w and 0 < h and left + w <= width and top + h <= height
        # each side is a rounded real number: the real box's area and ratio are in the ranges
        assert (w + 0.5) * (h + 0.5) >= SCALE[0] * width * height and (w - 0.5) * (h - 0.5) <= width * height
        assert (w + 0.5) / max(h - 0.5, 1e-9) >= RATIO[0] and (w - 0.5) / (h + 0.5) <= RATIO[1]


def test_draws_are_a_function_of_the_images_numbers():
    a, b = draws([0.1] * 8), draws([0.1] * 8)
    assert [a() for _ in range(5)] == [b() for _ in range(5)]
    assert draws([0.1] * 7 + [0.2])() != draws([0.1] * 8)()


def test_ranges_are_low_then_high_and_the_eval_view_resizes_then_crops():
    with pytest.raises(RecipeError, match="rrc_scale"):
        load_recipe("imagenet", {"augment.rrc_scale": [0.9, 0.1]})
    with pytest.raises(RecipeError, match="eval_resize 200 is below the validation crop 224"):
        load_recipe("imagenet", {"augment.eval_resize": 200})
    with pytest.raises(RecipeError, match="below the validation crop 300"):
        load_recipe("imagenet", {"augment.eval_crop": 300})
    assert load_recipe("imagenet", {"augment.eval_crop": 256})["augment.eval_crop"] == 256


def test_the_a3_recipe_trains_at_160_with_rrc_and_tests_at_224():
    r = load_recipe("imagenet-rsb-a3")
    assert r["augment.crop_kind"] == "random_resized" and r["augment.crop"] == 160
    assert r["augment.rrc_scale"] == [0.08, 1.0] and r["augment.rrc_ratio"] == pytest.approx([3 / 4, 4 / 3])
    assert r["augment.eval_crop"] == 224 and r["augment.eval_resize"] == math.floor(224 / 0.95)


NET = ('use "blocks.rdsl"\nnetwork small(classes = 3) {\n  input 3x16x16\n'
       '  conv1: conv 3x3, 4, stride: 2;  bn1: bn;  relu\n  avgpool;  fc: fc classes\n}\n')


def test_a_folder_run_with_rrc_trains_validates_at_its_size_and_resumes_bitwise(tmp_path, one_thread):
    (tmp_path / "small.rdsl").write_text(NET)
    net = f"{tmp_path / 'small.rdsl'}:small"
    data = f"folder:{image_folder(tmp_path / 'imgs', per_class=4, sizes=((40, 30), (30, 44), (64, 20)))}"
    opts = {"recipe": "imagenet", "augment__crop_kind": "random_resized", "augment__crop": 16,
            "augment__eval_crop": 24, "augment__eval_resize": 26, "augment__flip": True,
            "data__validation": 3, "data__workers": 0, "batch_size": 3, "iterations": 6,
            "eval__every": 3, "checkpoint__every": 3, "quiet": True}
    whole = resdsl.train(net, data, out=tmp_path / "whole", **opts)
    plain = resdsl.train(net, data, out=tmp_path / "plain", **{**opts, "augment__crop_kind": "scale"})
    assert whole["finished"] and [r["loss"] for r in whole["history"]] != [r["loss"] for r in plain["history"]]
    record = json.loads((tmp_path / "whole" / "preprocess.json").read_text())
    assert (record["crop"], record["resize"], record["input_size"]) == (24, 26, [3, 24, 24])
    resdsl.train(net, data, out=tmp_path / "cut", stop_after=3, **opts)
    resdsl.train(net, data, out=tmp_path / "cut", resume=True, **opts)
    a, b = load_file(tmp_path / "whole" / "weights.safetensors"), load_file(tmp_path / "cut" / "weights.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
