"""Preprocessing travels with the model: a run writes preprocess.json (the recipe's mean/std, or
the data's measured ones), every export of its weights carries the same numbers, `resdsl eval`
normalises with them, and `resdsl.load(..., weights=RUN)` returns a model that knows them."""

import importlib.util
import json
import shutil

import pytest
import torch
from safetensors import safe_open
from safetensors.torch import load_file

import resdsl
from resdsl.core.preprocess import PreprocessError, read
from resdsl.train.evaluate import evaluate

from .cli import cli
from .train_support import tiny_file

MEAN, STD = 0.3, 0.4        # the recipe's normalisation, unlike digits' own (about 0.31 and 0.38)
QUICK = dict(iterations=30, batch_size=32, eval_every=10, checkpoint_every=10, threads=1)


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """tiny_rgb (a 3x32x32 network) trained on digits: the digits recipe builds it for 1x8x8."""
    folder = tmp_path_factory.mktemp("pre")
    net = tiny_file(folder)
    resdsl.train(f"{net}:tiny_rgb", "digits", out=folder / "run", augment__mean=[MEAN], augment__std=[STD],
                 **QUICK)
    return net, folder / "run"


def test_a_run_writes_the_recipes_normalisation(run):
    _, out = run
    record = json.loads((out / "preprocess.json").read_text())
    assert record == {"preprocess": 1, "mean": [MEAN], "std": [STD], "input_size": [1, 8, 8], "resize": None,
                      "crop": None, "interpolation": "bilinear", "channels": "L", "pixel_max": 16.0}
    assert "preprocess.json" in json.loads((out / "summary.json").read_text())["files"]
    with safe_open(str(out / "weights.safetensors"), "pt") as f:  # the final weights hold it too
        assert json.loads(f.metadata()["preprocess"]) == record


def test_without_the_recipes_numbers_the_measured_ones_are_written(tmp_path):
    from sklearn.datasets import load_digits

    net = tiny_file(tmp_path)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "r", iterations=1, batch_size=16, threads=1)
    record = read(tmp_path / "r" / "preprocess.json")
    pixels = load_digits().images / 16  # all 1,797 images; the run measures its 1,500 training ones
    assert abs(record.mean[0] - pixels.mean()) < 0.01 and abs(record.std[0] - pixels.std()) < 0.01


