"""What `resdsl.train(...)` returns: the summary dict as before, with the run's results as
attributes (the trained model, history, best validation, files, a plot)."""

import json

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.checkpoint import CheckpointError
from resdsl.train.metrics import read_rows

from .train_support import tiny_file


def test_train_returns_the_summary_dict_with_the_run_as_attributes(tmp_path):
    net = tiny_file(tmp_path)
    run = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "r", iterations=4, batch_size=16,
                       eval_every=2, threads=1)
    # the dict it always was: the keys, JSON, summary.json's contents
    assert isinstance(run, dict) and run["iterations"] == 4 and len(run["history"]) == 6
    written = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert json.loads(json.dumps({k: v for k, v in run.items() if k != "history"})) == written
    # best: the lowest val row of metrics.jsonl, read independently
    val = [r for r in read_rows(tmp_path / "r" / "metrics.jsonl") if r["split"] == "val"]
    lowest = min(r["error"] for r in val)
    assert run.best == {"val_error": lowest, "iteration": next(r["iteration"] for r in val if r["error"] == lowest)}
    assert run.files["weights.safetensors"] == tmp_path / "r" / "weights.safetensors" and run.run_dir == tmp_path / "r"
    rows = run.history
    assert len(rows) == 6 and list(rows["split"] if hasattr(rows, "columns") else [r["split"] for r in rows]).count("val") == 2
    # the model: the network built by hand with the run's weights gives the same scores
    x = torch.randn(3, 1, 8, 8)
    by_hand = resdsl.load(f"{net}:tiny")
    by_hand.load_state_dict(load_file(str(tmp_path / "r" / "weights.safetensors")))
    with torch.no_grad():
        assert torch.equal(run.model(x), by_hand.eval()(x))
    assert run.model is run.model and not run.model.training
    picture = run.plot(tmp_path / "fig.png", log_scale=True)
    assert picture.read_bytes()[:4] == b"\x89PNG"


def test_a_run_that_did_not_finish_has_no_model(tmp_path):
    net = tiny_file(tmp_path)
    run = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "r", iterations=4, batch_size=16,
                       eval_every=2, checkpoint_every=2, stop_after=2, threads=1)
    assert run["finished"] is False
    with pytest.raises(CheckpointError, match="no final weights"):
        run.model  # noqa: B018 (the attribute access is what raises)
