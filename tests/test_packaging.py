"""A non-editable install carries the grammar, the architectures and the schema."""

import os
import subprocess
import sys
import zipfile

from .conftest import ROOT


def test_wheel_installs_and_runs_from_any_directory(tmp_path):
    wheels, target = tmp_path / "wheels", tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT],
                   check=True, capture_output=True)
    wheel = next(wheels.glob("resdsl-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in ("resdsl/grammar/resdsl.lark", "resdsl/architectures/resnet.rdsl",
                   "resdsl/architectures/resnet34.rdsl", "resdsl/ir/schema/ir-v1.json",
                   "resdsl/core/catalogue.toml", "resdsl/core/schema/diagnostics-v1.json"):
        assert needed in names
    # every module of the checkout ships: a subpackage missing from pyproject.toml would not
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "resdsl").rglob("*.py")}
    assert modules <= names, sorted(modules - names)
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target", target,
                    wheel], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-m", "resdsl", "check", "resnet34"], cwd=elsewhere,
                            env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "21,797,672 params" in result.stdout
    where = subprocess.run([sys.executable, "-c", "import resdsl; print(resdsl.__file__)"],
                           cwd=elsewhere, env=env, capture_output=True, text=True).stdout
    assert where.startswith(str(target))
    explained = subprocess.run([sys.executable, "-m", "resdsl", "explain", "E202"], cwd=elsewhere,
                               env=env, capture_output=True, text=True)
    assert explained.returncode == 0 and explained.stdout.startswith("E202: unknown name"), explained.stderr
