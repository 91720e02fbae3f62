"""Optional libraries: what each command needs, checked before it starts any work.

A command asks `require(...)` with what it is about to do (an artifact suffix, a kind of data,
plots); a missing library is one diagnostic (E913) naming the extra that installs it, before a
network is built or a run trains for an hour and then fails at its first checkpoint.
"""

from __future__ import annotations

import importlib.util
import sys

from .errors import ResdslError

# what a piece of work needs (an artifact suffix, a kind of data, or a task) -> the extra of
# resdsl (pyproject.toml) that installs it, and the modules imported for it
NEEDS: dict[str, tuple[str, tuple[str, ...]]] = {
    ".py": ("torch", ("torch",)),
    ".pt2": ("torch", ("torch",)),
    ".onnx": ("export", ("torch", "onnx", "onnxscript")),
    ".safetensors": ("export", ("torch", "safetensors")),
    "onnxruntime": ("export", ("onnxruntime",)),
    "train": ("train", ("torch", "safetensors")),  # every run writes safetensors checkpoints
    "eval": ("train", ("torch", "safetensors")),
    "data:digits": ("train", ("sklearn",)),
    "data:folder": ("train", ("PIL",)),
    "data:labels": ("train", ("PIL",)),
    "plots": ("train", ("matplotlib",)),
    "log:tensorboard": ("tensorboard", ("tensorboard",)),
    "data:svhn": ("train", ("scipy",)),
    "lsp": ("lsp", ("pygls",)),
    "serve": ("serve", ("starlette", "uvicorn")),
}

# the package's name on PyPI where it differs from the module's
PACKAGE = {"sklearn": "scikit-learn", "PIL": "Pillow"}


class MissingExtraError(ResdslError):
    code = "E913"


def installed(module: str) -> bool:
    """Whether `module` can be imported (a `sys.modules` entry of None counts as missing)."""
    if module in sys.modules:
        return sys.modules[module] is not None
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def missing(*needs: str) -> tuple[str, str] | None:
    """The first (package, extra) missing for any of `needs` (keys of NEEDS), or None."""
    for need in needs:
        extra, modules = NEEDS.get(need, ("", ()))
        for module in modules:
            if not installed(module):
                return PACKAGE.get(module, module), extra
    return None


def require(doing: str, *needs: str) -> None:
    """Raise E913 for the first library missing for any of `needs` (keys of NEEDS)."""
    found = missing(*needs)
    if found:
        package, extra = found
        raise MissingExtraError(f"{doing} needs the '{package}' package, which is not installed; "
                                "nothing was done",
                                hint=f"pip install 'resdsl[{extra}]' (or pip install {package})")


def data_needs(spec: str) -> str:
    """The NEEDS key of a --data SPEC (digits, cifar10:PATH, folder:PATH)."""
    return "data:" + spec.partition(":")[0]
