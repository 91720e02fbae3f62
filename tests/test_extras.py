"""A missing optional library is found before any work, named with the extra that installs it."""

import sys
from pathlib import Path

import pytest
import tomllib

from resdsl.core import extras

from .cli import cli
from .conftest import ROOT


def hide(monkeypatch, *modules):
    """As if these packages were not installed (an import of them raises ImportError)."""
    for name in modules:
        for loaded in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
            monkeypatch.setitem(sys.modules, loaded, None)
        monkeypatch.setitem(sys.modules, name, None)


def test_every_extra_named_installs_the_package(monkeypatch):
    declared = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    for need, (extra, modules) in extras.NEEDS.items():
        requirements = " ".join(declared[extra]).lower()
        for module in modules:
            assert extras.PACKAGE.get(module, module).lower() in requirements, (need, module)


def test_train_without_safetensors_stops_before_training(tmp_path, monkeypatch):
    hide(monkeypatch, "safetensors")
    run = tmp_path / "run"
    result = cli("train", "resnet20", "--data", "digits", "-o", run, "--iterations", "2")
    assert result.returncode == 1, result.output
    assert "error[E913]: resdsl train --data digits needs the 'safetensors' package" in result.output
    assert "pip install 'resdsl[train]'" in result.output
    assert not run.exists()  # not one iteration, not one file


@pytest.mark.parametrize("module,package", [("sklearn", "scikit-learn"), ("matplotlib", "matplotlib")])
def test_train_names_each_missing_library(module, package, tmp_path, monkeypatch):
    hide(monkeypatch, module)
    result = cli("train", "resnet20", "--data", "digits", "-o", tmp_path / "run")
    assert result.returncode == 1, result.output
    assert f"needs the '{package}' package" in result.output and "error[E913]" in result.output
    assert not (tmp_path / "run").exists()


def test_folder_data_needs_pillow(tmp_path, monkeypatch):
    hide(monkeypatch, "PIL")
    result = cli("eval", "resnet20", "--weights", tmp_path / "w.safetensors", "--data",
                 f"folder:{tmp_path}")
    assert result.returncode == 1 and "needs the 'Pillow' package" in result.output
    assert "pip install 'resdsl[train]'" in result.output


def test_experiment_and_analyze_check_before_work(tmp_path, monkeypatch):
    hide(monkeypatch, "matplotlib")
    result = cli("experiment", "degradation", "--nets", "resnet20", "--seeds", "0",
                 "--iterations", "2", "-o", tmp_path / "campaign")
    assert result.returncode == 1 and "error[E913]" in result.output, result.output
    assert not (tmp_path / "campaign").exists()
    result = cli("analyze", "responses", "resnet20", "--weights", tmp_path / "w.safetensors",
                 "-o", tmp_path / "stds.png")
    assert result.returncode == 1 and "needs the 'matplotlib' package" in result.output


def test_compile_checks_the_artifacts_packages(tmp_path, monkeypatch):
    hide(monkeypatch, "onnxscript")
    result = cli("compile", "resnet18", "-o", tmp_path / "r.onnx")
    assert result.returncode == 1 and "needs the 'onnxscript' package" in result.output
    assert "pip install 'resdsl[export]'" in result.output
    assert list(Path(tmp_path).iterdir()) == []
