"""Recipes: the bundled ones say what the paper says, overrides and errors behave."""

import re
from pathlib import Path

import pytest
import tomllib

from resdsl.train.options import recipe_overrides
from resdsl.train.recipe import BUNDLED, RecipeError, bundled_text, dump_toml, load_recipe

MALFORMED = sorted((Path(__file__).parent / "malformed_recipes").glob("*.toml"))


def test_cifar10_recipe_is_the_papers():
    # He et al. 2015, sec. 4.2 (../shared/REFERENCE.md, "Training recipes")
    r = load_recipe("cifar10")
    assert r["optimizer.kind"] == "sgd" and r["optimizer.lr"] == 0.1
    assert r["optimizer.momentum"] == 0.9 and r["optimizer.weight_decay"] == 1e-4
    assert r["batch.size"] == 128
    assert r["schedule.milestones"] == [32000, 48000] and r["schedule.unit"] == "iterations"
    assert r["schedule.factor"] == 0.1
    assert r["stop"] == {"iterations": 64000}
    assert r["data.validation"] == 5000  # the 45k/5k split of 50k training images
    assert r["augment.pad"] == 4 and r["augment.flip"] is True
    assert r["data.input"] == "network"


def test_resnet110_warmup_recipe():
    r = load_recipe("cifar10-warmup")
    assert r["schedule.warmup"] == {"lr": 0.01, "until_train_error": 0.8}
    assert r["optimizer.lr"] == 0.1 and r["stop"] == {"iterations": 64000}


def test_imagenet_recipe_is_the_papers():
    # sec. 3.4: batch 256, lr 0.1 /10 on plateaus, 60e4 iterations, wd 1e-4, momentum 0.9,
    # shorter side in [256, 480], 224 crops, flips, colour augmentation
    r = load_recipe("imagenet")
    assert r["batch.size"] == 256 and r["optimizer.lr"] == 0.1
    assert r["schedule.kind"] == "plateau" and r["schedule.factor"] == 0.1
    assert r["stop"] == {"iterations": 600000}
    assert r["optimizer.weight_decay"] == 1e-4 and r["optimizer.momentum"] == 0.9
    assert r["augment.scale"] == [256, 480] and r["augment.crop"] == 224
    assert r["augment.flip"] is True and r["augment.lighting"] > 0


@pytest.mark.parametrize("name", BUNDLED)
def test_bundled_recipes_validate_and_round_trip(name, tmp_path):
    r = load_recipe(name)
    path = tmp_path / "again.toml"
    path.write_text(r.to_toml())
    assert load_recipe(path).values == r.values
    assert tomllib.loads(bundled_text(name))["recipe"] == 1


def test_overrides_replace_fields_and_are_validated():
    r = load_recipe("cifar10", recipe_overrides({"lr": 0.05, "epochs": 3, "batch_size": 64}))
    assert r["optimizer.lr"] == 0.05 and r["stop"] == {"epochs": 3} and r["batch.size"] == 64
    r = load_recipe("cifar10", recipe_overrides({"schedule__factor": 0.2}))
    assert r["schedule.factor"] == 0.2
    with pytest.raises(RecipeError, match="'optimizer.lr': -1 is less than or equal to"):
        load_recipe("cifar10", {"optimizer.lr": -1})
    with pytest.raises(RecipeError, match="no table 'optimiser'") as err:
        load_recipe("cifar10", {"optimiser.lr": 0.1})
    assert "optimizer" in err.value.hint


def test_unknown_recipe_and_option_name_hint():
    with pytest.raises(RecipeError) as err:
        load_recipe("cifar100")
    assert "cifar10" in err.value.hint
    with pytest.raises(RecipeError) as err:
        recipe_overrides({"learning_rate": 0.1})
    assert err.value.hint


def test_dump_toml_writes_what_tomllib_reads():
    values = {"recipe": 1, "a": {"x": 1.5, "s": 'q"uote', "b": True, "l": [1, 2], "t": {"y": 1e-4}}}
    assert tomllib.loads(dump_toml(values, "header")) == values


def expectation(path: Path):
    """The header `# expect: LINE:COLUMN: error[CODE]: MESSAGE | HINT` (the hint optional)."""
    m = re.match(r"# expect: (\d+):(\d+): error\[(E\d{3})\]: (.*)", path.read_text().splitlines()[0])
    message, _, hint = m.group(4).partition(" | ")
    return int(m.group(1)), int(m.group(2)), m.group(3), message, hint


