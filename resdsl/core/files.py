"""Reading inputs and writing outputs safely.

Reading: `read_limited` is the one way a source or an IR file is read. It opens only regular
files (a FIFO, a device or a folder is refused before it can hang or stream), checks the size
before reading and reads at most the limit + 1 bytes.

Writing: a command that fails leaves no partial file and no changed file. `atomic_path` writes
beside the target and moves the result onto it; `Staged` holds several such temporaries and moves
them all only once every artifact is written. Temporaries carry the writer's pid
(`.NAME.resdsl-PID-XXXX.tmp`): a later write to the same target removes those of dead processes
(a SIGKILL leaves them), and SIGTERM/SIGINT remove those of the running one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import secrets
import signal
import stat
import threading
from pathlib import Path
from typing import Callable, Iterator

from .errors import ResdslError, clip


class FileProblem(Exception):
    """Why a file could not be read, in the OS's words; callers turn it into their diagnostic."""

    def __init__(self, path: str | Path, reason: str, kind: str):
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason
        self.kind = kind  # "missing", "not_regular", "os", "too_large", "binary"


_KINDS = {stat.S_IFDIR: "a folder", stat.S_IFIFO: "a pipe (FIFO)", stat.S_IFCHR: "a device",
          stat.S_IFBLK: "a device", stat.S_IFSOCK: "a socket"}


HEAD_BYTES = 8192  # what `look` sees of a file before its size is judged


def read_limited(path: str | Path, limit: int, variable: str,
                 look: Callable[[bytes], None] | None = None) -> bytes:
    """The bytes of a regular file of at most `limit` bytes (`variable` raises the limit).
    `look` sees the first bytes before the size check, so that a reader of text can refuse a
    binary file as what it is rather than as too large (it raises FileProblem)."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; the fstat below refuses it
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except OSError as err:
        kind = "missing" if err.errno == errno.ENOENT else "os"
        raise FileProblem(path, _reason(err), kind) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = _KINDS.get(stat.S_IFMT(info.st_mode), "not a regular file")
            raise FileProblem(path, f"it is {what}, not a regular file", "not_regular")
        os.set_blocking(fd, True)
        if look is not None:
            look(os.pread(fd, HEAD_BYTES, 0))
        too_large = f"it is larger than the limit of {limit:,} bytes; raise it with {variable}"
        if info.st_size > limit:
            raise FileProblem(path, too_large, "too_large")
        chunks, size = [], 0
        while size <= limit:  # st_size can lie (/proc): read until EOF or past the limit
            chunk = os.read(fd, min(1 << 20, limit + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > limit:
            raise FileProblem(path, too_large, "too_large")
        return b"".join(chunks)
    except OSError as err:
        raise FileProblem(path, _reason(err), "os") from None
    finally:
        os.close(fd)


# what a binary file given as source usually is: by its first bytes, else by its suffix
_SIGNATURES = {b"\x89PNG": "a PNG image", b"\xff\xd8\xff": "a JPEG image", b"GIF8": "a GIF image",
               b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip archive",
               b"\x7fELF": "a program", b"%PDF": "a PDF document"}
_SUFFIXES = {".onnx": "an ONNX model", ".safetensors": "safetensors weights",
             ".pt": "PyTorch weights", ".pth": "PyTorch weights", ".ckpt": "a checkpoint",
             ".npz": "NumPy arrays", ".npy": "a NumPy array", ".pkl": "a pickle"}
_CONTROL = frozenset(range(32)) - set(b"\t\n\r\f\v\x1b")


def refuse_binary(path: str | Path, head: bytes) -> None:
    """Raise FileProblem("binary") when a file's first bytes are not text: a NUL byte (text in
    UTF-8 has none), a known signature, or more than one byte in ten a control character."""
    kind = next((what for magic, what in _SIGNATURES.items() if head.startswith(magic)), None)
    controls = sum(byte in _CONTROL for byte in head)
    if kind is None and b"\0" not in head and controls * 10 <= len(head):
        return
    kind = kind or _SUFFIXES.get(Path(path).suffix.lower())
    raise FileProblem(path, f"binary, {kind}" if kind else "binary", "binary")


def _reason(err: OSError) -> str:
    return (err.strerror or str(err)).lower() if err.strerror else str(err)


# -- writing -----------------------------------------------------------------------------------

class OutputError(ResdslError):
    """An output that cannot be written, in the OS's words."""

    code = "E920"

    def __init__(self, path: str | Path, reason: str):
        super().__init__(f"cannot write {clip(str(path), 300)}: {reason}",
                         hint="choose another -o, or a folder you can write to")
        self.path = str(path)
        self.reason = reason


class OverwriteError(ResdslError):
    """An output that already exists, and the command was not told to replace it."""

    code = "E921"

    def __init__(self, path: str | Path, option: str):
        super().__init__(f"{path} already exists; nothing was written",
                         hint=f"pass --force to replace it, or choose another {option}")


class OutputIsInputError(ResdslError):
    """An output that names one of the command's own inputs: writing it would destroy the input."""

    code = "E922"

    def __init__(self, path: str | Path, option: str, source: str):
        super().__init__(f"{option} {path} is the file this command reads as {source}; "
                         "nothing was written",
                         hint=f"choose another {option}: a command never writes over what it reads "
                              "(not even with --force)")


def same_file(a: str | Path, b: str | Path) -> bool:
    """Whether two paths name one file: by resolved path, and by inode where both exist (a hard
    link or a symlink resolved differently)."""
    a, b = Path(a), Path(b)
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)
    except OSError:
        return False


