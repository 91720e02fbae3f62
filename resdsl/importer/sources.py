"""What `resdsl import SRC` names: `module.path:callable`, `module:build(depth=50)`, `timm:NAME`,
`file.py:callable`, an `.onnx` file or a Caffe `.prototxt`. A Python source runs the user's own
code: importing it is what the user asked for. Call arguments are literals only, read with
ast.literal_eval (never eval)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import sys
from pathlib import Path
from typing import Any

from .errors import CallArgumentsError, SourceError


def kind_of(source: str) -> str:
    """"onnx", "prototxt" or "python"."""
    suffix = Path(source.split(":")[0]).suffix.lower()
    return {".onnx": "onnx", ".prototxt": "prototxt"}.get(suffix, "python")


def load_model(source: str):
    """The module SRC builds, in evaluation mode."""
    if source.startswith("timm:"):
        return _timm(source[5:])
    where, sep, call = source.rpartition(":")
    if not sep or not where or not call:
        raise SourceError(f"'{source}' names no model",
                          hint="write module.path:callable, file.py:callable, timm:NAME, or an "
                               ".onnx or .prototxt file")
    function, args, kwargs = parse_call(call)
    home = _file_module(where) if where.endswith(".py") else _module(where)
    target: Any = home
    for part in function.split("."):
        if not hasattr(target, part):
            raise SourceError(f"{where} has no '{function}'")
        target = getattr(target, part)
    if not callable(target):
        raise SourceError(f"{where}:{function} is not callable")
    model = target(*args, **kwargs)
    return model.eval() if hasattr(model, "eval") else model


def parse_call(text: str) -> tuple[str, list[Any], dict[str, Any]]:
    """`build(depth=50)` -> ("build", [], {"depth": 50}); arguments must be literals."""
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError:
        raise SourceError(f"'{text}' is not a callable's name or a call") from None
    if not isinstance(tree, ast.Call):
        tree = ast.Call(func=tree, args=[], keywords=[])
    name = _dotted(tree.func)
    if name is None:
        raise SourceError(f"'{text}' does not call a name")
    try:
        args = [ast.literal_eval(a) for a in tree.args]
        kwargs = {k.arg: ast.literal_eval(k.value) for k in tree.keywords if k.arg}
    except ValueError:
        raise CallArgumentsError(f"the arguments of '{text}' are not all literals",
                                 hint="give numbers, strings, lists or True/False: they are read, "
                                      "never evaluated") from None
    if any(k.arg is None for k in tree.keywords):
        raise CallArgumentsError(f"'{text}' unpacks arguments (**); give them one by one")
    return name, args, kwargs


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    return None


def _module(name: str):
    if "" not in sys.path and str(Path.cwd()) not in sys.path:  # as `python -m` finds the user's
        sys.path.insert(0, str(Path.cwd()))
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise SourceError(f"cannot import {name}: {err}",
                          hint="install it, or give a file: path/to/file.py:callable") from None


def _file_module(path: str):
    file = Path(path)
    if not file.is_file():
        raise SourceError(f"{path}: no such file")
    spec = importlib.util.spec_from_file_location(f"resdsl_import_{file.stem}", file)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, str(file.parent.resolve()))  # the file's own imports of its neighbours
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(file.parent.resolve()))
    return module


def _timm(name: str):
    from ..core.extras import MissingExtraError, installed

    if not installed("timm"):
        raise MissingExtraError("importing timm:NAME needs timm, which is not installed",
                                hint="pip install timm")
    import timm

    function, args, kwargs = parse_call(name)
    return timm.create_model(function, *args, **kwargs).eval()
