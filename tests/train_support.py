"""Small things the training tests share: a tiny network for 8x8 digits, and data files in the
real CIFAR-10 and image-folder formats, made on the spot."""

from __future__ import annotations

import io
import pickle
import tarfile
from pathlib import Path

import numpy as np

TINY = '''use "blocks.rdsl"

network tiny(classes = 10) {
    input 1x8x8
    shortcuts A
    conv1: conv 3x3, 8;  bn1: bn;  relu
    stage layer1: basic(8) x 1
    stage layer2: basic(16) x 1, stride: 2
    avgpool;  fc: fc classes
}

network tiny_rgb(classes = 10) {
    input 3x32x32
    shortcuts A
    conv1: conv 3x3, 8, stride: 2;  bn1: bn;  relu
    stage layer1: basic(8) x 1, stride: 2
    avgpool;  fc: fc classes
}

network nobn(classes = 10) {
    input 1x8x8
    conv1: conv 3x3, 8;  relu
    conv2: conv 3x3, 16, stride: 2;  relu
    avgpool;  fc: fc classes
}
'''


def tiny_file(folder: Path) -> Path:
    path = Path(folder) / "tiny.rdsl"
    path.write_text(TINY)
    return path


def cifar_batches(folder: Path, per_batch: int = 20, seed: int = 0, protocol: int = 2) -> Path:
    """data_batch_1..5, test_batch and batches.meta as CIFAR-10's python version has them:
    pickled dicts with bytes keys, 'data' an N x 3072 uint8 array (R, G, B planes), 'labels' a list."""
    folder = Path(folder) / "cifar-10-batches-py"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    names = [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]
    for name in names:
        labels = [int(v) for v in rng.integers(0, 10, per_batch)]
        data = rng.integers(0, 256, (per_batch, 3072), dtype=np.uint8)
        batch = {b"batch_label": name.encode(), b"labels": labels, b"data": data,
                 b"filenames": [f"img{i}.png".encode() for i in range(per_batch)]}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=protocol))
    meta = {b"label_names": [n.encode() for n in ("airplane", "automobile", "bird", "cat", "deer",
                                                   "dog", "frog", "horse", "ship", "truck")],
            b"num_cases_per_batch": per_batch, b"num_vis": 3072}
    (folder / "batches.meta").write_bytes(pickle.dumps(meta, protocol=protocol))
    return folder


def cifar_tarball(folder: Path, **kwargs) -> Path:
    batches = cifar_batches(Path(folder) / "src", **kwargs)
    tar_path = Path(folder) / "cifar-10-python.tar.gz"
    with tarfile.open(tar_path, "w:gz") as tar:
        tar.add(batches, arcname="cifar-10-batches-py")
    return tar_path


def image_folder(root: Path, classes=("cat", "dog", "fish"), per_class: int = 4,
                 sizes=((40, 30), (30, 44)), split_folders: bool = False) -> Path:
    """Class folders of small JPEG and PNG images of several sizes."""
    from PIL import Image

    rng = np.random.default_rng(1)
    splits = ("train", "val") if split_folders else ("",)
    for split in splits:
        for c, name in enumerate(classes):
            folder = Path(root) / split / name
            folder.mkdir(parents=True, exist_ok=True)
            for i in range(per_class):
                w, h = sizes[i % len(sizes)]
                pixels = rng.integers(0, 256, (h, w, 3), dtype=np.uint8)
                pixels[..., c % 3] = 200  # a class colour, so a net can learn something
                suffix = ".jpg" if i % 2 else ".png"
                Image.fromarray(pixels).save(folder / f"{i}{suffix}")
    return Path(root)


def tar_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def same_weights(a: dict, b: dict) -> bool:
    """Two state_dicts with the same names and bitwise equal tensors."""
    import torch

    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)
