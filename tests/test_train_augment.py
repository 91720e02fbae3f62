"""Mixup, CutMix, random erasing and the losses on mixed targets, each against a hand
computation; a run with them trains and resumes bit for bit."""

import math
import random

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.augment_erase import ATTEMPTS, DRAWS, erase, erase_boxes
from resdsl.train.augment_mix import Box, Draw, cutmix_box, draw, mix
from resdsl.train.losses import Loss
from resdsl.train.recipe import load_recipe

from .train_support import tiny_file

FAST = dict(iterations=12, batch_size=16, eval_every=6, checkpoint_every=6)


def batch(n=4, c=2, h=5, w=6):
    torch.manual_seed(0)
    return torch.randn(n, c, h, w), torch.tensor([0, 2, 1, 2])[:n]


def test_mixup_blends_each_image_with_its_partner_in_the_reversed_batch():
    x, y = batch()
    lam = 0.3
    mixed, target = mix(x, y, 3, Draw(lam))
    for i in range(4):
        j = 3 - i
        torch.testing.assert_close(mixed[i], lam * x[i] + (1 - lam) * x[j])
        hand = [lam * (y[i] == c) + (1 - lam) * (y[j] == c) for c in range(3)]
        assert target[i].tolist() == pytest.approx([float(v) for v in hand])


def test_cutmix_pastes_the_partners_box_and_weighs_targets_by_area():
    x, y = batch()
    box = Box(1, 4, 2, 5)  # rows 1-3, columns 2-4: 9 of 30 pixels
    lam = 1 - 9 / 30
    mixed, target = mix(x, y, 3, Draw(lam, box))
    for i in range(4):
        for r in range(5):
            for col in range(6):
                inside = 1 <= r < 4 and 2 <= col < 5
                assert torch.equal(mixed[i, :, r, col], x[3 - i if inside else i, :, r, col])
    assert target[0].tolist() == pytest.approx([lam, 0.0, 1 - lam])  # y = 0, its partner's 2


class Fixed(random.Random):
    """A generator whose randrange answers are given (the box's centre)."""

    def __init__(self, centres):
        super().__init__(0)
        self.centres = list(centres)

    def randrange(self, stop):  # type: ignore[override]
        return self.centres.pop(0)


def test_cutmix_box_is_sqrt_one_minus_lambda_of_each_side_clipped_at_the_border():
    # lam 0.75: sides 8 * 0.5 = 4, centred at row 1, column 6: rows [-1, 3) -> [0, 3), columns [4, 8)
    assert cutmix_box(0.75, 8, 8, Fixed([1, 6])) == Box(0, 3, 4, 8)
    how = draw(0.0, 1.0, 8, 8, random.Random(5))
    assert how.box is not None and how.lam == pytest.approx(1 - how.box.area / 64)


def test_soft_targets_with_label_smoothing_are_timms_smoothed_one_hots_mixed():
    torch.manual_seed(1)
    scores, y, lam, eps, classes = torch.randn(4, 3), torch.tensor([0, 2, 1, 2]), 0.3, 0.1, 3
    _, target = mix(torch.zeros(4, 1, 2, 2), y, classes, Draw(lam))
    loss = Loss(load_recipe("digits", {"loss.label_smoothing": eps}))(scores, target)
    off, on = eps / classes, 1 - eps + eps / classes
    log_p = torch.log_softmax(scores.double(), 1)
    hand = 0.0
    for i in range(4):
        t = [lam * (on if y[i] == c else off) + (1 - lam) * (on if y[3 - i] == c else off) for c in range(3)]
        hand -= sum(t[c] * log_p[i, c].item() for c in range(3))
    assert loss.item() == pytest.approx(hand / 4, rel=1e-6)


def test_bce_with_a_target_threshold_counts_mixed_in_classes_as_present():
    torch.manual_seed(2)
    scores, y = torch.randn(4, 3), torch.tensor([0, 2, 1, 2])
    _, target = mix(torch.zeros(4, 1, 2, 2), y, 3, Draw(0.9))  # the partner's share 0.1 < 0.2: absent
    recipe = load_recipe("digits", {"loss.kind": "bce", "loss.bce_threshold": 0.05})
    hand = 0.0
    for i in range(4):
        for c in range(3):
            t = 1.0 if c in (int(y[i]), int(y[3 - i])) else 0.0  # 0.9 and 0.1 are both above 0.05
            s = 1 / (1 + math.exp(-scores[i, c].item()))
            hand -= t * math.log(s) + (1 - t) * math.log(1 - s)
    assert Loss(recipe)(scores, target).item() == pytest.approx(hand / 12, rel=1e-6)
    plain = Loss(load_recipe("digits", {"loss.kind": "bce"}))(scores, y)  # class indices: one-hot targets
    hand = -sum(math.log(1 / (1 + math.exp(-scores[i, c].item()))) if c == y[i] else
                math.log(1 - 1 / (1 + math.exp(-scores[i, c].item()))) for i in range(4) for c in range(3))
    assert plain.item() == pytest.approx(hand / 12, rel=1e-6)


