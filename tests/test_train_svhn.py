"""svhn:PATH on small .mat files written here with scipy.io.savemat in SVHN's layout (X 32x32x3xN
bytes, y Nx1 labels 1..10 with 10 for the digit 0), and hostile ones: each a diagnostic naming the
file, sizes checked before anything is allocated."""

import numpy as np
import pytest
import torch

from resdsl.train import limits, svhn as svhn_module
from resdsl.train.data import DataError, open_data
from resdsl.train.recipe import load_recipe

from .cli import cli

scipy_io = pytest.importorskip("scipy.io")


def write_svhn(folder, n=20, test=8, compress=False, seed=0):
    """SVHN's two files; returns the images (N, 3, 32, 32) and digits written to train_32x32.mat."""
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    made = {}
    for name, count in (("train", n), ("test", test)):
        images = rng.integers(0, 256, (count, 3, 32, 32), dtype=np.uint8)
        digits = np.arange(count) % 10
        X = np.zeros((32, 32, 3, count), dtype=np.uint8)  # rows, columns, channels, image
        for i in range(count):
            for c in range(3):
                X[:, :, c, i] = images[i, c]
        y = np.where(digits == 0, 10, digits).reshape(count, 1).astype(np.uint8)
        scipy_io.savemat(folder / f"{name}_32x32.mat", {"X": X, "y": y}, do_compression=compress)
        made[name] = (images, digits)
    return made


@pytest.mark.parametrize("compress", [False, True])
def test_svhn_images_and_labels_with_10_as_the_digit_0(tmp_path, compress):
    made = write_svhn(tmp_path / "s", compress=compress)
    data = open_data(f"svhn:{tmp_path / 's'}", load_recipe("digits", {"data.validation": 0}))
    assert data.shape == (3, 32, 32) and data.classes == [str(i) for i in range(10)] and data.scale == 255.0
    images, digits = made["train"]
    assert torch.equal(data.train.images, torch.from_numpy(images))
    assert data.train.labels.tolist() == digits.tolist() and 0 in data.train.labels.tolist()
    assert torch.equal(data.test.images, torch.from_numpy(made["test"][0]))


def test_a_short_run_on_svhn(tmp_path):
    write_svhn(tmp_path / "s", n=40)
    net = tmp_path / "net.rdsl"
    net.write_text('network small { input 3x32x32\n conv1: conv 3x3, 4, stride: 4;  relu\n avgpool;  fc: fc 10 }\n')
    result = cli("train", net, "--data", f"svhn:{tmp_path / 's'}", "--iterations", "2", "--batch-size", "8",
                 "--validation", "8", "--quiet", "--threads", "1", "-o", tmp_path / "r")
    assert result.returncode == 0, result.output
    assert "small on svhn:" in result.output and (tmp_path / "r" / "weights.safetensors").is_file()


def hostile(folder, **arrays):
    folder.mkdir(parents=True, exist_ok=True)
    scipy_io.savemat(folder / "train_32x32.mat", arrays)
    return f"svhn:{folder}"


@pytest.mark.parametrize("arrays,message", [
    ({"X": np.zeros((32, 32, 3, 2), np.uint8)}, "has no 'X' and 'y'"),
    ({"X": np.zeros((28, 28, 1, 2), np.uint8), "y": np.ones((2, 1))}, "not 32x32x3xN bytes"),
    ({"X": np.zeros((32, 32, 3, 2), np.float64), "y": np.ones((2, 1))}, "not 32x32x3xN bytes"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.ones((3, 1))}, "has 2 images but y is 3x1"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1], [11]])}, "has the label 11"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[0], [1]])}, "has the label 0"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array([[1.5], [1]])}, "has the label 1.5"),
    ({"X": np.zeros((32, 32, 3, 2), np.uint8), "y": np.array(["ab", "cd"])}, "y is a char"),
])
def test_malformed_contents_are_diagnostics_naming_the_file(tmp_path, arrays, message):
    spec = hostile(tmp_path / "s", **arrays)
    with pytest.raises(DataError, match="svhn data: .*train_32x32.mat") as err:
        open_data(spec, load_recipe("digits"))
    assert message in str(err.value)


