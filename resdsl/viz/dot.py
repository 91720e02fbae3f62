"""Running Graphviz's `dot`: DOT source to svg, png or pdf, written so a failure leaves no file."""

from __future__ import annotations

from pathlib import Path

import graphviz

from ..core.errors import ResdslError
from ..core.files import OutputError, write_atomic

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": "dot", ".gv": "dot"}
INSTALL_HINT = ("install Graphviz (Debian/Ubuntu: apt install graphviz; macOS: brew install graphviz; "
                "conda: conda install graphviz), or write DOT with '-o NAME.dot' and render it elsewhere")


class GraphvizError(ResdslError):
    """The drawing could not be made: `dot` is missing (E901) or failed (E902), or the file
    could not be written (E903)."""

    code = "E900"


def format_of(path: str | Path) -> str | None:
    """The output format a file name asks for, by its suffix; None if unknown."""
    return FORMATS.get(Path(path).suffix.lower())


def render(dot: graphviz.Digraph, fmt: str) -> bytes:
    """The drawing in `fmt` (svg, png, pdf or dot); only formats other than dot need the program."""
    if fmt == "dot":
        return dot.source.encode()
    try:
        return dot.pipe(format=fmt, quiet=True)
    except graphviz.ExecutableNotFound:
        raise GraphvizError(f"cannot make a {fmt} file: Graphviz's 'dot' program is not installed "
                            "(or not on PATH)", hint=INSTALL_HINT, code="E901") from None
    except graphviz.CalledProcessError as err:
        detail = (err.stderr or b"").decode(errors="replace").strip().splitlines()
        raise GraphvizError(f"Graphviz's dot failed to draw the {fmt} file"
                            + (f": {detail[-1]}" if detail else ""), code="E902") from None


def write(dot: graphviz.Digraph, path: str | Path) -> None:
    """Render by the suffix of `path` and write it atomically."""
    fmt = format_of(path)
    if fmt is None:
        raise ValueError(f"no format for {path}")
    data = render(dot, fmt)
    try:
        write_atomic(path, data)
    except OutputError as err:
        raise GraphvizError(err.message, code="E903") from None