def test_erasing_picks_the_first_rectangle_that_fits_as_the_paper_draws_it():
    h, w = 10, 20
    rand = torch.full((3, DRAWS), 0.5)   # (area, aspect, top, left) = 0.5 each: 9 x 5 at row 5, never fits
    rand[:, 0] = 0.2                     # below the probability 0.5: erased ...
    fits = torch.tensor([0.0, 0.5, 0.1, 0.2])
    rand[0, 1:5] = fits                  # image 0: its first try fits
    rand[1, 0], rand[1, 1:5] = 0.9, fits  # ... except image 1
    rand[2, 1:5] = torch.tensor([1.0, 0.5, 0.9, 0.9])  # image 2: the first try is too tall ...
    rand[2, 5:9] = fits                  # ... the second fits
    boxes = erase_boxes(rand, h, w, 0.5)
    # area 0.02 * 200 = 4 pixels, aspect 0.3 + (1/0.3 - 0.3) * 0.5; top 0.1 * 10, left 0.2 * 20
    aspect = 0.3 + (1 / 0.3 - 0.3) * 0.5
    box = [1, 4, round(math.sqrt(4 * aspect)), round(math.sqrt(4 / aspect))]
    assert box == [1, 4, 3, 1]
    assert boxes.tolist() == [box, [0, 0, 0, 0], box]
    # the paper's bound: area 0.4 * 200 = 80 at that aspect is 12 rows, more than 10
    assert round(math.sqrt(80 * aspect)) == 12


def test_erasing_replaces_exactly_the_box():
    x = torch.zeros(2, 3, 6, 7)
    noise = torch.ones_like(x)
    out = erase(x, torch.tensor([[1, 2, 3, 4], [0, 0, 0, 0]]), noise)
    hand = torch.zeros_like(x)
    hand[0, :, 1:4, 2:6] = 1
    assert torch.equal(out, hand)


def test_a_run_with_randaugment_mixing_erasing_and_bce_trains_and_resumes_bitwise(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    opts = dict(augment__mixup=0.2, augment__cutmix=1.0, augment__erasing=0.5, loss__kind="bce",
                augment__randaugment__num_ops=2, augment__randaugment__magnitude_std=0.5,
                loss__bce_threshold=0.2, **FAST)
    whole = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "whole", **opts)
    plain = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "plain", **FAST)
    assert whole["finished"] and [r["loss"] for r in whole["history"]] != [r["loss"] for r in plain["history"]]
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", stop_after=6, **opts)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", resume=True, **opts)
    a, b = load_file(tmp_path / "whole" / "weights.safetensors"), load_file(tmp_path / "cut" / "weights.safetensors")
    assert a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


assert ATTEMPTS * 4 + 1 == DRAWS


def test_per_image_numbers_are_the_global_batchs_sliced_as_its_images():
    from resdsl.train.augment_batch import BatchAugment

    recipe = load_recipe("digits", {"batch.size": 8, "augment.erasing": 0.5})
    mean, std = torch.zeros(1, 1, 1, 1), torch.ones(1, 1, 1, 1)
    whole = BatchAugment(recipe, 10, mean, std)._per_image(0xA12, 7, DRAWS, 8)
    for rank in range(2):
        part = BatchAugment(recipe, 10, mean, std, rank, 2)._per_image(0xA12, 7, DRAWS, 4)
        assert torch.equal(part, whole[rank::2])
    again = BatchAugment(recipe, 10, mean, std)._per_image(0xA12, 7, DRAWS, 8)
    assert torch.equal(again, whole)  # a function of (seed, iteration): a resumed run draws the same
    assert not torch.equal(BatchAugment(recipe, 10, mean, std)._per_image(0xA12, 8, DRAWS, 8), whole)
