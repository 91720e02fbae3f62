"""What can go wrong in an import, each with its code (the catalogue explains them)."""

from __future__ import annotations

from ..core.errors import ResdslError


class UnsayableError(ResdslError):
    """A module or function of the source that no op of the language computes: reported by name
    and module path, never dropped."""

    code = "E1030"


class TraceError(ResdslError):
    """The model could not be traced into a graph of layers."""

    code = "E1031"


class SourceError(ResdslError):
    """SRC names nothing that can be imported (no such module, file or callable)."""

    code = "E1032"


class CallArgumentsError(ResdslError):
    """The call in SRC (`build(depth=50)`) has arguments that are not plain literals."""

    code = "E1033"


class MismatchError(ResdslError):
    """The imported text compiles to a network that differs from the source."""

    code = "E1034"


class FormatError(ResdslError):
    """An ONNX or prototxt file that cannot be read as a network."""

    code = "E1035"
