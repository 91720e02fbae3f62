"""cifar100:PATH, mnist:PATH and labels:FILE on small files written here in each format (never a
download): through the reader, within the hardening rules, and through `resdsl train`."""

import gzip
import os
import pickle
import struct
import tarfile

import numpy as np
import pytest
import torch

from resdsl.train.data import DataError, open_data
from resdsl.train.recipe import load_recipe

from .cli import cli
from .train_support import image_folder, tiny_file

RNG = np.random.default_rng(7)


def cifar100_folder(root, n=12):
    folder = root / "cifar-100-python"
    folder.mkdir(parents=True)
    made = {}
    for name in ("train", "test"):
        data = RNG.integers(0, 256, (n, 3072), dtype=np.uint8)
        fine = [int(v) for v in RNG.integers(0, 100, n)]
        made[name] = (data, fine)
        batch = {b"filenames": [b"x.png"] * n, b"batch_label": name.encode(), b"fine_labels": fine,
                 b"coarse_labels": [f // 5 for f in fine], b"data": data}
        (folder / name).write_bytes(pickle.dumps(batch, protocol=2))
    meta = {b"fine_label_names": [f"class{i}".encode() for i in range(100)],
            b"coarse_label_names": [f"super{i}".encode() for i in range(20)]}
    (folder / "meta").write_bytes(pickle.dumps(meta, protocol=2))
    return made


def test_cifar100_reads_fine_labels_from_folder_and_archive(tmp_path):
    made = cifar100_folder(tmp_path / "c")
    recipe = load_recipe("cifar10", {"data.validation": 2})
    for where in (tmp_path / "c", tmp_path / "c" / "cifar-100-python"):
        data = open_data(f"cifar100:{where}", recipe)
        assert data.shape == (3, 32, 32) and len(data.classes) == 100 and data.classes[7] == "class7"
        test_x, test_y = made["test"]
        assert data.test.labels.tolist() == test_y
        # pixel (plane c, row r, column k) is byte c*1024 + r*32 + k of a row
        assert data.test.images[3, 2, 5, 9].item() == test_x[3, 2 * 1024 + 5 * 32 + 9]
        assert len(data.train) + len(data.val) == 12 and len(data.val) == 2
    archive = tmp_path / "cifar-100-python.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(tmp_path / "c" / "cifar-100-python", arcname="cifar-100-python")
    assert open_data(f"cifar100:{archive}", recipe).test.labels.tolist() == made["test"][1]


def test_cifar100_refuses_code_and_coarse_only_batches(tmp_path):
    folder = tmp_path / "evil"
    folder.mkdir()

    class Boom:
        def __reduce__(self):
            return (os.system, ("echo hacked",))

    (folder / "train").write_bytes(pickle.dumps({b"data": Boom()}))
    with pytest.raises(DataError, match="refusing to build"):
        open_data(f"cifar100:{folder}", load_recipe("cifar10"))
    (folder / "train").write_bytes(pickle.dumps({b"data": np.zeros((2, 3072), np.uint8), b"coarse_labels": [0, 1]}))
    with pytest.raises(DataError, match="fine_labels"):
        open_data(f"cifar100:{folder}", load_recipe("cifar10"))


def idx(array: np.ndarray) -> bytes:
    """An IDX file of unsigned bytes: two zero bytes, type 0x08, the number of dimensions, each
    dimension as a big-endian 32-bit integer, then the bytes."""
    return b"\0\0\x08" + bytes([array.ndim]) + b"".join(struct.pack(">I", n) for n in array.shape) + array.tobytes()


def mnist_folder(root, n=30, size=28, zipped=True, dotted=False):
    root.mkdir(parents=True)
    made = {}
    for prefix in ("train", "t10k"):
        images = RNG.integers(0, 256, (n, size, size), dtype=np.uint8)
        labels = RNG.integers(0, 10, n, dtype=np.uint8)
        made[prefix] = (images, labels)
        for kind, array in (("images-idx3-ubyte", images), ("labels-idx1-ubyte", labels)):
            name = f"{prefix}-{kind}".replace("-idx", ".idx" if dotted else "-idx")
            raw = idx(array)
            (root / (name + ".gz" if zipped else name)).write_bytes(gzip.compress(raw) if zipped else raw)
    return made


@pytest.mark.parametrize("zipped,dotted", [(True, False), (False, True)])
def test_mnist_idx_files_gzipped_or_not(tmp_path, zipped, dotted):
    made = mnist_folder(tmp_path / "m", zipped=zipped, dotted=dotted)
    data = open_data(f"mnist:{tmp_path / 'm'}", load_recipe("digits", {"data.validation": 5}))
    assert data.shape == (1, 28, 28) and data.scale == 255.0 and len(data.classes) == 10
    images, labels = made["t10k"]
    assert torch.equal(data.test.images[:, 0], torch.from_numpy(images))
    assert data.test.labels.tolist() == labels.tolist() and len(data.train) == 25


def test_mnist_sizes_are_checked_before_allocation(tmp_path, monkeypatch):
    folder = tmp_path / "m"
    mnist_folder(folder, zipped=False)
    # a header claiming a billion images of 28x28 in a file of a few kilobytes
    (folder / "train-images-idx3-ubyte").write_bytes(b"\0\0\x08\x03" + struct.pack(">III", 10**9, 28, 28) + b"\0" * 100)
    with pytest.raises(DataError, match="says 1000000000 x 28 x 28 bytes but holds 100"):
        open_data(f"mnist:{folder}", load_recipe("digits"))
    (folder / "train-images-idx3-ubyte").write_bytes(b"\0\0\x0d\x03" + b"\0" * 12)  # float data
    with pytest.raises(DataError, match="not an IDX file"):
        open_data(f"mnist:{folder}", load_recipe("digits"))
    # a gzip bomb: a small file unpacking beyond the limit is refused while unpacking
    from resdsl.train import datasets, limits

    (folder / "train-images-idx3-ubyte").unlink()
    (folder / "train-images-idx3-ubyte.gz").write_bytes(gzip.compress(b"\0" * 2_000_000))
    monkeypatch.setattr(datasets, "TRAIN_LIMITS", limits.TrainLimits(data_bytes=100_000))
    with pytest.raises(DataError, match="unpacks to more than 100,000 bytes"):
        open_data(f"mnist:{folder}", load_recipe("digits"))


def test_label_file_csv_and_tsv_confined_to_its_folder(tmp_path):
    root = image_folder(tmp_path / "imgs", per_class=2)
    files = sorted(p.relative_to(root) for p in root.rglob("*.*"))
    (root / "labels.csv").write_text("path,class\n" + "".join(f"{p},{p.parent.name}\n" for p in files))
    (root / "labels.tsv").write_text("".join(f"{p}\tk{i % 2}\n" for i, p in enumerate(files)))
    recipe = load_recipe("imagenet", {"augment.crop": 16, "data.validation": 2, "data.workers": 0})
    data = open_data(f"labels:{root / 'labels.csv'}", recipe)
    assert data.classes == ["cat", "dog", "fish"] and len(data.train) + len(data.val) == 6
    assert all(data.classes[y] == f.parent.name for s in (data.train, data.val) for f, y in zip(s.files, s.labels))
    assert open_data(f"labels:{root / 'labels.tsv'}", recipe).classes == ["k0", "k1"]
    (tmp_path / "outside.png").write_bytes((root / files[0]).read_bytes())
    (root / "out.csv").write_text(f"{files[0]},a\n../outside.png,b\n")
    with pytest.raises(DataError, match="outside the label file's folder"):
        open_data(f"labels:{root / 'out.csv'}", recipe)
    (root / "link.png").symlink_to(tmp_path / "outside.png")
    (root / "link.csv").write_text(f"{files[0]},a\nlink.png,b\n")
    with pytest.raises(DataError, match="outside the label file's folder"):
        open_data(f"labels:{root / 'link.csv'}", recipe)
    (root / "bad.csv").write_text(f"{files[0]}\n")
    with pytest.raises(DataError, match="row 1: not an image path and a class"):
        open_data(f"labels:{root / 'bad.csv'}", recipe)


def test_each_format_trains_through_the_command_line(tmp_path):
    net = tiny_file(tmp_path)
    mnist_folder(tmp_path / "m", n=40, size=8)
    cifar100_folder(tmp_path / "c", n=16)
    root = image_folder(tmp_path / "imgs", per_class=3)
    (root / "labels.csv").write_text("".join(f"{p.relative_to(root)},{p.parent.name}\n" for p in root.rglob("*.*")))
    runs = {
        "mnist": [f"{net}:tiny", "--data", f"mnist:{tmp_path / 'm'}", "--validation", "8"],
        "cifar100": [f"{net}:tiny_rgb", "--data", f"cifar100:{tmp_path / 'c'}", "--validation", "4",
                     "--param", "classes=100"],
        "labels": [f"{net}:tiny_rgb", "--data", f"labels:{root / 'labels.csv'}", "--validation", "2",
                   "--param", "classes=3", "--input", "3x16x16", "--set", "augment.crop=16",
                   "--set", "augment.scale=[16,20]", "--set", "augment.eval_resize=18"],
    }
    for name, args in runs.items():
        result = cli("train", *args, "-o", tmp_path / name, "--iterations", "2", "--batch-size", "4",
                     "--quiet", "--json")
        assert result.returncode == 0, result.output
        assert '"finished": true' in result.stdout and (tmp_path / name / "weights.safetensors").is_file()
    missing = cli("train", f"{net}:tiny", "--data", f"mnist:{tmp_path / 'nothing'}", "-o", tmp_path / "x")
    assert missing.returncode == 1 and "error[E931]" in missing.stderr and "Traceback" not in missing.output

