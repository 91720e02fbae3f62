"""The package's layout: each subpackage is one stage of the pipeline, and imports only the stages
below it (read from the source with `ast`, nothing imported)."""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import ROOT

# stage -> the stages its modules may import (itself included). Faces may import anything.
ALLOWED = {
    "core": {"core"},
    "netgraph": {"core", "netgraph"},
    "language": {"core", "netgraph", "language"},
    "analysis": {"core", "netgraph", "analysis"},
    "ir": {"core", "netgraph", "ir"},
    "viz": {"core", "netgraph", "analysis", "viz"},
    "torch": {"core", "netgraph", "analysis", "torch"},
    "targets": {"core", "netgraph", "language", "analysis", "ir", "targets"},
    "train": {"core", "netgraph", "language", "analysis", "targets", "torch", "train"},
    "experiments": {"core", "netgraph", "language", "analysis", "targets", "torch", "train", "experiments"},
    "ide": {"core", "netgraph", "language", "analysis", "targets", "ide"},
    "format": {"core", "netgraph", "language", "format"},
    "highlight": {"core", "netgraph", "language", "highlight"},
    "importer": {"core", "netgraph", "language", "analysis", "targets", "torch", "importer"},
    "serve": {"core", "netgraph", "language", "analysis", "targets", "viz", "ide", "highlight", "serve"},
}
FACES = {"cli", "api", "fuzzing", "lsp", "__init__", "__main__"}
TORCH_STAGES = {"torch", "train", "experiments", "importer"}  # the only stages that may import torch
TORCH_PACKAGES = ("torch", "torchvision", "timm", "safetensors.torch", "onnxscript")
MAX_LINES = 450


