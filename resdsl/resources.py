"""Where the bundled grammar, architectures and schema live, installed or in a checkout."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parent.parent


def _folder(package: str, checkout_dir: str) -> Path:
    # In a source checkout, use its folders, so that a checkout on PYTHONPATH sees its own files
    # even beside an editable install of another checkout.
    if (_CHECKOUT / "grammar" / "resdsl.lark").is_file():
        return _CHECKOUT / checkout_dir
    try:
        path = Path(str(resources.files(package)))
        if path.is_dir():
            return path
    except (ModuleNotFoundError, TypeError):
        pass
    return _CHECKOUT / checkout_dir


def grammar_file() -> Path:
    return _folder("resdsl.grammar", "grammar") / "resdsl.lark"


def architectures_dir() -> Path:
    return _folder("resdsl.architectures", "architectures")


def schema_file() -> Path:
    return Path(__file__).resolve().parent / "schema" / "ir-v1.json"
