"""RandAugment's operations, each against a hand computation on a tiny image, and the
per-image choice of operation and magnitude."""

import pytest
import torch

from resdsl.train import augment_ops as ops


def levels(values, shape):
    return (torch.tensor(values, dtype=torch.float32) / 255).view(shape)


def v(x):
    return torch.tensor([x])


def test_solarize_inverts_levels_at_or_above_the_threshold():
    x = levels([127, 128, 200, 0], (1, 1, 2, 2))
    out = ops.solarize(x, v(0.5))  # level 5: threshold 256 * 0.5 = 128
    assert (out * 255).round().flatten().tolist() == [127, 127, 55, 0]


def test_posterize_keeps_the_high_bits():
    x = levels([0b10110111, 0b00001111, 255, 16], (1, 1, 2, 2))
    out = ops.posterize(x, v(1.0))  # level 10: 4 bits
    assert (out * 255).round().flatten().tolist() == [0b10110000, 0, 0b11110000, 16]
    assert torch.equal(ops.posterize(x, v(0.0)), x)  # level 0: all 8 bits


def test_brightness_color_contrast_blend_as_pil_enhance():
    x = torch.tensor([0.2, 0.4, 0.6]).view(1, 3, 1, 1).repeat(1, 1, 1, 2)
    x[0, :, 0, 1] = torch.tensor([0.5, 0.1, 0.9])
    f = 1 + 0.9 * 0.5  # level 5, positive
    torch.testing.assert_close(ops.brightness(x, v(0.5)), (x * f).clamp(0, 1))
    gray = 0.299 * x[:, 0] + 0.587 * x[:, 1] + 0.114 * x[:, 2]          # 1 x 1 x 2
    torch.testing.assert_close(ops.color(x, v(0.5)), (gray[:, None] + f * (x - gray[:, None])).clamp(0, 1))
    mean = gray.mean()
    torch.testing.assert_close(ops.contrast(x, v(-0.5)), (mean + (1 - 0.45) * (x - mean)).clamp(0, 1))


def test_autocontrast_stretches_each_channel_to_the_full_range():
    x = torch.tensor([[0.2, 0.6], [0.4, 0.3]]).view(1, 1, 2, 2)
    flat = torch.full((1, 1, 2, 2), 0.5)
    torch.testing.assert_close(ops.autocontrast(x, v(0)), ((x - 0.2) / 0.4))
    assert torch.equal(ops.autocontrast(flat, v(0)), flat)


def test_equalize_is_pils_lookup_table():
    # 1020 pixels: 510 at level 10, 255 at 50, 255 at 90; step = (1020 - 255) // 255 = 3;
    # lut[l] = (step // 2 + pixels below l) // step: 10 -> 0, 50 -> 511 // 3 = 170, 90 -> 766 // 3 = 255
    x = levels([10] * 510 + [50] * 255 + [90] * 255, (1, 1, 1, 1020))
    out = (ops.equalize(x, v(0)) * 255).round().flatten()
    assert out[0] == 0 and out[600] == 170 and out[900] == 255
    one = levels([7, 7, 7, 7], (1, 1, 2, 2))  # a single level: unchanged
    assert torch.equal(ops.equalize(one, v(0)), one)


def test_sharpness_blends_with_the_smoothed_inside_and_keeps_the_border():
    x = torch.zeros(1, 1, 3, 3)
    x[0, 0, 1, 1] = 0.65
    smooth = (0.65 * 5) / 13  # the centre's 3x3 neighbourhood, centre weighted 5, over 13
    f = 1 + 0.9 * 0.4
    out = ops.sharpness(x, v(0.4))
    assert out[0, 0, 1, 1].item() == pytest.approx(min(1.0, smooth + f * (0.65 - smooth)))
    assert out[0, 0, 0].tolist() == [0, 0, 0]


def test_rotate_turns_counter_clockwise_about_the_centre():
    x = torch.arange(25.0).view(1, 1, 5, 5)
    torch.testing.assert_close(ops.rotate(x, v(1.0), degrees=90), torch.rot90(x, 1, (2, 3)))


def test_translate_moves_by_045_of_the_side_at_level_10():
    x = torch.rand(1, 2, 4, 20)
    out = ops.translate_x(x, v(1 / 9))  # 0.45 * 20 / 9 = 1 pixel to the right
    hand = torch.zeros_like(x)
    hand[..., 1:] = x[..., :-1]
    torch.testing.assert_close(out, hand)
    down = ops.translate_y(x, v(-1.0))  # 0.45 * 4 = 1.8 -> the rows come from 1.8 below: nearest 2
    hand = torch.zeros_like(x)
    hand[:, :, :2] = x[:, :, 2:]
    torch.testing.assert_close(down, hand)


def test_shear_takes_each_pixel_from_its_sheared_position():
    h, w = 5, 7
    x = torch.rand(1, 1, h, w)
    out = ops.shear_x(x, v(1.0))
    for r in range(h):
        for c in range(w):
            src = round((c - 3) + 0.3 * (r - 2) + 3)  # columns shift by 0.3 per row from the centre
            expected = x[0, 0, r, src].item() if 0 <= src < w else 0.0
            assert out[0, 0, r, c].item() == expected


def test_each_image_gets_the_operation_its_number_picks():
    x = torch.rand(len(ops.OPS), 3, 6, 6)
    picks = (torch.arange(len(ops.OPS)) + 0.5) / len(ops.OPS)  # image i: operation i
    rand = torch.stack([picks, torch.full_like(picks, 0.7), torch.full_like(picks, 0.5)], 1)  # sign +
    out = ops.rand_augment(x, rand, 1, 6.0)
    for i, fn in enumerate(ops.OPS):
        torch.testing.assert_close(out[i:i + 1], fn(x[i:i + 1], torch.tensor([0.6])), msg=fn.__name__)
    # magnitude_std: a uniform 0.5 is the normal's median, so the magnitude stays 6
    assert torch.equal(ops.rand_augment(x, rand, 1, 6.0, magnitude_std=2.0), out)
