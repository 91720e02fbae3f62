"""Where the bundled grammar, architectures and schema live, installed or in a checkout.

In a checkout they are top-level folders (grammar/, architectures/); an installed package carries
them inside resdsl/ (pyproject.toml maps them there).
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent.parent  # resdsl/
_CHECKOUT = _PACKAGE.parent


def _folder(name: str) -> Path:
    # A checkout's own folders first, so that a checkout on PYTHONPATH sees its own files even
    # beside an installed copy.
    if (_CHECKOUT / "grammar" / "resdsl.lark").is_file() and (_CHECKOUT / name).is_dir():
        return _CHECKOUT / name
    return _PACKAGE / name


def grammar_file() -> Path:
    return _folder("grammar") / "resdsl.lark"


def architectures_dir() -> Path:
    return _folder("architectures")


def schema_file() -> Path:
    return _PACKAGE / "ir" / "schema" / "ir-v1.json"