def _image(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_compile_carries_the_record_into_the_py_export_and_beside_the_weights(run, tmp_path):
    net, out = run
    result = cli("compile", f"{net}:tiny_rgb", "-o", str(tmp_path / "model.py"), "--load-weights", str(out),
                 "--save-weights", str(tmp_path / "w" / "model.safetensors"))
    assert result.returncode == 0, result.output
    assert json.loads((tmp_path / "w" / "preprocess.json").read_text())["mean"] == [MEAN]
    with safe_open(str(tmp_path / "w" / "model.safetensors"), "pt") as f:
        assert json.loads(f.metadata()["preprocess"])["std"] == [STD]
    # a second export into that folder replaces its preprocess.json only with --force
    again = ("compile", f"{net}:tiny_rgb", "--load-weights", str(out), "--save-weights",
             str(tmp_path / "w" / "second.safetensors"))
    refused = cli(*again)
    assert refused.returncode == 1 and "E921" in refused.output and "preprocess.json" in refused.output
    assert not (tmp_path / "w" / "second.safetensors").exists()
    assert cli(*again, "--force").returncode == 0
    source = _image(tmp_path / "model.py", "compiled_tiny")
    assert source.MEAN == (MEAN,) and source.STD == (STD,) and source.PIXEL_MAX == 16.0
    assert source.INPUT_SIZE == (1, 8, 8) and source.CROP is None
    raw = torch.randint(0, 17, (5, 1, 8, 8))
    torch.testing.assert_close(source.preprocess(raw), (raw / 16 - MEAN) / STD)
    # the standalone model on preprocess(raw) scores as resdsl.load's model on its transforms()
    standalone = source.TinyRgb()
    standalone.load_state_dict(load_file(str(tmp_path / "w" / "model.safetensors")))
    loaded = resdsl.load(f"{net}:tiny_rgb", weights=out).eval()
    with torch.no_grad():
        torch.testing.assert_close(standalone.eval()(source.preprocess(raw)), loaded(loaded.transforms()(raw)))


def test_a_py_export_alone_takes_the_runs_constants_and_says_where_the_weights_are(run, tmp_path):
    net, out = run
    result = cli("compile", f"{net}:tiny_rgb", "-o", str(tmp_path / "alone.py"), "--load-weights", str(out))
    assert result.returncode == 0, result.output
    assert "holds no weights" in result.stderr and str(out / "weights.safetensors") in result.stderr
    source = _image(tmp_path / "alone.py", "compiled_alone")
    assert source.MEAN == (MEAN,) and source.PIXEL_MAX == 16.0
    source.TinyRgb().load_state_dict(load_file(str(out / "weights.safetensors")))  # the run's, as they are
    refused = cli("compile", f"{net}:tiny_rgb", "--load-weights", str(out))  # nothing to write into
    assert refused.returncode == 2 and "add --save-weights" in refused.output


def test_onnx_and_pt2_exports_carry_the_record_as_metadata(run, tmp_path):
    import onnx

    net, out = run
    result = cli("compile", f"{net}:tiny_rgb", "-o", str(tmp_path / "m.onnx"), "--load-weights",
                 str(out / "weights.safetensors"))
    assert result.returncode == 0, result.output
    props = {p.key: p.value for p in onnx.load(str(tmp_path / "m.onnx")).metadata_props}
    assert json.loads(props["mean"]) == [MEAN] and json.loads(props["std"]) == [STD]
    assert json.loads(props["preprocess"])["input_size"] == [1, 8, 8]
    model = resdsl.load(f"{net}:tiny_rgb", weights=out)
    resdsl.export(model, tmp_path / "m.pt2")
    extra = {"preprocess.json": ""}
    torch.export.load(tmp_path / "m.pt2", extra_files=extra)
    assert json.loads(extra["preprocess.json"])["mean"] == [MEAN]
    (tmp_path / "api").mkdir()
    resdsl.export(model, tmp_path / "api" / "m.safetensors")
    assert json.loads((tmp_path / "api" / "preprocess.json").read_text())["std"] == [STD]


def _error_by_hand(model, mean: float, std: float) -> float:
    """Top-1 error on the run's validation split, normalised here with these numbers."""
    from resdsl.train.data import open_data
    from resdsl.train.recipe import load_recipe

    val = open_data("digits", load_recipe("digits")).split("val")  # the split the run held out
    with torch.no_grad():
        scores = model.eval()((val.images / 16 - mean) / std)
    return (scores.argmax(1) != val.labels).sum().item() / len(val.labels)


def test_eval_normalises_with_the_runs_record(run, tmp_path):
    net, out = run
    model = resdsl.load(f"{net}:tiny_rgb", weights=out)
    report = evaluate(f"{net}:tiny_rgb", out / "weights.safetensors")
    assert report["preprocess"]["mean"] == [MEAN]
    assert report["top1_error"] == pytest.approx(_error_by_hand(model, MEAN, STD), abs=1e-9)
    # the same weights beside another record: eval follows the record, and the error changes
    other = tmp_path / "other"
    other.mkdir()
    for name in ("weights.safetensors", "recipe.toml"):
        shutil.copy(out / name, other / name)
    record = json.loads((out / "preprocess.json").read_text())
    (other / "preprocess.json").write_text(json.dumps({**record, "mean": [0.0], "std": [1.0]}))
    moved = evaluate(f"{net}:tiny_rgb", other / "weights.safetensors")
    assert moved["top1_error"] == pytest.approx(_error_by_hand(model, 0.0, 1.0), abs=1e-9)
    assert moved["top1_error"] != report["top1_error"]
    shown = cli("eval", f"{net}:tiny_rgb", "-w", str(out), "--format", "json")  # the run folder itself
    assert shown.returncode == 0 and json.loads(shown.stdout)["top1_error"] == report["top1_error"]
    # the paper's testing views (--scales, --ten-crop) take the record the same way
    from resdsl.experiments.testing import evaluate_views

    for folder, mean, std in ((out, MEAN, STD), (other, 0.0, 1.0)):
        views = evaluate_views(f"{net}:tiny_rgb", folder / "weights.safetensors", "digits", scales=[8])
        assert views["top1_error"] == pytest.approx(_error_by_hand(model, mean, std), abs=1e-9)


def test_load_with_a_runs_weights_returns_a_model_that_knows_its_preprocessing(run):
    net, out = run
    model = resdsl.load(f"{net}:tiny_rgb", weights=out)
    weights = load_file(str(out / "weights.safetensors"))
    assert all(torch.equal(model.state_dict()[k], v) for k, v in weights.items())
    assert model.preprocess.mean == (MEAN,) and model.pretrained_cfg["std"] == (STD,)
    assert model.pretrained_cfg["input_size"] == (1, 8, 8)  # built for the input it was trained on
    raw = torch.arange(64.0).view(1, 1, 8, 8) % 17
    torch.testing.assert_close(model.transforms()(raw), (raw / 16 - MEAN) / STD)
    plain = resdsl.load(f"{net}:tiny")
    assert plain.preprocess is None and plain.pretrained_cfg == {}


def test_a_resumed_run_keeps_the_record_it_began_with(tmp_path):
    net = tiny_file(tmp_path)
    out = tmp_path / "r"
    resdsl.train(f"{net}:tiny", "digits", out=out, stop_after=2, **{**QUICK, "checkpoint_every": 2})
    record = json.loads((out / "preprocess.json").read_text())
    (out / "preprocess.json").write_text(json.dumps({**record, "mean": [0.25]}))
    trained = resdsl.train(f"{net}:tiny", "digits", out=out, resume=True, **{**QUICK, "iterations": 4})
    assert json.loads((out / "preprocess.json").read_text())["mean"] == [0.25]
    assert trained.model.preprocess.mean == (0.25,)  # resdsl.train's model carries it too


GOOD = {"preprocess": 1, "mean": [0.5], "std": [0.25], "input_size": [1, 8, 8]}
HOSTILE = {
    "wrong type": {**GOOD, "mean": "0.5"},
    "a string in the list": {**GOOD, "std": ["1"]},
    "NaN": '{"preprocess": 1, "mean": [NaN], "std": [1], "input_size": [1, 8, 8]}',
    "infinity by overflow": '{"preprocess": 1, "mean": [1e999], "std": [1], "input_size": [1, 8, 8]}',
    "a huge list": {**GOOD, "mean": [0.1] * 5000, "std": [1.0] * 5000, "input_size": [5000, 8, 8]},
    "zero std": {**GOOD, "std": [0]},
    "channels differ": {**GOOD, "mean": [0.1, 0.2]},
    "a boolean side": {**GOOD, "crop": True},
    "a negative size": {**GOOD, "input_size": [1, -8, 8]},
    "an unknown key": {**GOOD, "meen": [0.5]},
    "another version": {**GOOD, "preprocess": 2},
    "a version that is not a number": {**GOOD, "preprocess": True},
    "not an object": "[1, 2]",
    "not JSON": "{mean: 0.5",
    "deeply nested": "[" * 50000 + "]" * 50000,
    "a giant number": '{"preprocess": 1, "mean": [' + "9" * 20000 + '], "std": [1], "input_size": [1, 8, 8]}',
    "not UTF-8": b"\xff\xfe{}",
}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_record_is_a_diagnostic(tmp_path, case):
    value = HOSTILE[case]
    path = tmp_path / "preprocess.json"
    if isinstance(value, bytes):
        path.write_bytes(value)
    else:
        path.write_text(value if isinstance(value, str) else json.dumps(value))
    with pytest.raises(PreprocessError) as err:
        read(path)
    assert err.value.code == "E1100" and len(err.value.message) < 400


def test_a_fifo_or_an_oversized_record_is_refused_without_waiting(tmp_path):
    import os

    fifo = tmp_path / "fifo" / "preprocess.json"
    fifo.parent.mkdir()
    os.mkfifo(fifo)
    with pytest.raises(PreprocessError, match="pipe"):
        read(fifo)
    big = tmp_path / "preprocess.json"
    big.write_text(" " * 70_000 + json.dumps(GOOD))
    with pytest.raises(PreprocessError, match="larger than the limit"):
        read(big)


def test_commands_say_what_is_wrong_with_a_runs_record(run, tmp_path):
    net, out = run
    bad = tmp_path / "bad"
    bad.mkdir()
    shutil.copy(out / "weights.safetensors", bad / "weights.safetensors")
    (bad / "preprocess.json").write_text('{"preprocess": 1, "mean": [NaN]}')
    for args in (("eval", f"{net}:tiny_rgb", "-w", str(bad / "weights.safetensors")),
                 ("compile", f"{net}:tiny_rgb", "-o", str(tmp_path / "m.onnx"), "--load-weights", str(bad))):
        result = cli(*args)
        assert result.returncode == 1 and "E1100" in result.output and "Traceback" not in result.output
        assert not (tmp_path / "m.onnx").exists()
    (bad / "preprocess.json").write_text(json.dumps({**GOOD, "mean": [0.1] * 3, "std": [1] * 3,
                                                     "input_size": [3, 8, 8]}))
    result = cli("compile", f"{net}:tiny_rgb", "--input", "1x8x8", "-o", str(tmp_path / "m.onnx"),
                 "--load-weights", str(bad))
    assert result.returncode == 1 and "E1101" in result.output and "normalises 3 channels" in result.output


def test_transforms_prepare_an_image_file_as_evaluation_does(tmp_path):
    """A PIL image through model.transforms() equals the evaluation's view of the same file
    (resize the shorter side, centre crop, /255) normalised with the record."""
    import pickle

    import numpy as np
    from PIL import Image

    from resdsl.core.preprocess import parse
    from resdsl.torch.carried import attach
    from resdsl.train.images import load_eval_image
    from resdsl.train.recipe import load_recipe

    pixels = np.random.default_rng(0).integers(0, 256, (17, 13, 3), dtype=np.uint8)
    Image.fromarray(pixels).save(tmp_path / "a.png")
    record = parse({"preprocess": 1, "mean": [0.4, 0.5, 0.6], "std": [0.2, 0.3, 0.25], "input_size": [3, 8, 8],
                    "resize": 10, "crop": 8, "channels": "RGB", "pixel_max": 255})
    model = torch.nn.Identity()
    attach(model, record)
    with Image.open(tmp_path / "a.png") as img:
        got = model.transforms()(img)
    view = load_eval_image(tmp_path / "a.png", load_recipe("imagenet", {"augment.crop": 8, "augment.eval_resize": 10}))
    mean, std = torch.tensor(record.mean).view(3, 1, 1), torch.tensor(record.std).view(3, 1, 1)
    torch.testing.assert_close(got, (view - mean) / std)
    assert pickle.loads(pickle.dumps(model)).transforms()(view * 255).shape == (3, 8, 8)  # it pickles with the model


def test_a_run_on_image_files_records_the_evaluation_views_resize_and_crop(tmp_path):
    from .train_support import image_folder

    net = tmp_path / "small.rdsl"
    net.write_text('use "blocks.rdsl"\nnetwork small(classes = 3) {\n  input 3x16x16\n'
                   '  conv1: conv 3x3, 4, stride: 2;  bn1: bn;  relu\n  avgpool;  fc: fc classes\n}\n')
    root = image_folder(tmp_path / "data", per_class=4)
    resdsl.train(f"{net}:small", f"folder:{root}", out=tmp_path / "run", iterations=1, batch_size=2,
                 validation=2, augment__crop=16, augment__scale=[16, 20], augment__eval_resize=18, workers=0, threads=1)
    record = read(tmp_path / "run" / "preprocess.json")
    assert (record.resize, record.crop, record.input_size) == (18, 16, (3, 16, 16))
    assert record.channels == "RGB" and record.pixel_max == 255.0 and len(record.mean) == 3
    assert all(0 < m < 1 for m in record.mean) and all(s > 0 for s in record.std)  # measured on the images
    model = resdsl.load(f"{net}:small", weights=tmp_path / "run")
    assert model.pretrained_cfg["crop_pct"] == pytest.approx(16 / 18)


def test_exported_weights_copied_alone_keep_their_record_in_the_file(run, tmp_path):
    net, out = run
    model = resdsl.load(f"{net}:tiny_rgb", weights=out)
    (tmp_path / "a").mkdir()
    resdsl.export(model, tmp_path / "a" / "w.safetensors")
    (tmp_path / "b").mkdir()
    shutil.copy(tmp_path / "a" / "w.safetensors", tmp_path / "b" / "w.safetensors")  # without preprocess.json
    again = resdsl.load(f"{net}:tiny_rgb", weights=tmp_path / "b" / "w.safetensors")
    assert again.preprocess == model.preprocess and again.preprocess.mean == (MEAN,)
    # a safetensors file whose metadata record is hostile is a diagnostic too
    from safetensors.torch import save_file

    save_file({"x": torch.zeros(1)}, str(tmp_path / "b" / "bad.safetensors"), metadata={"preprocess": "[NaN]"})
    with pytest.raises(PreprocessError):
        resdsl.load(f"{net}:tiny_rgb", weights=tmp_path / "b" / "bad.safetensors")
