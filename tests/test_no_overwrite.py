"""No command writes over one of its inputs, or replaces a file it did not write, unless told
(--force); `--weights` is an input on every command; compile reads resdsl's own checkpoints."""

import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
load_file = pytest.importorskip("safetensors.torch").load_file

import resdsl  # noqa: E402

from .cli import cli  # noqa: E402

SMALL = "network small {\n    input 3x8x8\n    conv 3x3, 4\n    bn\n    relu\n    avgpool\n    fc: fc 3\n}\n"


@pytest.fixture
def source(tmp_path) -> Path:
    path = tmp_path / "small.rdsl"
    path.write_text(SMALL)
    return path


@pytest.fixture
def trained(source, tmp_path) -> Path:
    """Weights that differ from a fresh initialization: every fc bias 0.25."""
    model = resdsl.load(str(source))
    with torch.no_grad():
        model.fc.bias.fill_(0.25)
    return Path(resdsl.export(model, tmp_path / "trained.safetensors"))


def test_compile_weights_is_an_input_and_the_trained_weights_stay(source, trained, tmp_path):
    before = trained.read_bytes()
    out = tmp_path / "out.safetensors"
    result = cli("compile", source, "--weights", trained, "--save-weights", out)
    assert result.returncode == 0, result.output
    assert trained.read_bytes() == before
    assert torch.equal(load_file(out)["fc.bias"], torch.full((3,), 0.25))


def test_compile_refuses_to_write_over_its_input(source, trained, tmp_path):
    before = trained.read_bytes()
    for args in (["--load-weights", trained, "--save-weights", trained],
                 ["--weights", trained, "--save-weights", trained, "--force"],
                 ["--load-weights", trained, "-o", trained]):
        result = cli("compile", source, *args)
        assert result.returncode in (1, 2), result.output
        assert trained.read_bytes() == before
    result = cli("compile", source, "--load-weights", trained, "--save-weights", trained, "--force")
    assert result.returncode == 1
    assert f"error[E922]: --save-weights {trained} is the file this command reads as --load-weights" \
        in result.output
    linked = tmp_path / "linked.safetensors"  # another name for the same file
    linked.symlink_to(trained)
    result = cli("compile", source, "--load-weights", trained, "--save-weights", linked, "--force")
    assert "error[E922]" in result.output and trained.read_bytes() == before


@pytest.mark.parametrize("command", [["compile", "-o", "{out}.py"], ["compile", "-o", "{out}.json"],
                                     ["compile", "--save-weights", "{out}.safetensors"],
                                     ["viz", "-o", "{out}.dot"]])
def test_an_existing_output_is_replaced_only_with_force(command, source, tmp_path):
    target = Path(command[-1].format(out=tmp_path / "mine"))
    target.write_bytes(b"the user's own file\n")
    args = [command[0], source, *command[1:-1], target]
    result = cli(*args)
    assert result.returncode == 1
    assert f"error[E921]: {target} already exists; nothing was written" in result.output
    assert "--force" in result.output
    assert target.read_bytes() == b"the user's own file\n"
    assert cli(*args, "--force").returncode == 0
    assert target.read_bytes() != b"the user's own file\n"


def test_viz_never_draws_over_its_source(tmp_path):
    source = tmp_path / "small.dot"  # a source may have any name
    source.write_text(SMALL)
    result = cli("viz", source, "-o", source, "--force")
    assert result.returncode == 1 and "error[E922]" in result.output
    assert source.read_text() == SMALL


def test_train_never_writes_its_recipe_over_the_recipe_it_reads(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    recipe = run / "recipe.toml"
    recipe.write_text("[stop]\niterations = 2\n")
    result = cli("train", "resnet20", "--data", "digits", "--recipe", recipe, "-o", run)
    assert result.returncode == 1 and "error[E922]" in result.output
    assert recipe.read_text() == "[stop]\niterations = 2\n"
    assert sorted(p.name for p in run.iterdir()) == ["recipe.toml"]


def test_analyze_never_plots_over_its_weights(source, trained):
    before = trained.read_bytes()
    result = cli("analyze", "responses", source, "--weights", trained, "-o", trained)
    assert result.returncode == 1 and "error[E922]" in result.output
    assert trained.read_bytes() == before


def _resdsl_checkpoint(source: Path, folder: Path) -> torch.nn.Module:
    """A run folder as `resdsl train` leaves it mid-run: checkpoint.json and its tensors."""
    from resdsl.train import checkpoint

    model = resdsl.load(str(source))
    with torch.no_grad():
        model.fc.bias.fill_(0.5)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    model(torch.randn(2, 3, 8, 8)).sum().backward()
    optimizer.step()  # momentum buffers: optim.* tensors beside model.*
    checkpoint.save(folder, 1, model, optimizer, {"schedule": {}})
    return model


def test_compile_reads_a_run_checkpoint_and_a_run_folder(source, tmp_path):
    model = _resdsl_checkpoint(source, tmp_path / "run")
    [ckpt] = (tmp_path / "run" / "checkpoints").glob("ckpt-*.safetensors")
    assert any(k.startswith("model.") for k in load_file(ckpt))  # the format this test is about
    for given in (ckpt, tmp_path / "run"):
        out = tmp_path / f"{Path(given).name}.safetensors"
        result = cli("compile", source, "--load-weights", given, "--save-weights", out)
        assert result.returncode == 0, result.output
        saved = load_file(out)
        for key, value in model.state_dict().items():
            assert torch.equal(saved[key], value), key


def test_a_wrapped_checkpoint_names_its_prefix_not_the_network(source, tmp_path):
    model = resdsl.load(str(source))
    wrapped = tmp_path / "ddp.pt"
    torch.save({f"module.{k}": v for k, v in model.state_dict().items()}, wrapped)
    result = cli("compile", source, "--weights", wrapped, "--save-weights", tmp_path / "w.safetensors")
    assert result.returncode == 1
    assert "every key of the checkpoint starts with 'module.'" in result.output
    assert "same network" not in result.output


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_eval_writes_nothing(source, trained, tmp_path):
    """eval reads weights and data and prints: the folder it runs in is as it was, the weights and
    the images too."""
    from .train_support import image_folder

    image_folder(tmp_path / "images", split_folders=True)
    before = _snapshot(tmp_path)
    args = ("eval", source.name, "--weights", trained.name, "--data", "folder:images", "--input", "3x224x224")
    result = cli(*args, "--format", "json", cwd=tmp_path)
    assert result.returncode == 0, result.output
    assert _snapshot(tmp_path) == before
    # --json, the older spelling, is --format json
    assert json.loads(cli(*args, "--json", cwd=tmp_path).stdout) == json.loads(result.stdout)


def test_an_experiment_never_writes_into_a_folder_that_holds_files(tmp_path):
    kept = tmp_path / "runs"
    kept.mkdir()
    (kept / "notes.txt").write_text("mine")
    result = cli("experiment", "degradation", "--iterations", "1", "-o", kept)
    assert result.returncode == 2 and "already exists and is not empty" in result.output
    assert _snapshot(kept) == {"notes.txt": b"mine"}