def _stage(module: str) -> str:
    """'resdsl.netgraph.ops' -> 'netgraph'; the package root is '' (a face may import it)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def _imports(path: Path, module: str):
    """(imported module, line, inside a function) for every import of one file."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    tree = ast.parse(path.read_text(), str(path))
    # imports that run only when a function is called, or only for type checkers
    functions = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
                 or (isinstance(f, ast.If) and ast.unparse(f.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"))
                 for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno, id(node) in functions
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module
            if node.level and not node.module:  # `from . import x`: x is a module of that package
                for alias in node.names:
                    yield f"{target}.{alias.name}" if alias.name != "__version__" else target, \
                        node.lineno, id(node) in functions
            else:
                yield target, node.lineno, id(node) in functions


def violations(package_dir: Path) -> list[str]:
    """Every import that breaks the layout's rules, as 'file:line: why'."""
    found, unknown = [], set()
    for path in sorted(package_dir.rglob("*.py")):
        relative = path.relative_to(package_dir.parent)
        module = ".".join(relative.with_suffix("").parts)
        if module.endswith(".__init__"):
            module = module[: -len(".__init__")]
        stage = _stage(module) or "__init__"
        face = stage in FACES
        if not face and stage not in ALLOWED:
            if stage not in unknown:
                unknown.add(stage)
                found.append(f"{package_dir.name}/{stage}: a subpackage that is not in the layout's "
                             "table (tests/test_layout.py): say which stages it may import")
            continue
        for target, line, in_function in _imports(path, module):
            where = f"{relative}:{line}"
            if target == "torch" or target.startswith("torch.") or target.startswith(TORCH_PACKAGES[1:]):
                if stage in TORCH_STAGES or (face and in_function):
                    continue
                found.append(f"{where}: {stage} imports {target}" + (
                    " at module level (a face imports torch only inside the function that needs it)"
                    if face else f" (only {', '.join(sorted(TORCH_STAGES))} may)"))
            elif target == package_dir.name or target.startswith(package_dir.name + "."):
                if face:
                    continue
                reached = _stage(target)
                if reached == "" or reached in FACES:
                    found.append(f"{where}: {stage} imports {target or package_dir.name}, a face "
                                 "(nothing below the faces may)")
                elif reached not in ALLOWED[stage]:
                    found.append(f"{where}: {stage} imports {target}; {stage} may import only "
                                 + ", ".join(sorted(ALLOWED[stage])))
    return found


def test_the_package_keeps_its_layout_rules():
    assert violations(ROOT / "resdsl") == []


def test_every_stage_of_the_table_is_a_subpackage_that_says_its_rule():
    for stage in ALLOWED:
        init = ROOT / "resdsl" / stage / "__init__.py"
        if stage in ("train", "experiments") and not init.exists():
            continue  # stages still to come
        assert "Rule:" in ast.get_docstring(ast.parse(init.read_text())), stage


def test_no_module_is_over_the_size_limit():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "resdsl").rglob("*.py")
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert long == {}


def _modules(package_dir: Path) -> dict[str, Path]:
    """'resdsl.language.parse' -> its file, for every module of the package (packages by name)."""
    found = {}
    for path in sorted(package_dir.rglob("*.py")):
        parts = path.relative_to(package_dir.parent).with_suffix("").parts
        found[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return found


def import_circles(package_dir: Path, lazy: bool = True) -> list[list[str]]:
    """Modules that import each other, directly or round a longer circle. An import inside a function
    (or under TYPE_CHECKING) runs later and cannot fail at import time, but it still ties the two
    modules together: `lazy=False` leaves those out."""
    import networkx as nx

    modules = _modules(package_dir)
    graph = nx.DiGraph()
    for module, path in modules.items():
        graph.add_node(module)
        for target, _, in_function in _imports(path, module):
            while target and target not in modules:  # `from .x import name`: the module is x
                target = target.rpartition(".")[0]
            if target and (lazy or not in_function) and target != module:
                graph.add_edge(module, target)
    return sorted(sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1)


def test_no_modules_import_each_other():
    assert import_circles(ROOT / "resdsl") == []


def test_an_import_circle_is_found(tmp_path):
    root = _package(tmp_path, {
        "train/data.py": "from .pipeline import decode\n",
        "train/pipeline.py": "from . import data\n",
        "train/loop.py": "from .data import load\n\ndef run():\n    from .loop2 import x\n",
        "train/loop2.py": "from .loop import run\n",
    })
    assert import_circles(root) == [["resdsl.train.data", "resdsl.train.pipeline"],
                                    ["resdsl.train.loop", "resdsl.train.loop2"]]
    assert import_circles(root, lazy=False) == [["resdsl.train.data", "resdsl.train.pipeline"]]


def _package(tmp_path: Path, files: dict[str, str]) -> Path:
    root = tmp_path / "resdsl"
    for name, text in {"__init__.py": "", **files}.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        for parent in path.relative_to(root).parents:
            (root / parent / "__init__.py").touch()
        path.write_text(text)
    return root


def test_the_rules_catch_each_kind_of_violation(tmp_path):
    root = _package(tmp_path, {
        "core/errors.py": "from ..language import parse\n",
        "netgraph/ops.py": "def build():\n    from torch import nn\n",
        "analysis/check.py": "from ..language.networks import Check\n",
        "torch/export.py": "import torch\nfrom .. import __version__\n",
        "viz/diagram.py": "from ..cli import main\nimport resdsl.torch.backend\n",
        "api.py": "import torch\n\ndef load():\n    import torch\n",
        "serving/app.py": "",
    })
    assert violations(root) == [
        "resdsl/analysis/check.py:1: analysis imports resdsl.language.networks; analysis may import "
        "only analysis, core, netgraph",
        "resdsl/api.py:1: api imports torch at module level (a face imports torch only inside "
        "the function that needs it)",
        "resdsl/core/errors.py:1: core imports resdsl.language; core may import only core",
        "resdsl/netgraph/ops.py:2: netgraph imports torch (only experiments, importer, torch, train "
        "may)",
        "resdsl/serving: a subpackage that is not in the layout's table (tests/test_layout.py): say "
        "which stages it may import",
        "resdsl/torch/export.py:2: torch imports resdsl, a face (nothing below the faces may)",
        "resdsl/viz/diagram.py:1: viz imports resdsl.cli, a face (nothing below the faces may)",
        "resdsl/viz/diagram.py:2: viz imports resdsl.torch.backend; viz may import only analysis, "
        "core, netgraph, viz",
    ]
