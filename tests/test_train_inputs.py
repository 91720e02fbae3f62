"""Hostile recipes, CIFAR batches, eval flags and launch flags end in diagnostics (exit 1) or usage
errors (exit 2), through the command line and the Python API, before anything is allocated."""

from __future__ import annotations

import pickle
import time

import numpy as np
import pytest
import torch

import resdsl
from resdsl.core.errors import ResdslError
from resdsl.train.data import DataError, read_batch
from resdsl.train.recipe import RecipeError, load_recipe

from .cli import cli
from .train_support import cifar_batches, cifar_tarball, tiny_file


@pytest.mark.parametrize("flags, code", [
    (["--set", "batch.size=1e3"], "E930"),
    (["--seed", "99999999999999999999"], "E930"),
    (["--set", "augment.mean=[0.5]"], "E930"),
    (["--set", "augment.pad=100000"], "E609"),
    (["--device", "meta"], "E931"),
    (["--device", "tpu"], "E931"),
    (["--threads", "-1"], None),
    (["--nproc-per-node", "0"], None),
])
def test_recipe_values_and_flags_that_pass_the_schema_do_not_crash(tmp_path, flags, code):
    result = cli("train", "resnet20", "-o", tmp_path / "run", "--iterations", "1", *flags)
    assert result.returncode == (1 if code else 2), result.output
    if code:
        assert f"error[{code}]" in result.stderr
    assert not (tmp_path / "run").exists()


def test_the_python_api_raises_resdsl_errors(tmp_path):
    for kwargs in (dict(batch_size=1000.0), dict(seed=2 ** 70), dict(device="meta"), dict(augment__pad=100000)):
        with pytest.raises(ResdslError):
            resdsl.train("resnet20", "digits", out=tmp_path / "x", iterations=1, **kwargs)


def test_the_recipe_locator_is_linear(tmp_path):
    long_string = "recipe = 1\ndescription = '''\n" + "a = [b " * 1000 + "\n'''\n[optimizer]\nlr = -1\n"
    path = tmp_path / "r.toml"
    path.write_text(long_string + "[batch]\nsize = 2\n[stop]\niterations = 1\n")
    start = time.perf_counter()
    with pytest.raises(RecipeError) as caught:
        load_recipe(path)
    assert time.perf_counter() - start < 2
    assert caught.value.span.line == 6  # lr = -1, not a line inside the string


def _batch(**fields) -> bytes:
    batch = {b"data": np.zeros((2, 3072), np.uint8), b"labels": [0, 1]}
    batch.update({k.encode(): v for k, v in fields.items()})
    return pickle.dumps(batch, protocol=2)


@pytest.mark.parametrize("raw, match", [
    (_batch(data=np.full((2, 3072), 300, np.int32)), "outside 0..255"),
    (_batch(data="pixels"), "3072"),
    (_batch(labels="ab"), "labels"),
    (_batch(labels=[0, 2 ** 64]), "labels"),
])
def test_cifar_batches_with_wrong_values_are_refused(tmp_path, raw, match):
    folder = cifar_batches(tmp_path, per_batch=4)
    (folder / "data_batch_1").write_bytes(raw)
    with pytest.raises(DataError, match=match):
        resdsl.train(f"{tiny_file(tmp_path)}:tiny_rgb", f"cifar10:{folder}", out=tmp_path / "run", iterations=1,
                     batch_size=2, validation=2)


def test_a_tiny_pickle_cannot_ask_for_gigabytes():
    # numpy's _reconstruct(ndarray, shape, dtype) allocates shape x dtype: 3e9 bytes from 79 bytes
    class Huge:
        def __reduce__(self):
            from numpy.core.multiarray import _reconstruct

            return _reconstruct, (np.ndarray, (3_000_000_000,), b"b")
    raw = pickle.dumps({b"data": Huge()}, protocol=2)
    assert len(raw) < 200
    with pytest.raises(DataError, match="RESDSL_MAX_DATA_BYTES"):
        read_batch(raw, "evil")