@pytest.mark.parametrize("path", MALFORMED, ids=lambda p: p.stem)
def test_malformed_recipe_reports_line_column_and_caret(path):
    line, column, code, message, hint = expectation(path)
    with pytest.raises(RecipeError) as err:
        load_recipe(path)
    error = err.value.errors[0]
    assert (error.span.line, error.span.column) == (line, column)
    assert message in error.message
    if hint:
        assert hint in (error.hint or "")
    rendered = err.value.render()
    assert error.code == code
    assert rendered.startswith(f"{path}:{line}:{column}: error[{code}]: ")
    assert "^" in rendered.splitlines()[2]


def test_resdsl_train_is_callable_and_importing_it_does_not_import_torch():
    from .cli import python_process

    code = ("import sys, resdsl; import resdsl.train.recipe; "
            "assert callable(resdsl.train) and resdsl.train.train.__name__ == 'train'; "
            "assert 'torch' not in sys.modules, 'torch imported'")
    result = python_process(code)
    assert result.returncode == 0, result.stderr


def test_the_published_schema_is_the_declared_one():
    """recipes/recipe-v1.json is what `python -m resdsl.train.fields` writes from the field table."""
    import json
    from importlib import resources

    from resdsl.train.fields import schema

    published = json.loads(resources.files("resdsl.train").joinpath("recipes/recipe-v1.json").read_text())
    assert published == schema()


def test_a_recipe_that_says_little_gets_the_documented_defaults(tmp_path):
    # docs/train.md's recipe fields: SGD momentum 0.9, wd 1e-4 on every weight, lr /10 at each drop,
    # plateau patience 5, validation and a checkpoint every 1000 iterations, deterministic
    path = tmp_path / "least.toml"
    path.write_text("recipe = 1\n[optimizer]\nlr = 0.1\n[batch]\nsize = 8\n[stop]\niterations = 5\n")
    r = load_recipe(path)
    assert r["optimizer.momentum"] == 0.9 and r["optimizer.weight_decay"] == 1e-4
    assert r["optimizer.decay_norm_and_bias"] is True and r["optimizer.nesterov"] is False
    assert r["schedule.kind"] == "steps" and r["schedule.factor"] == 0.1 and r["schedule.patience"] == 5
    assert r["eval.every"] == 1000 and r["checkpoint.every"] == 1000
    assert r["device.deterministic"] is True and r["device.amp"] == "none"
    assert r["seed"] == 0 and r["data.validation"] == 0 and r["augment.flip"] is False


def test_every_short_name_is_an_option_that_sets_its_field(tmp_path):
    from click.testing import CliRunner

    from resdsl.cli import main

    shown = CliRunner().invoke(main, ["train", "--help"], terminal_width=200).output
    given = {"--lr": ("0.05", "optimizer.lr", 0.05), "--momentum": ("0.8", "optimizer.momentum", 0.8),
             "--weight-decay": ("0.0005", "optimizer.weight_decay", 5e-4),
             "--batch-size": ("32", "batch.size", 32), "--seed": ("3", "seed", 3),
             "--milestones": ("[10, 20]", "schedule.milestones", [10, 20]),
             "--epochs": ("2", "stop", {"epochs": 2}), "--iterations": ("7", "stop", {"iterations": 7}),
             "--validation": ("297", "data.validation", 297), "--workers": ("2", "data.workers", 2),
             "--eval-every": ("5", "eval.every", 5), "--checkpoint-every": ("6", "checkpoint.every", 6),
             "--amp": ("bf16", "device.amp", "bf16")}
    for flag in [*given, "--channels-last", "--compile", "--sync-bn", "--deterministic", "--no-deterministic"]:
        assert flag in shown, flag
    from resdsl.cli.train import train

    for flag, (text, key, value) in given.items():
        ctx = train.make_context("train", ["resnet20", flag, text])
        fields = {p.name: ctx.params[p.name] for p in train.params if p.name in ctx.params}
        chosen = {k: v for k, v in fields.items() if v is not None and k.replace("_", "-") == flag[2:]}
        assert load_recipe("digits", recipe_overrides(chosen))[key] == value, flag
    ctx = train.make_context("train", ["resnet20", "--no-deterministic", "--channels-last"])
    r = load_recipe("digits", recipe_overrides({"deterministic": ctx.params["deterministic"],
                                                "channels_last": ctx.params["channels_last"]}))
    assert r["device.deterministic"] is False and r["device.channels_last"] is True
