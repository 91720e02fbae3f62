"""The bundled library's syntax trees, kept in the user's cache: a command that builds resnet50
unpickles two small trees instead of loading Lark's tables and parsing the files. Keyed by the
file's text, the name it is shown under and the front end's own code (`front_end_key`); anything
else found under that key (stale, cut short, not a tree) is parsed again and written over."""

from __future__ import annotations

import functools
import hashlib
import pickle
from pathlib import Path
from typing import Callable

from ..core import usercache
from ..core.resources import architectures_dir, grammar_file
from ..core.version import __version__
from . import ast


def is_bundled(path: Path) -> bool:
    return path.parent == architectures_dir()


def cached_tree(path: Path, text: str, shown: str, parse: Callable[[], ast.Module]) -> ast.Module:
    """The tree of a bundled file: from the cache, or `parse()` and then kept."""
    digest = hashlib.sha256(front_end_key().encode())
    for part in (shown, text):
        digest.update(b"\0" + part.encode())
    name = f"tree-{path.stem}-{digest.hexdigest()[:32]}.pickle"
    data = usercache.read_bytes(name)
    if data is not None:
        try:
            tree = pickle.loads(data)  # the user's own cache folder, as Lark's tables
        except Exception:  # noqa: BLE001  (a damaged entry is any error: parse again)
            tree = None
        if isinstance(tree, ast.Module) and tree.source.text == text:
            return tree
    tree = parse()
    usercache.write_bytes(name, pickle.dumps(tree, protocol=pickle.HIGHEST_PROTOCOL))
    usercache.drop(f"tree-{path.stem}-*.pickle", keep=name)
    return tree


@functools.lru_cache(maxsize=1)
def front_end_key() -> str:
    """A hash of resdsl's version, the grammar and the language's modules (those that turn text
    into trees and names among them): two checkouts, or an upgrade, sharing one cache never read
    each other's trees."""
    digest = hashlib.sha256(__version__.encode())
    for path in [grammar_file(), *sorted(Path(__file__).parent.glob("*.py"))]:
        try:
            digest.update(b"\0" + path.read_bytes())
        except OSError:  # no source beside the bytecode: the version alone
            digest.update(b"\0?")
    return digest.hexdigest()