def test_a_truncated_or_oversized_archive_is_a_diagnostic(tmp_path, monkeypatch):
    tar = cifar_tarball(tmp_path, per_batch=4)
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(tar.read_bytes()[: tar.stat().st_size // 2])
    result = cli("train", f"{tiny_file(tmp_path)}:tiny_rgb", "--data", f"cifar10:{cut}", "-o", tmp_path / "r")
    assert result.returncode == 1 and "error[E931]" in result.stderr
    from resdsl.train import data, limits, pickled

    monkeypatch.setattr(pickled, "TRAIN_LIMITS", limits.TrainLimits(data_bytes=20_000))
    with pytest.raises(DataError, match="RESDSL_MAX_DATA_BYTES"):
        data.open_data(f"cifar10:{tar}", load_recipe("cifar10"))


def test_eval_views_and_batches_within_limits(tmp_path):
    net = tiny_file(tmp_path)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "run", iterations=2, batch_size=32, threads=1)
    weights = tmp_path / "run" / "weights.safetensors"
    for flags, code in ((["--scales", "4096"], "E609"), (["--ten-crop", "--resize", "1000000"], "E609"),
                        (["--ten-crop", "--resize", "1"], "E937")):
        result = cli("eval", f"{net}:tiny", "-w", weights, *flags)
        assert result.returncode == 1 and f"error[{code}]" in result.stderr, result.output
    for batch in ("0", "-1", "99999999999999999999"):
        assert cli("eval", f"{net}:tiny", "-w", weights, "--batch-size", batch).returncode == 2


def test_eval_of_many_classes_allocates_no_square_matrix(tmp_path):
    from resdsl.train.data import Dataset, Split
    from resdsl.train.evaluate import _report

    empty = Split(torch.zeros(0, dtype=torch.int64))
    data = Dataset("x", "folder", (3, 8, 8), [str(i) for i in range(30_000)], empty, None, None, 255.0)
    pairs = {5 * 30_000 + 5: 3, 7 * 30_000 + 9: 2}
    report = _report("n", tmp_path, data, "val", pairs, 1, 10)
    assert report["images"] == 5 and report["confusion_matrix"] is None
    assert report["confusions"] == [{"true": "7", "predicted": "9", "count": 2}]
    assert report["top1_error"] == pytest.approx(2 / 5)


def test_work_is_checked_before_processes_are_launched(tmp_path):
    start = time.perf_counter()
    result = cli("train", "resnet20", "--data", "folder:/nonexistent", "--nproc-per-node", "8")
    assert result.returncode == 1 and result.stderr.count("error[E931]") == 1
    assert "training processes failed" not in result.stderr and time.perf_counter() - start < 20
    odd = cli("train", "resnet20", "--batch-size", "63", "--nproc-per-node", "2", "-o", tmp_path / "r")
    assert odd.returncode == 1 and "multiple of 2 processes" in odd.stderr


def test_validation_flag_threads_and_resumed_time(tmp_path):
    net = tiny_file(tmp_path)
    before = torch.get_num_threads()
    summary = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "run", iterations=4, batch_size=32,
                           checkpoint_every=2, threads=1)
    assert torch.get_num_threads() == before
    result = cli("train", f"{net}:tiny", "-o", tmp_path / "v", "--validation", "100", "--iterations", "1",
                 "--batch-size", "32", "--json")
    assert result.returncode == 0 and '"val": 100' in result.stdout
    again = cli("train", f"{net}:tiny", "-o", tmp_path / "run", "--resume", "--iterations", "4")
    assert again.returncode == 0 and "0 images/s" not in again.stdout and "no training step" in again.stdout
    resumed = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "run", resume=True, iterations=4, threads=1)
    assert resumed["wall_s"] >= summary["wall_s"] * 0.5  # the first part's time is counted


def test_evaluate_stays_the_function_and_long_tokens_are_clipped():
    import resdsl.train.evaluate  # noqa: F401  (the submodule, imported)

    assert callable(resdsl.train.evaluate) and resdsl.train.evaluate.__module__ == "resdsl.train"
    result = cli("train", "resnet20", "--recipe", "x" * 900_000)
    assert result.returncode == 1 and "error[E930]" in result.stderr and len(result.output) < 1000
    result = cli("train", "resnet20", "--set", "optimizer.lr=\"" + "y" * 900_000 + "\"")
    assert result.returncode == 1 and len(result.output) < 2000


def test_analyze_refuses_a_plot_name_before_measuring(tmp_path):
    result = cli("analyze", "responses", "resnet20", "--weights", tmp_path / "w.safetensors", "-o", tmp_path / "p.xyz")
    assert result.returncode == 2 and "p.xyz" in result.stderr


def test_what_the_fuzzer_found(tmp_path):
    result = cli("train", "resnet20", "-o", tmp_path / "r", "--threads", "99999999999999999999")
    assert result.returncode == 2
    from resdsl.train.data import _batch_arrays

    with pytest.raises(DataError, match="labels"):
        _batch_arrays({"data": np.zeros((1, 3072), np.uint8), "labels": ["a"]}, "batch")


def test_fp16_on_a_cpu_warns_and_bf16_does_not(tmp_path):
    net = tiny_file(tmp_path)
    for amp, warned in (("fp16", True), ("bf16", False)):
        result = cli("train", f"{net}:tiny", "-o", tmp_path / amp, "--amp", amp, "--iterations", "1",
                     "--batch-size", "32", "--device", "cpu")
        assert result.returncode == 0, result.output
        assert ("--amp fp16 on a CPU is emulated" in result.stderr) is warned
