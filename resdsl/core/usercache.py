"""resdsl's folder in the user's cache ($XDG_CACHE_HOME/resdsl, else ~/.cache/resdsl): what is
worth keeping between runs, never what a run needs. A missing, unwritable, stale or damaged entry
costs only the time to build it again."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


def cache_folder() -> Path | None:
    """The folder, made if missing; None when there is no usable one (no home, read-only)."""
    try:
        folder = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "resdsl"
        folder.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):
        return None
    return folder


def read_bytes(name: str) -> bytes | None:
    """An entry as it was written, or None when there is none or it cannot be read."""
    folder = cache_folder()
    if folder is None:
        return None
    try:
        return (folder / name).read_bytes()
    except OSError:
        return None


def write_bytes(name: str, data: bytes) -> None:
    """Write an entry atomically (a reader sees the old one or the new one, never half), or
    nothing when the folder cannot take it."""
    folder = cache_folder()
    if folder is None:
        return
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.write_bytes(data)
        os.replace(tmp, folder / name)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass


def read_json(name: str) -> Any:
    """A JSON entry, or None when there is none or it is not whole JSON."""
    data = read_bytes(name)
    try:
        return None if data is None else json.loads(data)
    except ValueError:  # cut short, or not JSON
        return None


def write_json(name: str, value: Any) -> None:
    write_bytes(name, json.dumps(value).encode())


def drop(pattern: str, keep: str, spare: int = 3) -> None:
    """Remove the entries matching a glob `pattern` (what a newer version replaced) but `keep`
    and the `spare` others written last: two checkouts or versions sharing the folder then keep
    their own entries instead of writing over each other's at every run."""
    folder = cache_folder()
    if folder is None:
        return
    others = []
    for path in folder.glob(pattern):
        try:
            if path.name != keep:
                others.append((path.stat().st_mtime, path))
        except OSError:  # removed meanwhile
            pass
    for _, path in sorted(others, reverse=True)[spare:]:
        try:
            path.unlink()
        except OSError:
            pass
