"""`resdsl runs compare` and `resdsl runs plot` on run folders written by hand in the format
docs/train.md describes, and on two real tiny runs on digits."""

import csv
import io
import json

import pytest

from .cli import cli
from .train_support import tiny_file


def write_run(folder, train_errors, val_errors, *, lr=0.1, speed=None, summary=True, extra=""):
    """A run folder: train rows at iterations 1..n, a val row every 2 iterations."""
    folder.mkdir(parents=True)
    rows = []
    for i, e in enumerate(train_errors, 1):
        rows.append({"iteration": i, "epoch": i / 10, "split": "train", "loss": 2 * e, "error": e,
                     "lr": lr, "images_per_s": 100.0 * i, "time_s": 0.1, "run": "ab12cd34"})
        if i % 2 == 0:
            rows.append({"iteration": i, "epoch": i / 10, "split": "val", "loss": 1.0,
                         "error": val_errors[i // 2 - 1], "top5_error": 0.1, "run": "ab12cd34"})
    (folder / "metrics.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows) + '{"iteration": 9')
    (folder / "recipe.toml").write_text(f"# run id: ab12cd34\n[optimizer]\nlr = {lr}\nmomentum = 0.9\n"
                                        f"[batch]\nsize = 32\n{extra}")
    if summary:
        (folder / "summary.json").write_text(json.dumps({
            "network": "tiny", "iterations": len(train_errors), "finished": True,
            "final": {"train_error": train_errors[-1], "val_error": val_errors[-1]},
            "best_val_error": min(val_errors), "images_per_s": speed}))
    return folder


@pytest.fixture
def two_runs(tmp_path):
    a = write_run(tmp_path / "a", [0.9, 0.7, 0.5, 0.4], [0.8, 0.6], lr=0.1, speed=250.0)
    b = write_run(tmp_path / "b", [0.8, 0.6, 0.3, 0.2], [0.5, 0.55], lr=0.05, summary=False,
                  extra="[ema]\ndecay = 0.999\n")
    return a, b


def test_compare_json_has_final_best_speed_and_recipe_differences(two_runs):
    a, b = two_runs
    result = cli("runs", "compare", a, b, "--format", "json")
    assert result.returncode == 0, result.output
    data = json.loads(result.stdout)
    first, second = data["runs"]
    assert (first["final_val_error"], first["best_val_error"], first["iterations"]) == (0.6, 0.6, 4)
    assert first["images_per_s"] == 250.0 and first["final_train_error"] == 0.4
    # b has no summary.json (a killed run): its figures come from the rows alone
    assert (second["final_val_error"], second["best_val_error"], second["best_val_iteration"]) == (0.55, 0.5, 2)
    assert second["final_train_error"] == 0.2 and second["iterations"] == 4 and second["finished"] is False
    assert second["images_per_s"] == 300.0  # the median of 100, 200, 300, 400 taken as the upper middle
    assert data["recipe_differences"] == {"optimizer.lr": [0.1, 0.05], "ema.decay": [None, 0.999]}


def test_compare_table_markdown_and_csv(two_runs):
    a, b = two_runs
    table = cli("runs", "compare", a, b).stdout
    assert "60.00%" in table and "55.00%" in table and "optimizer.lr" in table and "batch.size" not in table
    markdown = cli("runs", "compare", a, b, "--format", "markdown").stdout
    assert markdown.startswith("| run |") and "| optimizer.lr | 0.1 | 0.05 |" in markdown
    rows = list(csv.DictReader(io.StringIO(cli("runs", "compare", a, b, "--format", "csv").stdout)))
    assert [r["best_val_error"] for r in rows] == ["0.6", "0.5"]
    assert [r["recipe.optimizer.lr"] for r in rows] == ["0.1", "0.05"]
    assert cli("runs", "compare", a, a).stdout.rstrip().endswith("the recipes are the same")


def test_a_folder_that_is_not_a_run_is_an_error(tmp_path, two_runs):
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "summary.json").write_text("[1, 2]")
    for folder in ("empty", "missing", "bad"):
        result = cli("runs", "compare", two_runs[0], tmp_path / folder)
        assert result.returncode == 1 and "E1140" in result.stderr, result.output
        assert "Traceback" not in result.output


def test_plot_writes_a_picture_with_log_scale(two_runs, tmp_path):
    pytest.importorskip("matplotlib")
    for extra in ([], ["--log"]):
        out = tmp_path / f"fig{len(extra)}.png"
        result = cli("runs", "plot", *two_runs, "-o", out, *extra)
        assert result.returncode == 0, result.output
        assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_two_tiny_digits_runs_compared(tmp_path):
    pytest.importorskip("torch")
    net = tiny_file(tmp_path)
    for name, lr in (("slow", "0.01"), ("fast", "0.1")):
        done = cli("train", f"{net}:tiny", "-o", tmp_path / name, "--iterations", "4", "--batch-size", "16",
                   "--eval-every", "2", "--lr", lr, "--quiet")
        assert done.returncode == 0, done.output
    data = json.loads(cli("runs", "compare", tmp_path / "slow", tmp_path / "fast", "--format", "json").stdout)
    assert data["recipe_differences"]["optimizer.lr"] == [0.01, 0.1]
    for row, name in zip(data["runs"], ("slow", "fast")):
        summary = json.loads((tmp_path / name / "summary.json").read_text())
        assert row["iterations"] == 4 and row["best_val_error"] == summary["best_val_error"]
        assert row["images_per_s"] == summary["images_per_s"] > 0
