"""Checkpoints worth keeping: best.safetensors (the weights of the lowest validation error),
checkpoint.keep (the last N checkpoint files) and stop.patience (early stopping), each checked
against the run's own metric rows and checkpoint files, and resumed bit for bit."""

import json

from safetensors.torch import load_file

import resdsl
from resdsl.train.options import recipe_overrides
from resdsl.train.recipe import load_recipe

from .train_support import same_weights, tiny_file


def test_best_weights_are_those_of_the_lowest_validation_and_keep_holds_the_last_files(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    run = tmp_path / "run"
    summary = resdsl.train(f"{net}:tiny", "digits", out=run, iterations=12, batch_size=16, eval_every=2,
                           checkpoint_every=1, checkpoint__keep=20)
    val = [r for r in summary["history"] if r["split"] == "val"]
    lowest = min(r["error"] for r in val)
    first_lowest = next(r["iteration"] for r in val if r["error"] == lowest)
    assert summary["best_iteration"] == first_lowest and summary["best_val_error"] == lowest
    kept = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert kept == [f"ckpt-{i:08d}.safetensors" for i in range(1, 13)]
    at_best = load_file(run / "checkpoints" / f"ckpt-{first_lowest:08d}.safetensors")
    best = load_file(run / "best.safetensors")
    assert same_weights(best, {k[len("model."):]: v for k, v in at_best.items() if k.startswith("model.")})

    again = tmp_path / "three"
    resdsl.train(f"{net}:tiny", "digits", out=again, iterations=12, batch_size=16, eval_every=2,
                 checkpoint_every=2, checkpoint__keep=3)
    assert sorted(p.name for p in (again / "checkpoints").iterdir()) == \
        [f"ckpt-{i:08d}.safetensors" for i in (8, 10, 12)]


def patience_reached(val_errors: list[float], patience: int) -> int:
    """The index of the validation after which `patience` in a row had no lower error (by hand)."""
    best, bad = None, 0
    for i, error in enumerate(val_errors):
        if best is None or error < best:
            best, bad = error, 0
        else:
            bad += 1
            if bad == patience:
                return i
    return -1


def test_patience_stops_the_run_and_a_resumed_run_stops_at_the_same_iteration(tmp_path, one_thread):
    net = tiny_file(tmp_path)
    # a learning rate too small to change the validation error: patience must end the run
    opts = dict(iterations=60, batch_size=16, eval_every=2, checkpoint_every=4, lr=1e-7, stop__patience=2)
    whole = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "whole", **opts)
    val = [r for r in whole["history"] if r["split"] == "val"]
    index = patience_reached([r["error"] for r in val], 2)
    assert index >= 0 and whole["iterations"] == val[index]["iteration"] < 60
    assert whole["stopped_early"] and whole["finished"] and (tmp_path / "whole" / "weights.safetensors").is_file()
    assert json.loads((tmp_path / "whole" / "summary.json").read_text())["stopped_early"] is True

    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", stop_after=4, **opts)
    resumed = resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "cut", resume=True, **opts)
    assert resumed["iterations"] == whole["iterations"]
    for name in ("weights.safetensors", "best.safetensors"):
        assert same_weights(load_file(tmp_path / "whole" / name), load_file(tmp_path / "cut" / name)), name


def test_epochs_on_the_command_line_keep_the_recipes_patience():
    recipe = load_recipe("digits", {"stop.patience": 3, **recipe_overrides({"epochs": 2})})
    assert recipe["stop"] == {"patience": 3, "epochs": 2}
