"""The default recipe on digits by depth: `digits` (short) up to 20 weighted layers, `digits-deep`
(the degradation experiment's recipe, with a warm-up) beyond, unless the run names one."""

import json
from pathlib import Path

import tomllib

import resdsl
from resdsl.experiments.degradation import RECIPES
from resdsl.train.data import open_data
from resdsl.train.recipe import load_recipe

from .train_support import tiny_file


def test_digits_deep_is_the_degradation_experiments_recipe():
    deep, experiment = load_recipe("digits-deep"), load_recipe(RECIPES / "degradation-digits.toml")
    assert {**deep.values, "description": ""} == {**experiment.values, "description": ""}
    # the settings that train 56 layers: the paper's batch, a warm-up at lr 0.01, 800 iterations
    raw = tomllib.loads((Path(resdsl.__file__).parent / "train" / "recipes" / "digits-deep.toml").read_text())
    assert raw["batch"]["size"] == 128 and raw["stop"]["iterations"] == 800
    assert raw["schedule"]["warmup"] == {"lr": 0.01, "iterations": 50}


def test_a_deep_net_on_digits_gets_digits_deep_and_says_so(tmp_path, capfd):
    run = resdsl.train("resnet56", "digits", out=tmp_path / "deep", iterations=1, threads=1, quiet=False)
    assert run["recipe"] == "<recipe digits-deep>" and run["data"]["val"] == 450
    assert "56 weighted layers: training with the digits-deep recipe" in capfd.readouterr().err
    assert load_recipe(tmp_path / "deep" / "recipe.toml")["schedule.warmup.iterations"] == 50
    # the preprocessing record is that of the data the run trained on (digits-deep's split),
    # not of the short recipe's split it first opened
    trained_on = open_data("digits", load_recipe(tmp_path / "deep" / "recipe.toml"))
    record = json.loads((tmp_path / "deep" / "preprocess.json").read_text())
    assert (record["mean"], record["std"]) == (trained_on.mean, trained_on.std)


def test_a_shallow_net_or_a_named_recipe_keeps_digits(tmp_path):
    net = tiny_file(tmp_path)
    assert resdsl.train(f"{net}:tiny", "digits", out=tmp_path / "a", iterations=1, threads=1)["recipe"] == "<recipe digits>"
    named = resdsl.train("resnet56", "digits", recipe="digits", out=tmp_path / "b", iterations=1, threads=1)
    assert named["recipe"] == "<recipe digits>" and named["data"]["val"] == 297
