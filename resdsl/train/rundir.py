"""Run folders: claimed before a run writes, locked while it writes, checked before a resume.

- A new run needs an empty (or new) folder: a folder that already holds files is refused
  without `--resume` (E934), so a finished run is never rewritten and a second recipe never
  lands beside another run's checkpoint. There is no `--force` for run folders: a run folder
  is hours of work, and removing one is left to the user.
- While a run writes, its process holds an exclusive `flock` on `RUN/.lock` (the kernel
  releases it when the process ends, however it ends); a second writer is refused (E935).
- Every run gets an id, written into `recipe.toml` (a comment), each metric row (`run`) and
  `checkpoint.json` (`run_id`); `--resume` refuses a folder whose files name different runs
  (E936).
"""

from __future__ import annotations

import errno
import os
import re
import secrets
from pathlib import Path

from ..core.errors import ResdslError
from ..core.files import OutputError

LOCK_NAME = ".lock"
RUN_ID_LINE = re.compile(r"^# run id: ([0-9a-f]{8,64})$", re.MULTILINE)


class RunFolderTaken(ResdslError):
    code = "E934"


class RunFolderLocked(ResdslError):
    code = "E935"


class RunFolderMixed(ResdslError):
    code = "E936"


def exists(path: Path) -> bool:
    """Whether a path exists; a name the OS cannot hold (too long) does not."""
    try:
        return path.exists()
    except OSError:
        return False


def new_run_id() -> str:
    return secrets.token_hex(8)


def _os_reason(err: OSError) -> str:
    if err.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    return (err.strerror or str(err)).lower()


def _contents(out: Path) -> list[str]:
    try:
        return sorted(n for n in os.listdir(out) if n != LOCK_NAME)
    except FileNotFoundError:
        return []
    except OSError as err:
        raise OutputError(out, _os_reason(err)) from None


def check_new(out: Path) -> None:
    """A run that does not resume writes into a new or empty folder, nothing else."""
    if exists(out) and not out.is_dir():
        raise OutputError(out, "it exists and is not a folder")
    held = _contents(out)
    if held:
        shown = ", ".join(held[:4]) + (", ..." if len(held) > 4 else "")
        raise RunFolderTaken(f"run folder '{out}' is not empty ({shown}); nothing was written",
                             hint="continue that run with --resume, or choose a new folder with -o "
                                  "(leave -o out for a fresh runs/NETWORK-DATA-N)")


def make(out: Path) -> None:
    """Create the run folder, an OS refusal as the output error it is."""
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise OutputError(out, "it exists and is not a folder") from None
    except OSError as err:
        raise OutputError(out, _os_reason(err)) from None
    if not out.is_dir():
        raise OutputError(out, "it is not a folder")


class Lock:
    """An exclusive flock on RUN/.lock for as long as this object is open."""

    def __init__(self, out: Path):
        import fcntl

        self.path = out / LOCK_NAME
        try:
            self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        except OSError as err:
            raise OutputError(self.path, _os_reason(err)) from None
        try:
            fcntl.flock(self.fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(self.fd, 32, 0).decode(errors="replace").strip() or "another process"
            os.close(self.fd)
            raise RunFolderLocked(f"run folder '{out}' is being written by another training "
                                  f"(process {holder}); nothing was written",
                                  hint="wait for it to end, or choose another folder with -o") from None
        os.ftruncate(self.fd, 0)
        os.pwrite(self.fd, str(os.getpid()).encode(), 0)

    def release(self) -> None:
        if self.fd >= 0:
            os.close(self.fd)  # closing the descriptor drops the flock
            self.fd = -1


def recipe_run_id(text: str) -> str | None:
    found = RUN_ID_LINE.search(text)
    return found[1] if found else None


def check_same_run(out: Path, recipe_id: str | None, checkpoint_id: str | None,
                   metric_ids: set[str]) -> str:
    """The run id the folder's files agree on (a new one when none has any), else E1082."""
    named: dict[str, set[str]] = {"recipe.toml": {recipe_id} if recipe_id else set(),
                                  "checkpoint.json": {checkpoint_id} if checkpoint_id else set(),
                                  "metrics.jsonl": metric_ids}
    ids: set[str] = set().union(*named.values())
    if len(ids) > 1:
        parts = "; ".join(f"{name} names {', '.join(sorted(v))}" for name, v in named.items() if v)
        raise RunFolderMixed(f"run folder '{out}' holds files of different runs ({parts}); "
                             "nothing was resumed",
                             hint="resume a folder one run wrote, or start a new run in a new folder with -o")
    return next(iter(ids)) if ids else new_run_id()


def claim(out: Path, resume: bool) -> Lock | None:
    """Before the run's set-up: a resumed folder is locked at once; a new run's folder is only
    checked (it is made and locked by `open_new` once the set-up has succeeded, so a run refused
    on its data or network leaves no folder behind)."""
    if not resume:
        check_new(out)
        return None
    if not exists(out):
        from .checkpoint import CheckpointError

        raise CheckpointError(f"nothing to resume: '{out}' does not exist", hint="start without --resume")
    if not out.is_dir():
        raise OutputError(out, "it exists and is not a folder")
    if not (out / "checkpoint.json").exists():
        from .checkpoint import load

        load(out)  # says why there is nothing to resume (E932)
    return Lock(out)


def open_new(out: Path) -> Lock:
    """Make a new run's folder and lock it; still empty, or refused (another run since `claim`)."""
    make(out)
    lock = Lock(out)
    try:
        check_new(out)
    except BaseException:
        lock.release()
        raise
    return lock


def with_run_id(recipe_toml: str, run_id: str) -> str:
    """The resolved recipe with the run's id as a comment on its first line."""
    return f"# run id: {run_id}\n{recipe_toml}"


def resumed_run_id(out: Path, record: dict) -> str:
    """The id recipe.toml, checkpoint.json and metrics.jsonl agree on (E1082 when they do not)."""
    from .metrics import read_log

    recipe_id = None
    if (out / "recipe.toml").exists():
        from .recipe import read_recipe_text

        recipe_id = recipe_run_id(read_recipe_text(out / "recipe.toml"))
    metric_ids = {r["run"] for r in read_log(out / "metrics.jsonl") if isinstance(r.get("run"), str)}
    found = record.get("run_id")
    return check_same_run(out, recipe_id, found if isinstance(found, str) else None, metric_ids)
