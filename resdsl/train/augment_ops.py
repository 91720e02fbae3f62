"""RandAugment (Cubuk et al. 2019) on a batch of images in [0, 1], on its device, without
torchvision: each image gets `num_ops` operations, each picked uniformly from the paper's 14,
at one magnitude M on AutoAugment's 0-10 scale (10: its largest range).

Each operation takes the level v = M / 10, signed at random where the operation has two
directions; pixels are read as PIL reads 8-bit images where an operation counts levels
(posterize, solarize, equalize). The geometric ones sample the nearest input pixel about the
image's centre and fill what falls outside with 0 (black).
"""

from __future__ import annotations

import math

import torch

DRAWS_PER_OP = 3  # per image and operation: which one, its sign, its magnitude's noise
_GRAY = (0.299, 0.587, 0.114)  # ITU-R 601-2 luma, as PIL's convert("L")


def _gray(x: torch.Tensor) -> torch.Tensor:
    if x.shape[1] != 3:
        return x
    weights = torch.tensor(_GRAY, dtype=x.dtype, device=x.device).view(1, 3, 1, 1)
    return (x * weights).sum(1, keepdim=True)


def _blend(degenerate: torch.Tensor, x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """PIL's ImageEnhance: degenerate + factor * (x - degenerate), clipped."""
    return (degenerate + factor.view(-1, 1, 1, 1) * (x - degenerate)).clamp(0, 1)


def _levels(x: torch.Tensor) -> torch.Tensor:
    return (x * 255).round().long()


def _factor(v: torch.Tensor) -> torch.Tensor:
    return 1 + 0.9 * v  # enhancements: 0.1 to 1.9


def identity(x, _v):
    return x


def autocontrast(x, _v):
    lo = x.amin((2, 3), keepdim=True)
    hi = x.amax((2, 3), keepdim=True)
    return torch.where(hi > lo, (x - lo) / (hi - lo).clamp_min(1e-12), x)


def equalize(x, _v):
    """PIL's ImageOps.equalize, per image and channel, on 256 levels."""
    n, c, h, w = x.shape
    q = _levels(x).view(n * c, h * w)
    hist = torch.zeros(n * c, 256, dtype=torch.long, device=x.device).scatter_add_(1, q, torch.ones_like(q))
    last = 255 - hist.flip(1).ne(0).long().argmax(1)  # the highest level present
    step = (h * w - hist.gather(1, last[:, None]).squeeze(1)) // 255
    before = hist.cumsum(1) - hist  # pixels below each level
    lut = ((before + (step // 2)[:, None]) // step.clamp_min(1)[:, None]).clamp_max(255)
    out = lut.gather(1, q).view(n, c, h, w).to(x.dtype) / 255
    return torch.where((step > 0).view(n, c, 1, 1), out, x)


def solarize(x, v):
    threshold = 256 * (1 - v.abs())  # on 0-255: levels at or above it are inverted
    return torch.where(_levels(x) >= threshold.view(-1, 1, 1, 1), 1 - x, x)


def posterize(x, v):
    bits = 8 - (4 * v.abs()).long()  # 8 bits kept at level 0, 4 at 10
    mask = (0xFF << (8 - bits)) & 0xFF
    return (_levels(x) & mask.view(-1, 1, 1, 1)).to(x.dtype) / 255


def color(x, v):
    return _blend(_gray(x).expand_as(x), x, _factor(v))


def contrast(x, v):
    mean = _gray(x).mean((1, 2, 3), keepdim=True)
    return _blend(mean.expand_as(x), x, _factor(v))


def brightness(x, v):
    return _blend(torch.zeros_like(x), x, _factor(v))


def sharpness(x, v):
    """Blend with PIL's SMOOTH filter (1 1 1 / 1 5 1 / 1 1 1, over 13); the border stays."""
    c = x.shape[1]
    kernel = torch.ones(3, 3, dtype=x.dtype, device=x.device)
    kernel[1, 1] = 5
    kernel = (kernel / 13).expand(c, 1, 3, 3)
    smooth = x.clone()
    smooth[:, :, 1:-1, 1:-1] = torch.nn.functional.conv2d(x, kernel, groups=c)
    return _blend(smooth, x, _factor(v))


def affine(x: torch.Tensor, matrix: torch.Tensor) -> torch.Tensor:
    """Each output pixel (column u, row r about the centre) takes the input's nearest pixel at
    matrix @ (u, r, 1); outside the image: 0. `matrix` is N x 2 x 3."""
    n, c, h, w = x.shape
    rows = torch.arange(h, dtype=x.dtype, device=x.device) - (h - 1) / 2
    cols = torch.arange(w, dtype=x.dtype, device=x.device) - (w - 1) / 2
    u, r = cols.view(1, 1, w), rows.view(1, h, 1)
    m = matrix.to(x.dtype).view(n, 6, 1, 1)
    src_u = (m[:, 0] * u + m[:, 1] * r + m[:, 2] + (w - 1) / 2).round().long()
    src_r = (m[:, 3] * u + m[:, 4] * r + m[:, 5] + (h - 1) / 2).round().long()
    inside = (src_u >= 0) & (src_u < w) & (src_r >= 0) & (src_r < h)
    flat = (src_r.clamp(0, h - 1) * w + src_u.clamp(0, w - 1)).view(n, 1, h * w).expand(n, c, h * w)
    out = x.reshape(n, c, h * w).gather(2, flat).view(n, c, h, w)
    return torch.where(inside[:, None], out, torch.zeros_like(out))


def _matrix(v: torch.Tensor, a, b, e, d, f, g) -> torch.Tensor:
    """N x 2 x 3 from per-image entries (each a tensor or a number)."""
    rows = [torch.as_tensor(t, dtype=torch.float64, device=v.device).expand(len(v)) for t in (a, b, e, d, f, g)]
    return torch.stack(rows, 1).view(-1, 2, 3)


def rotate(x, v, degrees: float = 30.0):
    """Counter-clockwise by v * 30 degrees (PIL's sense)."""
    t = v.double() * (degrees * math.pi / 180)
    return affine(x, _matrix(v, t.cos(), -t.sin(), 0, t.sin(), t.cos(), 0))


def shear_x(x, v):
    return affine(x, _matrix(v, 1, 0.3 * v.double(), 0, 0, 1, 0))


def shear_y(x, v):
    return affine(x, _matrix(v, 1, 0, 0, 0.3 * v.double(), 1, 0))


def translate_x(x, v):
    return affine(x, _matrix(v, 1, 0, -0.45 * x.shape[3] * v.double(), 0, 1, 0))  # 150 of 331 pixels at 10


def translate_y(x, v):
    return affine(x, _matrix(v, 1, 0, 0, 0, 1, -0.45 * x.shape[2] * v.double()))


# the paper's list (sec. 3), in its order
OPS = (identity, autocontrast, equalize, rotate, solarize, color, posterize, contrast, brightness, sharpness,
       shear_x, shear_y, translate_x, translate_y)


def rand_augment(x: torch.Tensor, rand: torch.Tensor, num_ops: int, magnitude: float,
                 magnitude_std: float = 0.0) -> torch.Tensor:
    """`x` (N x C x H x W in [0, 1]) after `num_ops` random operations per image; `rand` holds
    N x (num_ops * DRAWS_PER_OP) uniform numbers on the host (the choices are made there, so a
    GPU is never waited for)."""
    x = x.clone()
    for k in range(num_ops):
        pick, sign, noise = rand[:, DRAWS_PER_OP * k:DRAWS_PER_OP * (k + 1)].double().unbind(1)
        op = (pick * len(OPS)).long().clamp_max(len(OPS) - 1)
        level = torch.full_like(pick, float(magnitude))
        if magnitude_std > 0:  # timm's mstd: a normal around M, drawn by its inverse CDF
            normal = math.sqrt(2) * torch.erfinv((2 * noise - 1).clamp(-1 + 1e-12, 1 - 1e-12))
            level = level + magnitude_std * normal
        signed = level.clamp(0, 10) / 10 * torch.where(sign < 0.5, -1.0, 1.0)
        for i, fn in enumerate(OPS):
            index = (op == i).nonzero().flatten()
            if len(index) and fn is not identity:
                on = index.to(x.device)
                x[on] = fn(x[on], signed[index].to(x.device, x.dtype))
    return x
