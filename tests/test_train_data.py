"""Data specs on small files made here in the real formats; augmentation and batch order."""

import os
import pickle

import pytest
import torch

from resdsl.train.data import DataError, open_data
from resdsl.train.network import FitError, graph_for_data
from resdsl.train.pipeline import Sharding, TrainBatches, crop_and_flip, eval_batches
from resdsl.train.recipe import load_recipe

from .train_support import cifar_batches, cifar_tarball, image_folder, tiny_file


def small_cifar_recipe(**extra):
    return load_recipe("cifar10", {"data.validation": 20, "batch.size": 8, **extra})


def test_cifar10_folder_reads_the_python_batches(tmp_path):
    folder = cifar_batches(tmp_path, per_batch=20)
    data = open_data(f"cifar10:{folder}", small_cifar_recipe())
    assert data.shape == (3, 32, 32) and data.classes[0] == "airplane" and data.classes[9] == "truck"
    assert len(data.train) + len(data.val) == 100 and len(data.val) == 20 and len(data.test) == 20
    # the format: each row is the red plane, then green, then blue, each row-major 32x32
    raw = pickle.loads((folder / "test_batch").read_bytes())
    row = raw[b"data"][3]
    image = data.test.images[3]
    for c, y, x in ((0, 0, 0), (1, 5, 7), (2, 31, 30)):
        assert int(image[c, y, x]) == int(row[c * 1024 + y * 32 + x])
    assert data.test.labels.tolist() == raw[b"labels"]
    # the parent folder and the .tar.gz work too, with the same images
    again = open_data(f"cifar10:{tmp_path}", small_cifar_recipe())
    assert torch.equal(again.train.images, data.train.images)


def test_cifar10_tarball(tmp_path):
    tar = cifar_tarball(tmp_path, per_batch=12)
    data = open_data(f"cifar10:{tar}", small_cifar_recipe())
    assert len(data.train) + len(data.val) == 60 and len(data.test) == 12


def test_validation_split_is_disjoint_and_fixed_by_its_seed(tmp_path):
    folder = cifar_batches(tmp_path, per_batch=20)
    a = open_data(f"cifar10:{folder}", small_cifar_recipe())
    b = open_data(f"cifar10:{folder}", small_cifar_recipe(**{"seed": 5}))
    c = open_data(f"cifar10:{folder}", small_cifar_recipe(**{"data.split_seed": 1}))
    assert torch.equal(a.val.images, b.val.images)  # the training seed does not move the split
    assert not torch.equal(a.val.images, c.val.images)
    rows = {bytes(x.numpy()) for x in a.train.images} | {bytes(x.numpy()) for x in a.val.images}
    assert len(rows) == 100


def test_a_pickle_that_runs_code_is_refused(tmp_path):
    folder = cifar_batches(tmp_path, per_batch=4)
    marker = tmp_path / "pwned"

    class Evil:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    (folder / "data_batch_1").write_bytes(pickle.dumps({b"data": Evil(), b"labels": []}))
    with pytest.raises(DataError, match="refusing to build"):
        open_data(f"cifar10:{folder}", small_cifar_recipe())
    assert not marker.exists()


def test_missing_and_unknown_data_are_errors(tmp_path):
    with pytest.raises(DataError, match="does not exist"):
        open_data(f"cifar10:{tmp_path / 'nope'}", small_cifar_recipe())
    with pytest.raises(DataError) as err:
        open_data("digit", small_cifar_recipe())
    assert "digits" in err.value.hint
    with pytest.raises(DataError, match="no images"):
        open_data(f"folder:{tmp_path}", load_recipe("imagenet"))


def test_image_folders_with_pillow(tmp_path):
    root = image_folder(tmp_path / "imgs", per_class=4)
    recipe = load_recipe("imagenet", {"augment.crop": 16, "augment.scale": [18, 24],
                                      "augment.eval_resize": 18, "data.validation": 3,
                                      "data.workers": 0, "batch.size": 3})
    data = open_data(f"folder:{root}", recipe)
    assert data.classes == ["cat", "dog", "fish"] and data.shape == (3, 16, 16)
    assert len(data.train) == 9 and len(data.val) == 3
    batches = TrainBatches(data, recipe, Sharding(), torch.device("cpu"))
    x, y = next(batches.epoch(0))
    assert x.shape == (3, 3, 16, 16) and y.dtype == torch.int64
    again, _ = next(batches.epoch(0))
    assert torch.equal(x, again)  # the crops are the seed's, not a generator's running state
    xs = list(eval_batches(data, data.val, recipe, Sharding(), torch.device("cpu"), 2))
    assert sum(len(b[1]) for b in xs) == 3
    split = open_data(f"folder:{image_folder(tmp_path / 'split', split_folders=True)}", recipe)
    assert len(split.train) == 12 and len(split.val) == 12


def test_crop_and_flip_equals_a_hand_written_loop():
    torch.manual_seed(0)
    x = torch.rand(5, 2, 6, 7)
    rand = torch.rand(5, 8)
    out = crop_and_flip(x, 2, rand, True)
    for i in range(5):
        padded = torch.zeros(2, 10, 11)
        padded[:, 2:8, 2:9] = x[i]
        dy, dx = min(int(rand[i, 0] * 5), 4), min(int(rand[i, 1] * 5), 4)
        crop = padded[:, dy:dy + 6, dx:dx + 7]
        if rand[i, 2] < 0.5:
            crop = crop.flip(2)
        assert torch.equal(out[i], crop)


def test_processes_share_out_the_same_global_batches():
    recipe = load_recipe("digits", {"batch.size": 8})
    data = open_data("digits", recipe)
    whole = list(TrainBatches(data, recipe, Sharding(0, 1), torch.device("cpu")).epoch(1, 3))[0]
    halves = [list(TrainBatches(data, recipe, Sharding(r, 2), torch.device("cpu")).epoch(1, 3))[0]
              for r in range(2)]
    assert torch.equal(whole[0][0::2], halves[0][0]) and torch.equal(whole[0][1::2], halves[1][0])
    assert torch.equal(whole[1][1::2], halves[1][1])


def test_data_that_does_not_fit_the_network_is_an_error_before_training(tmp_path):
    net = tiny_file(tmp_path)
    digits_recipe = load_recipe("digits")
    digits = open_data("digits", digits_recipe)
    with pytest.raises(FitError) as err:  # a network built for 3x32x32 images, digits are 1x8x8
        graph_for_data(f"{net}:tiny_rgb", None, digits, load_recipe("cifar10"))
    rendered = err.value.render()
    assert "takes 3x32x32 images but digits gives 1x8x8" in rendered
    assert rendered.startswith(f"{net}:") and "--input 1x8x8" in rendered
    # the digits recipe builds the network for the data instead
    graph = graph_for_data(f"{net}:tiny_rgb", None, digits, digits_recipe)
    assert graph.graph["input"] == (1, 8, 8)
    with pytest.raises(FitError, match="scores 5 classes but digits has 10"):
        graph_for_data(f"{net}:tiny", None, digits, digits_recipe, params={"classes": 5})
