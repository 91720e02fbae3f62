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


def read_json(name: str) -> Any:
    """An entry as it was written, or None when there is none or it cannot be read whole."""
    folder = cache_folder()
    if folder is None:
        return None
    try:
        return json.loads((folder / name).read_text(encoding="utf-8"))
    except (OSError, ValueError):  # absent, unreadable, cut short or not JSON
        return None


def write_json(name: str, value: Any) -> None:
    """Write an entry atomically (a reader sees the old one or the new one, never half), or
    nothing when the folder cannot take it."""
    folder = cache_folder()
    if folder is None:
        return
    tmp = folder / f".{name}.{os.getpid()}.tmp"
    try:
        tmp.write_text(json.dumps(value), encoding="utf-8")
        os.replace(tmp, folder / name)
    except OSError:
        try:
            tmp.unlink()
        except OSError:
            pass