def test_files_that_are_not_mat_files(tmp_path):
    folder = tmp_path / "s"
    folder.mkdir()
    (folder / "train_32x32.mat").write_bytes(b"\x89HDF\r\n" + b"\0" * 300)  # a MATLAB 7.3 (HDF5) file
    with pytest.raises(DataError, match="is not a MATLAB 5 .mat file"):
        open_data(f"svhn:{folder}", load_recipe("digits"))
    write_svhn(folder)
    raw = (folder / "train_32x32.mat").read_bytes()
    (folder / "train_32x32.mat").write_bytes(raw[:len(raw) // 2])  # cut short
    with pytest.raises(DataError, match="train_32x32.mat is cut short"):
        open_data(f"svhn:{folder}", load_recipe("digits"))
    (folder / "train_32x32.mat").write_bytes(raw[:128] + bytes(range(256)) * 4)  # garbage elements
    with pytest.raises(DataError, match="svhn data: .*train_32x32.mat"):
        open_data(f"svhn:{folder}", load_recipe("digits"))
    with pytest.raises(DataError, match="no train_32x32.mat in"):
        open_data(f"svhn:{tmp_path}", load_recipe("digits"))


def test_sizes_are_checked_before_anything_is_unpacked_or_allocated(tmp_path, monkeypatch):
    # 2,000 images compress to a few KB but unpack to 6 MB: refused while unpacking
    folder = tmp_path / "s"
    folder.mkdir()
    scipy_io.savemat(folder / "train_32x32.mat", {"X": np.zeros((32, 32, 3, 2000), np.uint8),
                                                  "y": np.ones((2000, 1))}, do_compression=True)
    assert (folder / "train_32x32.mat").stat().st_size < 100_000
    monkeypatch.setattr(svhn_module, "TRAIN_LIMITS", limits.TrainLimits(data_bytes=1_000_000))
    with pytest.raises(DataError, match="train_32x32.mat unpacks to more than 1,000,000 bytes"):
        open_data(f"svhn:{folder}", load_recipe("digits"))
    # headers that claim more images than the file holds: refused from the header (nothing
    # allocated for them), or by the reader when the claim is within the limit
    monkeypatch.setattr(svhn_module, "TRAIN_LIMITS", limits.TrainLimits())
    for claimed, message in ((2**31 - 1, "holds more than 1,073,741,824 bytes of images"),
                             (70_000, "is not a readable .mat file")):
        scipy_io.savemat(folder / "train_32x32.mat", {"X": np.zeros((32, 32, 3, 7), np.uint8),
                                                      "y": np.ones((7, 1))})
        raw = bytearray((folder / "train_32x32.mat").read_bytes())
        x_dims = raw.find(np.array([32, 32, 3, 7], "<i4").tobytes())
        y_dims = raw.find(np.array([7, 1], "<i4").tobytes(), x_dims + 16)
        raw[x_dims + 12:x_dims + 16] = raw[y_dims:y_dims + 4] = np.array([claimed], "<i4").tobytes()
        (folder / "train_32x32.mat").write_bytes(bytes(raw))
        with pytest.raises(DataError, match="svhn data: .*train_32x32.mat") as err:
            open_data(f"svhn:{folder}", load_recipe("digits"))
        assert message in str(err.value)


def test_svhn_without_scipy_is_e913(tmp_path, monkeypatch):
    import sys

    write_svhn(tmp_path / "s", n=2, test=0)
    monkeypatch.setitem(sys.modules, "scipy", None)
    result = cli("train", "resnet20", "--data", f"svhn:{tmp_path / 's'}", "-o", tmp_path / "r")
    assert result.returncode == 1 and "E913" in result.output and "scipy" in result.output
