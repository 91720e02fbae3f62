"""Image folders with hostile files: a truncated JPEG, a 0-byte file, text named .png, a PNG whose
header lies, a decompression bomb, a long thin image that would grow when resized, and a class
folder linked out of the data root. Each is refused naming the file (the default), or skipped
and counted (data.bad_images = "skip"); no DataLoader worker's traceback is ever printed."""

from __future__ import annotations

import io
import os
import struct
import zlib

import pytest

import resdsl
from resdsl.train.data import DataError

from .cli import cli
from .train_support import image_folder

SMALL = ["--iterations", "1", "--batch-size", "2", "--set", "augment.crop=16", "--set", "augment.scale=[16,20]",
         "--set", "augment.eval_resize=18", "--validation", "2", "--quiet", "--input", "3x16x16"]


def _png(width: int, height: int) -> bytes:
    """A valid PNG of one grey colour, built by hand (small on disk, large once decoded)."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    raw = zlib.compress(b"".join(b"\0" + b"\x80" * width for _ in range(height)), 9)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", raw) + chunk(b"IEND", b""))


def _truncated_jpeg() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 40), (200, 10, 10)).save(buffer, "JPEG")
    return buffer.getvalue()[:200]


BAD = {
    "truncated.jpg": _truncated_jpeg,
    "empty.png": lambda: b"",
    "text.png": lambda: b"hello, I am not an image\n",
    "lying.png": lambda: _png(4, 4)[:16] + b"\0" * 40,
    "bomb.png": lambda: _png(20000, 20000),
    "thin.png": lambda: _png(1_000_000, 1),  # 16M x 16 once its shorter side is 16
}


@pytest.fixture(scope="module")
def net(tmp_path_factory):
    path = tmp_path_factory.mktemp("net") / "small.rdsl"
    path.write_text('use "blocks.rdsl"\nnetwork small(classes = 3) {\n  input 3x16x16\n'
                    '  conv1: conv 3x3, 4, stride: 2;  bn1: bn;  relu\n  avgpool;  fc: fc classes\n}\n')
    return f"{path}:small"


@pytest.mark.parametrize("name", sorted(BAD))
def test_a_bad_image_is_refused_by_name_or_skipped_and_counted(tmp_path, net, name):
    root = image_folder(tmp_path / "data", per_class=4)
    bad = root / "cat" / name
    bad.write_bytes(BAD[name]())
    refused = cli("train", net, "--data", f"folder:{root}", "-o", tmp_path / "a", *SMALL)
    assert refused.returncode == 1, refused.output
    assert "error[E931]" in refused.stderr and str(bad) in refused.stderr
    assert "Traceback" not in refused.output
    skipped = cli("train", net, "--data", f"folder:{root}", "-o", tmp_path / "b", "--json",
                  "--set", 'data.bad_images="skip"', *SMALL)
    assert skipped.returncode == 0, skipped.output
    import json

    assert json.loads(skipped.stdout)["skipped_images"] >= 1


def test_a_bad_image_in_eval_is_a_diagnostic_not_a_worker_traceback(tmp_path, net):
    root = image_folder(tmp_path / "data", per_class=4)
    run = tmp_path / "run"
    assert cli("train", net, "--data", f"folder:{root}", "-o", run, *SMALL).returncode == 0
    (root / "dog" / "late.png").write_bytes(_png(4, 4)[:40])  # a header, then nothing
    result = cli("eval", net, "-w", run / "weights.safetensors", "--data", f"folder:{root}", "--split", "train")
    assert result.returncode == 1 and "late.png" in result.stderr and "Traceback" not in result.output


def test_no_link_is_followed_out_of_the_data_root(tmp_path, net):
    root = image_folder(tmp_path / "data", per_class=4)
    os.symlink("/", root / "everything")
    with pytest.raises(DataError, match="outside the data root"):
        resdsl.train(net, f"folder:{root}", out=tmp_path / "run", iterations=1, batch_size=2)
    os.unlink(root / "everything")
    outside = tmp_path / "outside.png"
    outside.write_bytes(_png(30, 30))
    os.symlink(outside, root / "cat" / "link.png")
    with pytest.raises(DataError, match="link.png"):
        resdsl.train(net, f"folder:{root}", out=tmp_path / "run2", iterations=1, batch_size=2)
