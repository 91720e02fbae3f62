"""`resdsl experiment degradation | cifar-depths` and `resdsl analyze responses`, run for a few
iterations on the smallest CIFAR nets (the long campaigns are the commands themselves)."""

import json
import pickle

import numpy as np
import pytest
import torch

from .cli import cli
from .torch_support import CIFAR

PLAIN_AND_RESIDUAL = CIFAR + "plain8 = resnet8 with shortcuts none\n"


@pytest.fixture(scope="module")
def campaign(tmp_path_factory):
    """One tiny degradation campaign: two 8-layer nets, two seeds, 3 iterations."""
    folder = tmp_path_factory.mktemp("degradation")
    source = folder / "cifar8.rdsl"
    source.write_text(PLAIN_AND_RESIDUAL)
    out = folder / "out"
    result = cli("experiment", "degradation", "--nets", f"{source}:plain8,{source}:resnet8",
                 "--seeds", "0,1", "--iterations", "3", "--jobs", "1", "-o", out)
    assert result.returncode == 0, result.stdout + result.stderr
    return source, out, result.stdout


def _last_train_error(run_dir):
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    return [r for r in rows if r["split"] == "train"][-1]["error"]


def test_degradation_writes_figures_table_and_runs(campaign):
    source, out, stdout = campaign
    for name in ("figure6.png", "figure7.png"):
        assert (out / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    runs = sorted(p.name for p in out.iterdir() if p.is_dir())
    assert runs == ["cifar8-rdsl-plain8-seed0", "cifar8-rdsl-plain8-seed1",
                    "cifar8-rdsl-resnet8-seed0", "cifar8-rdsl-resnet8-seed1"]
    for run in runs:
        assert (out / run / "weights.safetensors").is_file()
    table = (out / "table.md").read_text()
    assert table in stdout
    # the table's training error: the mean over seeds of each run's last running error (3
    # iterations: its last 5% is the last batch), read back from the metrics files
    for net in ("plain8", "resnet8"):
        errors = [_last_train_error(out / f"cifar8-rdsl-{net}-seed{s}") for s in (0, 1)]
        row = next(line for line in table.splitlines() if f":{net} |" in line)
        assert f"| {100 * np.mean(errors):.1f} ± {100 * np.std(errors, ddof=1):.1f} " in row, row
        # depth 6n+2 = 8; parameters on digits' 1x8x8 input, counted by hand: conv1 1*16*9 and
        # its BN 2*16; a block per stage: 2*(16*16*9) + 4*16, 16*32*9 + 32*32*9 + 4*32,
        # 32*64*9 + 64*64*9 + 4*64; the fc 64*10 + 10
        params = (144 + 32) + (4608 + 64) + (13824 + 128) + (55296 + 256) + 650
        assert f"| 8 | {params:,} |" in row
    results = json.loads((out / "results.json").read_text())
    assert [len(v) for v in results["responses"].values()] == [7, 7]  # 6n+1 3x3 layers


def test_analyze_responses_measures_the_trained_weights(campaign, tmp_path):
    source, out, _ = campaign
    run = out / "cifar8-rdsl-resnet8-seed0"
    plot = tmp_path / "fig7.png"
    result = cli("analyze", "responses", f"{source}:resnet8", "--weights",
                 run / "weights.safetensors", "--data", "digits", "--recipe",
                 run / "recipe.toml", "-o", plot, "--format", "json")
    assert result.returncode == 0, result.stderr
    stds = {row["layer"]: row["std"] for row in json.loads(result.stdout)["resnet8"]}
    assert plot.read_bytes()[:4] == b"\x89PNG"

    # the oracle: forward hooks on the BNs of the same weights, on the same validation images
    # (cloned, and the hook returns None: the ReLU after a BN overwrites its output in place)
    from resdsl.api import graph_from_text
    from resdsl.torch.backend import build_module
    from resdsl.train.checkpoint import load_weights
    from resdsl.train.data import open_data
    from resdsl.train.recipe import load_recipe

    recipe = load_recipe(run / "recipe.toml")
    data = open_data("digits", recipe)
    model = build_module(graph_from_text(PLAIN_AND_RESIDUAL, "resnet8", input_shape=(1, 8, 8)))
    model.load_state_dict(load_weights(run / "weights.safetensors"))
    model.eval()
    seen = {}
    for name in stds:
        model.get_submodule(name).register_forward_hook(
            lambda m, a, output, name=name: seen.__setitem__(name, output.detach().clone()))
    x = data.val.images.float() / data.scale
    x = (x - torch.tensor(data.mean).view(1, -1, 1, 1)) / torch.tensor(data.std).view(1, -1, 1, 1)
    with torch.no_grad():
        model(x)
    assert list(stds) == ["bn1", "layer1.0.bn1", "layer1.0.bn2", "layer2.0.bn1", "layer2.0.bn2",
                          "layer3.0.bn1", "layer3.0.bn2"]
    for name, value in stds.items():
        assert value == pytest.approx(seen[name].double().std(correction=0).item(), rel=1e-4)


def test_analyze_responses_needs_one_weights_per_network():
    result = cli("analyze", "responses", "resnet20", "plain20", "--weights", "a.safetensors")
    assert result.returncode == 2
    assert "one --weights per FILE" in result.stderr


def test_an_experiment_does_not_write_into_a_used_folder(tmp_path):
    (tmp_path / "old").write_text("x")
    result = cli("experiment", "degradation", "-o", tmp_path)
    assert result.returncode == 2
    assert "already exists and is not empty" in result.stderr


def _cifar_batches(folder, rng):
    def batch(n):
        return {b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8),
                b"labels": [int(v) for v in rng.integers(0, 10, n)]}

    folder.mkdir()
    (folder / "data_batch_1").write_bytes(pickle.dumps(batch(140)))  # a batch of 128 after 10 held out
    (folder / "test_batch").write_bytes(pickle.dumps(batch(20)))
    names = [f"class{i}".encode() for i in range(10)]
    (folder / "batches.meta").write_bytes(pickle.dumps({b"label_names": names}))


def test_cifar_depths_prints_table_6_beside_the_paper(tmp_path):
    _cifar_batches(tmp_path / "cifar", np.random.default_rng(0))
    result = cli("experiment", "cifar-depths", "--data", f"cifar10:{tmp_path / 'cifar'}",
                 "--depths", "20", "--iterations", "2", "--validation", "10", "--jobs", "1",
                 "-o", tmp_path / "out")
    assert result.returncode == 0, result.stdout + result.stderr
    table = (tmp_path / "out" / "table6.md").read_text()
    assert "| ResNet | 20 | 0.27M | 0.27M |" in table  # ours beside Table 6's parameters
    assert table.splitlines()[2].endswith("| 8.75 |")  # and its error
    assert "| plain | 20 | 0.27M | - |" in table
    assert "error % (test, ours)" in table
    for run in ("resnet20-seed0", "plain20-seed0"):
        assert (tmp_path / "out" / run / "weights.safetensors").is_file()


def test_cifar_depths_wants_cifar_depths():
    result = cli("experiment", "cifar-depths", "--data", "cifar10:x", "--depths", "20,21")
    assert result.returncode == 2
    assert "21 is not a CIFAR depth 6n+2" in result.stderr