def check_outputs(outputs: dict[str, str | Path | None], inputs: dict[str, str | Path | None],
                  force: bool = False) -> None:
    """Before any work: no output (by option, e.g. {'-o': path}) is one of the inputs (by option),
    and none replaces an existing file unless `force`."""
    for option, out in outputs.items():
        if out is None:
            continue
        for source, given in inputs.items():
            if given is not None and same_file(out, given):
                raise OutputIsInputError(out, option, source)
        if not force and Path(out).exists() and not Path(out).is_dir():
            raise OverwriteError(out, option)


_LIVE: set[Path] = set()   # temporaries of this process, removed on SIGTERM/SIGINT
_LOCK = threading.Lock()
_TEMPORARY = re.compile(r"^\.(?P<name>.+)\.resdsl-(?P<pid>\d+)-[A-Za-z0-9_]+\.tmp$")


def _temporary(path: Path) -> Path:
    _check_parent(path)
    _remove_stale(path)
    _install_signal_handlers()
    # named and registered before it exists: a signal between creating it and registering it
    # would otherwise leave it behind
    for _ in range(100):
        tmp_path = path.parent / f".{path.name}.resdsl-{os.getpid()}-{secrets.token_hex(4)}.tmp"
        with _LOCK:
            _LIVE.add(tmp_path)
        try:
            os.close(os.open(tmp_path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
            return tmp_path
        except FileExistsError:
            _discard_name(tmp_path)
        except OSError as err:
            _discard_name(tmp_path)
            raise OutputError(path, _reason(err)) from None
    raise OutputError(path, "no free name for a temporary file beside it")


def _discard_name(tmp: Path) -> None:
    with _LOCK:
        _LIVE.discard(tmp)


def _check_parent(path: Path) -> None:
    parent = path.parent
    for folder in (parent, *parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OutputError(path, f"{folder} is not a folder")
            break
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(path, _reason(err)) from None
    if path.is_dir():
        raise OutputError(path, "it is a folder")


def _remove_stale(path: Path) -> None:
    """Temporaries for `path` left by processes that no longer run (killed with SIGKILL)."""
    try:
        entries = os.listdir(path.parent)
    except OSError:
        return
    for entry in entries:
        m = _TEMPORARY.match(entry)
        if m and m.group("name") == path.name and not _alive(int(m.group("pid"))):
            with contextlib.suppress(OSError):
                os.unlink(path.parent / entry)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


def _discard(tmp: Path) -> None:
    with _LOCK:
        _LIVE.discard(tmp)
    tmp.unlink(missing_ok=True)


def _commit(tmp: Path, path: Path) -> None:
    try:
        with open(tmp, "rb+") as f:
            os.fsync(f.fileno())
        # what open() would give; a writer that made its own file (safetensors) may have left 0600
        tmp.chmod(0o666 & ~_umask())
        os.replace(tmp, path)
    except OSError as err:
        raise OutputError(path, _reason(err)) from None
    with _LOCK:
        _LIVE.discard(tmp)


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """A temporary path beside `path`; moved onto it only if the block succeeds."""
    path = Path(path)
    tmp = _temporary(path)
    try:
        yield tmp
        _commit(tmp, path)
    except OSError as err:
        raise OutputError(path, _reason(err)) from None
    finally:
        _discard(tmp)


def write_atomic(path: str | Path, data: str | bytes) -> None:
    with atomic_path(path) as tmp:
        tmp.write_bytes(data.encode() if isinstance(data, str) else data)


class Staged:
    """Several outputs written all or none: `path(target)` gives a temporary for each, `commit()`
    moves them all; leaving the `with` block without `commit()` removes them, and the targets
    stay as they were."""

    def __init__(self):
        self._pending: list[tuple[Path, Path]] = []

    def __enter__(self) -> "Staged":
        return self

    def path(self, target: str | Path) -> Path:
        target = Path(target)
        tmp = _temporary(target)
        self._pending.append((tmp, target))
        return tmp

    def commit(self) -> None:
        for tmp, target in self._pending:
            _commit(tmp, target)
        self._pending = []

    def __exit__(self, *exc) -> None:
        for tmp, _ in self._pending:
            _discard(tmp)
        self._pending = []


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


# -- signals -----------------------------------------------------------------------------------

_INSTALLED = False


def _install_signal_handlers() -> None:
    """On SIGTERM, SIGINT or SIGHUP: remove this process's temporaries, then end as the signal
    would. Handlers someone else installed are kept (and called)."""
    global _INSTALLED
    if _INSTALLED or threading.current_thread() is not threading.main_thread():
        return
    _INSTALLED = True
    for signum in (signal.SIGTERM, signal.SIGINT, getattr(signal, "SIGHUP", None)):
        if signum is None:
            continue
        previous = signal.getsignal(signum)
        if previous in (signal.SIG_IGN, None):
            continue
        signal.signal(signum, _handler(previous))


def _handler(previous):
    def handle(signum, frame):
        remove_temporaries()
        if callable(previous):
            previous(signum, frame)  # Python's SIGINT handler: KeyboardInterrupt
            return
        signal.signal(signum, signal.SIG_DFL)  # end as the signal would, exit status and all
        os.kill(os.getpid(), signum)
    return handle


def remove_temporaries() -> None:
    with _LOCK:
        live = list(_LIVE)
        _LIVE.clear()
    for tmp in live:
        with contextlib.suppress(OSError):
            tmp.unlink()
