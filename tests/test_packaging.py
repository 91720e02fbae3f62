"""A non-editable install carries the grammar, the architectures and the schema."""

import os
import re
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest
import tomllib

from .conftest import ROOT


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """The wheel `pip wheel --no-deps .` builds from the checkout (once for this module)."""
    wheels = tmp_path_factory.mktemp("wheels")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", wheels, ROOT],
                   check=True, capture_output=True)
    return next(wheels.glob("resdsl-*.whl"))


def test_wheel_installs_and_runs_from_any_directory(tmp_path, wheel):
    target = tmp_path / "site"
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


def test_a_fresh_venv_with_the_wheel_runs_the_console_script(tmp_path, wheel):
    """What README's "Install" promises: `pip install` of the wheel into a new environment, then
    `resdsl` from any folder. The dependencies come from this environment's site-packages (a path
    line in a .pth file, which does not run this checkout's editable-install hook), so nothing is
    downloaded."""
    env_dir = tmp_path / "env"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          check=True, capture_output=True, text=True).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([sys.executable, "-m", "pip", "--python", python, "install", "-q", "--no-deps",
                    "--no-index", wheel], check=True, capture_output=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}

    def resdsl(*args):
        done = subprocess.run([env_dir / "bin" / "resdsl", *args], cwd=elsewhere, env=env,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = subprocess.run([python, "-c", "import resdsl; print(resdsl.__file__)"], cwd=elsewhere,
                           env=env, capture_output=True, text=True, check=True).stdout
    assert where.startswith(site), where
    # torchvision's ResNet-50 and ResNet-18 parameter counts; the paper's 1.8G multiply-adds
    assert "25,557,032 params" in resdsl("check", "resnet50")
    flops = resdsl("flops", "resnet18")
    assert "11,689,512" in flops and re.search(r"\b1\.8\dG\b", flops), flops
    assert resdsl("explain", "E202").startswith("E202: unknown name")


def extras_of_pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]


def requirement_name(requirement):
    return re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()


def test_every_extra_the_docs_name_exists_and_installs_what_readme_says():
    extras = extras_of_pyproject()
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
             *sorted((ROOT / "resdsl").rglob("*.py"))]
    named = {name for page in pages
             for group in re.findall(r"resdsl\[([\w,-]+)\]", page.read_text())
             for name in group.split(",")}
    assert named <= set(extras), named - set(extras)
    readme = (ROOT / "README.md").read_text()
    install = readme.split("\n## Install\n", 1)[1].split("\n## ", 1)[0]
    table = dict(re.findall(r"^\| `(\w+)` \| .* \| ([^|]+) \|$", install, flags=re.M))
    assert set(table) == set(extras), set(table) ^ set(extras)
    for extra, installs in table.items():
        said = {name.strip().lower() for name in installs.split(",")}
        assert said == {requirement_name(r) for r in extras[extra]}, extra
    for extra in re.findall(r"pip install '\.\[([\w,]+)\]'", readme):
        assert set(extra.split(",")) <= set(extras)
