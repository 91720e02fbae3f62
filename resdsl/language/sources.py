"""Where source text comes from: reading a file (through `core.files.read_limited`) and finding
the file a `use` names, confined to the folders it may read.

A `.rdsl` file is often someone else's (shared, downloaded, pasted into a page later), so `use`
resolves inside the importing file's folder and the bundled library only; a folder outside them
is allowed by the user (`resdsl --allow-use DIR`, or RESDSL_USE_PATH, folders separated by
os.pathsep). A file whose name does not end in `.rdsl` is never quoted in a diagnostic.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..core.errors import LimitError, ResdslError, Source, Span, UnknownName, UseError, did_you_mean
from ..core.files import HEAD_BYTES, FileProblem, read_limited, refuse_binary
from ..core.limits import LIMITS
from ..core.resources import architectures_dir

SUFFIX = ".rdsl"
_ALLOWED: list[Path] = []  # folders the user allowed on the command line


def allow_folders(folders) -> None:
    """Let `use` read inside these folders too (the CLI's --allow-use; each command sets them)."""
    _ALLOWED[:] = [Path(f).resolve() for f in folders]


def allowed_folders() -> list[Path]:
    from_env = [Path(p).resolve() for p in os.environ.get("RESDSL_USE_PATH", "").split(os.pathsep) if p]
    return _ALLOWED + from_env


def display(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def is_private(path: Path | str) -> bool:
    """Content that is not resdsl source (by its name) is never shown in a diagnostic."""
    return not str(path).endswith(SUFFIX)


def read_source(path: Path, shown: str, at: Span | None = None) -> str:
    """The text of a source file: UTF-8 (a BOM is dropped), at most the source limit. A binary
    file (a model, weights, an image) is refused as one: before its size is judged, unless its
    name says it is meant as source (.rdsl)."""
    meant_as_source = not is_private(path)
    try:
        data = read_limited(path, LIMITS.source_bytes, "RESDSL_MAX_SOURCE_BYTES",
                            look=None if meant_as_source else lambda head: refuse_binary(path, head))
        if meant_as_source:
            refuse_binary(path, data[:HEAD_BYTES])
    except FileProblem as problem:
        if problem.kind == "binary":
            raise UseError(f"cannot read {shown}: not a resdsl source ({problem.reason})", at, code="E508",
                           hint=_binary_hint(path)) from None
        if problem.kind == "too_large":
            raise LimitError(f"cannot read {shown}: {problem.reason}", at, code="E601") from None
        code = {"missing": "E501", "not_regular": "E505"}.get(problem.kind, "E504")
        raise UseError(f"cannot read {shown}: {problem.reason}", at, code=code) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as err:
        line = data[: err.start].count(b"\n") + 1
        column = err.start - (data.rfind(b"\n", 0, err.start) + 1) + 1
        source = Source(shown, data.decode("utf-8", "replace"), private=is_private(path))
        raise UseError("the file is not UTF-8 text", Span(source, line, column, line, column + 1),
                       code="E503", hint="save the file as UTF-8") from None


def _binary_hint(path: Path) -> str:
    suffix = Path(path).suffix.lower()
    if suffix in (".onnx", ".safetensors", ".pt", ".pth", ".ckpt"):
        return ("a model or weights file is made from a network: give the network's .rdsl file, "
                "a bundled name ('resdsl list') or its JSON IR")
    return "give a .rdsl file, a bundled name ('resdsl list') or the JSON IR ('resdsl compile -o net.json')"


def not_found(written: str, bundled: list[str]) -> ResdslError:
    """The error for a FILE argument that is neither a file nor a bundled name: a folder is called
    one; a file of that name with .rdsl, or a close bundled name, is suggested."""
    path = Path(written)
    if path.is_dir():
        inside = sorted(p.name for p in path.glob(f"*{SUFFIX}"))[:5]
        hint = (f"give one of its files, e.g. {os.path.join(written, inside[0])}" if inside
                else "give a .rdsl file, or a name from 'resdsl list'")
        return UseError(f"'{written}' is a folder, not a resdsl source", None, code="E505", hint=hint)
    hints = []
    if not written.endswith(SUFFIX) and Path(written + SUFFIX).is_file():
        hints.append(f"did you mean the file '{written}{SUFFIX}'? (a name without {SUFFIX} is "
                     "a bundled network)")
    close = did_you_mean(written, bundled)
    if close:
        hints.append(f"{close[:-1]} (bundled)?" if hints else close)
    hint = "; or ".join(hints) or "give a path to a .rdsl file, or a name from 'resdsl list'"
    return UnknownName(f"no file or bundled network named '{written}'", None, hint=hint, code="E204")


def find_use(target: str, span: Span, here: Path | None) -> Path:
    """The file `use "target"` names: in the importing file's folder, then the bundled library;
    anywhere else only inside a folder the user allowed."""
    home = (here.parent if here else Path.cwd()).resolve()
    roots = [home, architectures_dir().resolve()] + allowed_folders()
    written = Path(target)
    candidates = [written] if written.is_absolute() else [home / written, architectures_dir() / written]
    candidates += [root / written for root in allowed_folders() if not written.is_absolute()]
    refused = None
    for candidate in candidates:
        try:
            os.lstat(candidate)
            resolved = candidate.resolve()
        except FileNotFoundError:
            continue
        except (OSError, RuntimeError, ValueError) as err:  # a name too long, a symlink loop, NUL
            reason = (getattr(err, "strerror", None) or str(err)).lower()
            raise UseError(f"cannot read '{_short(target)}': {reason}", span, code="E504") from None
        if not any(resolved == root or root in resolved.parents for root in roots):
            refused = refused or resolved
            continue
        return resolved
    if refused is not None:
        raise UseError(f"'use' may not read '{_short(target)}': it is outside this file's folder and the "
                       "bundled library", span, code="E506",
                       hint="allow its folder with 'resdsl --allow-use FOLDER' or RESDSL_USE_PATH")
    raise UseError(f"cannot find '{_short(target)}'", span, code="E501",
                   hint=did_you_mean(target, _neighbours(home)) or
                   "'use' looks in this file's folder, then in the bundled architectures "
                   "(see 'resdsl list')")


def _short(text: str, most: int = 80) -> str:
    return text if len(text) <= most else text[:most] + f"... ({len(text)} characters)"


def _neighbours(home: Path) -> list[str]:
    names = set()
    for folder in (home, architectures_dir()):
        try:
            names |= {p.name for p in folder.glob(f"*{SUFFIX}")}
        except OSError:
            continue
    return sorted(names)
