"""Fine-tuning: --init from a hand-written torchvision-style state_dict file (a 5-class head,
DataParallel's `module.` prefix, nested under "state_dict" as training scripts save it) into a
10-class network, --freeze, and the zero-init recipe option."""

import pytest
import torch
from safetensors.torch import load_file

import resdsl
from resdsl.train.finetune import FreezeError, InitError

from .cli import cli
from .train_support import tiny_file

# a learning rate so small that one iteration leaves the loaded weights where they were (to 1e-9)
STILL = dict(iterations=1, batch_size=16, eval_every=1, checkpoint_every=1, lr=1e-12, weight_decay=0.0)


@pytest.fixture
def checkpoint_file(tmp_path):
    """A torch checkpoint of `tiny` with 5 classes, written by hand as a training script would."""
    net = tiny_file(tmp_path)
    source = resdsl.load(f"{net}:tiny", classes=5)
    torch.manual_seed(123)
    state = {k: torch.randn_like(v) if v.is_floating_point() else v for k, v in source.state_dict().items()}
    state = {k: v.abs() + 0.5 if k.endswith("running_var") else v for k, v in state.items()}
    path = tmp_path / "five.pth"
    torch.save({"epoch": 3, "state_dict": {f"module.{k}": v for k, v in state.items()}}, path)
    return net, path, state


def test_init_loads_what_fits_and_starts_the_other_classifier_fresh(tmp_path, checkpoint_file):
    net, path, state = checkpoint_file
    result = cli("train", f"{net}:tiny", "--data", "digits", "-o", str(tmp_path / "run"), "--init", str(path),
                 *[f"--{k.replace('_', '-')}={v}" for k, v in STILL.items()])
    assert result.returncode == 0, result.output
    assert "kept fresh (another shape in the file): fc.weight [5, 16] -> [10, 16], fc.bias [5] -> [10]" \
        in result.output
    weights = load_file(tmp_path / "run" / "weights.safetensors")
    assert weights["fc.weight"].shape == (10, 16)
    for name in ("conv1.weight", "layer1.0.conv1.weight", "layer2.0.conv2.weight", "bn1.weight"):
        torch.testing.assert_close(weights[name], state[name], rtol=0, atol=1e-9)


def test_freeze_keeps_matching_parameters_and_init_takes_a_run_folder(tmp_path, checkpoint_file):
    net, path, state = checkpoint_file
    first = tmp_path / "first"
    resdsl.train(f"{net}:tiny", "digits", out=first, iterations=4, batch_size=16, eval_every=2, checkpoint_every=2)
    trained = load_file(first / "weights.safetensors")
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "second", init=first, freeze=["conv1.*", "layer1.*"],
                 iterations=4, batch_size=16, eval_every=2, checkpoint_every=2)
    after = load_file(tmp_path / "second" / "weights.safetensors")
    frozen = [k for k in trained if k.startswith(("conv1.", "layer1.")) and "running" not in k
              and "num_batches" not in k]
    assert frozen and all(torch.equal(after[k], trained[k]) for k in frozen)
    assert not torch.equal(after["fc.weight"], trained["fc.weight"])
    with pytest.raises(FreezeError, match="matches none"):
        resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "third", freeze=["head.*"], **STILL)


def test_weights_that_are_not_a_state_dict_are_refused(tmp_path):
    net = tiny_file(tmp_path)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(InitError) as err:
        resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "a", init=tmp_path / "junk.pth", **STILL)
    assert err.value.code == "E1161"
    torch.save({"x.weight": torch.zeros(2)}, tmp_path / "other.pth")
    with pytest.raises(InitError, match="none of the 1 tensors"):
        resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "b", init=tmp_path / "other.pth", **STILL)


def test_zero_init_residual_starts_each_branchs_last_norm_at_zero(tmp_path):
    net = tiny_file(tmp_path)
    resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "z", init__zero_init_residual=True, **STILL)
    weights = load_file(tmp_path / "z" / "weights.safetensors")
    for name in ("layer1.0.bn2.weight", "layer2.0.bn2.weight"):
        assert weights[name].abs().max().item() < 1e-9
    assert weights["bn1.weight"].abs().min().item() > 0.5  # other norms start at one
