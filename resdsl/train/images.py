"""Decoding image files with Pillow: the validation view (resize, centre crop) and the paper's
training view (scale augmentation, random crop, flip, PCA lighting), each a function of the file
and a few given random numbers, so the batches built from them stay reproducible."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import torch

# AlexNet's PCA lighting: eigenvalues and eigenvectors of ImageNet's RGB covariance (Krizhevsky
# et al. 2012), as the fb.resnet.torch and many ResNet trainers use them.
_EIGVAL = (0.2175, 0.0188, 0.0045)
_EIGVEC = ((-0.5675, 0.7192, 0.4009), (-0.5808, -0.0045, -0.8140), (-0.5836, -0.6948, 0.4203))


class BadImage(Exception):
    """An image file that cannot be used: why, in words; the data's policy decides what follows."""


# the first bytes of the formats Pillow reads for folder data
SIGNATURES = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n", b"BM", b"GIF87a", b"GIF89a", b"RIFF", b"P1", b"P2",
              b"P3", b"P4", b"P5", b"P6", b"II*\x00", b"MM\x00*")


def check_header(path: Path) -> None:
    """What an index can check without decoding: a regular, non-empty file with an image's signature."""
    try:
        with open(path, "rb") as f:
            head = f.read(16)
    except OSError as err:
        raise BadImage(f"cannot read it ({(err.strerror or str(err)).lower()})") from None
    if not head:
        raise BadImage("it is empty (0 bytes)")
    if not head.startswith(SIGNATURES):
        raise BadImage("it is not an image (no JPEG, PNG, BMP, GIF, WebP, PPM or TIFF signature)")


def _open_rgb(path: Path):
    from PIL import Image

    from .limits import TRAIN_LIMITS

    limit = TRAIN_LIMITS.image_pixels
    try:
        with warnings.catch_warnings():  # our own limit speaks for a large image, not Pillow's warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            img = Image.open(path)
        with img:
            width, height = img.size
            if width * height > limit:
                raise BadImage(f"it is {width}x{height} pixels, more than the limit of {limit:,}; "
                               "raise it with RESDSL_MAX_IMAGE_PIXELS")
            return img.convert("RGB")
    except BadImage:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as err:
        raise BadImage(f"it cannot be decoded ({str(err)[:200] or type(err).__name__})") from None


def _to_tensor(img) -> torch.Tensor:
    raw = img.tobytes()
    if len(raw) != img.width * img.height * 3 or not raw:
        raise BadImage(f"it decodes to {img.width}x{img.height} pixels and {len(raw)} bytes, not an RGB image")
    data = torch.frombuffer(bytearray(raw), dtype=torch.uint8)
    return data.view(img.height, img.width, 3).permute(2, 0, 1).float().div_(255)


def _resize_shorter(img, side: int):
    from PIL import Image

    from .limits import TRAIN_LIMITS

    w, h = img.size
    scale = side / min(w, h)
    if round(w * scale) * round(h * scale) > TRAIN_LIMITS.image_pixels:
        raise BadImage(f"it is {w}x{h} pixels: resized to a shorter side of {side} it would be "
                       f"{round(w * scale)}x{round(h * scale)}, more than the limit of "
                       f"{TRAIN_LIMITS.image_pixels:,} pixels (RESDSL_MAX_IMAGE_PIXELS)")
    return img.resize((max(side, round(w * scale)), max(side, round(h * scale))), Image.Resampling.BILINEAR)


def load_eval_image(path: Path, recipe) -> torch.Tensor:
    """The validation view: shorter side resized to `eval_resize`, the centre `eval_crop`
    (by default the training crop)."""
    crop = recipe.get("augment.eval_crop", recipe.get("augment.crop", 224))
    img = _resize_shorter(_open_rgb(path), recipe.get("augment.eval_resize", math.ceil(crop * 8 / 7)))
    left, top = (img.width - crop) // 2, (img.height - crop) // 2
    return _to_tensor(img.crop((left, top, left + crop, top + crop)))


def load_train_image(path: Path, recipe, rand: tuple[float, ...]) -> torch.Tensor:
    """The paper's scale augmentation: shorter side at random in `scale`, a random crop (or,
    with `crop_kind = "random_resized"`, crops.py's random-resized crop), its flip, and PCA
    lighting noise; `rand` holds this image's eight uniform numbers."""
    aug = recipe["augment"]
    if aug.get("crop_kind", "scale") == "random_resized":
        from .crops import random_resized

        x = _to_tensor(random_resized(_open_rgb(path), aug, rand))
    else:
        crop = aug.get("crop", 224)
        low, high = aug.get("scale", [crop, crop])
        side = low + min(int(rand[3] * (high - low + 1)), high - low)
        img = _resize_shorter(_open_rgb(path), side)
        left = min(int(rand[1] * (img.width - crop + 1)), img.width - crop)
        top = min(int(rand[0] * (img.height - crop + 1)), img.height - crop)
        x = _to_tensor(img.crop((left, top, left + crop, top + crop)))
    if aug["flip"] and rand[2] < 0.5:
        x = x.flip(2)
    if aug["lighting"] > 0:
        # three normal deviates from rand[4:8] (Box-Muller, two pairs)
        r1 = math.sqrt(-2 * math.log(max(rand[4], 1e-12)))
        r2 = math.sqrt(-2 * math.log(max(rand[6], 1e-12)))
        alphas = (r1 * math.cos(2 * math.pi * rand[5]), r1 * math.sin(2 * math.pi * rand[5]),
                  r2 * math.cos(2 * math.pi * rand[7]))
        rgb = [sum(_EIGVEC[c][k] * alphas[k] * aug["lighting"] * _EIGVAL[k] for k in range(3))
               for c in range(3)]
        x = x + torch.tensor(rgb).view(3, 1, 1)
    return x
