"""One error root for everything a user can cause, each error carrying where it happened."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence


@dataclass(eq=False)
class Source:
    """A text and the name it is shown under (a path, or '<string>')."""

    name: str
    text: str
    private: bool = False  # content never shown (a file that is not resdsl source)

    def line(self, number: int) -> str:
        if self.private:
            return ""
        lines = self.__dict__.get("_lines")
        if lines is None:  # split once: a file with many errors renders each
            lines = self.__dict__["_lines"] = self.text.split("\n")
        return lines[number - 1].rstrip("\r") if 0 < number <= len(lines) else ""


@dataclass(frozen=True)
class Span:
    """A region of a source: 1-based line and column, end column exclusive."""

    source: Source = field(compare=False, repr=False)
    line: int
    column: int
    end_line: int
    end_column: int

    @property
    def file(self) -> str:
        return self.source.name

    def to_json(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column}

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


class ResdslError(Exception):
    """An error in the user's input: a message, where, and how to fix it; `notes` say where
    else it comes from (the user's call of a library template), rustc style."""

    code = "E000"

    def __init__(self, message: str, span: Span | None = None, hint: str | None = None,
                 code: str | None = None):
        super().__init__(message)
        self.message = message
        self.span = span
        self.hint = hint
        self.notes: list[tuple[str, Span]] = []
        if code:
            self.code = code

    @property
    def errors(self) -> list["ResdslError"]:
        return [self]

    def render(self) -> str:
        return render(self.errors)

    def to_json(self, severity: str = "error", rendered: str | None = None) -> dict:
        """The machine form of this one diagnostic (schema: core/schema/diagnostics-v1.json)."""
        return {"code": self.code, "severity": severity, "message": self.message,
                "span": self.span.to_json() if self.span else None, "hint": self.hint,
                "notes": [{"message": text, "span": at.to_json() if at else None}
                          for text, at in self.notes],
                "rendered": rendered or render_one(self)}

    def __str__(self) -> str:
        # the whole diagnostic, as the command line prints it: in a notebook or a traceback the
        # place, the source line and the hint are not lost (`.message` is the bare message)
        return self.render()

    def __repr__(self) -> str:
        where = f" at {self.span}" if self.span else ""
        return f"{type(self).__name__}({self.code}{where}: {self.message!r})"


class ParseError(ResdslError):
    code = "E100"


class UnknownName(ResdslError):
    code = "E200"


class ArgumentError(ResdslError):
    code = "E300"


class ShapeError(ResdslError):
    code = "E400"


class UseError(ResdslError):
    code = "E500"


class LimitError(ResdslError):
    code = "E600"


class CheckError(ResdslError):
    """A budget exceeded or an expectation not met."""

    code = "E700"


class IRError(ResdslError):
    code = "E800"


class ExportError(ResdslError):
    """A PyTorch artifact that cannot be written (a missing package, an unsupported module)."""

    code = "E910"


class ErrorGroup(ResdslError):
    """Several independent errors, reported together."""

    def __init__(self, errors: Sequence[ResdslError]):
        flat = [e for err in errors for e in err.errors]
        super().__init__(flat[0].message if flat else "no errors", flat[0].span if flat else None)
        self._errors = flat

    @property
    def errors(self) -> list[ResdslError]:
        return self._errors


def given_twice(name: str, span: Span | None) -> ArgumentError:
    """One argument (or option) given twice in one call, said alike wherever it is found."""
    return ArgumentError(f"'{name}' is given twice", span, code="E309")


def raise_all(errors: Sequence[ResdslError]) -> None:
    """Raise nothing, the one error, or all of them as a group."""
    if len(errors) == 1:
        raise errors[0]
    if errors:
        raise ErrorGroup(errors)


DIAGNOSTICS_VERSION = 1  # of the JSON document below; a new field is not a new version


def json_document(errors: list[ResdslError], warnings: Sequence[tuple[ResdslError, str]] = ()) -> dict:
    """What `--error-format json` prints: every diagnostic of one run, warnings (each with why
    it is only a warning, e.g. '--no-check') first."""
    return {"version": DIAGNOSTICS_VERSION,
            "diagnostics": [w.to_json("warning", render_warning(w, why)) for w, why in warnings]
            + [e.to_json() for e in errors]}


def render_warning(error: ResdslError, why: str) -> str:
    """An error the user chose to pass over, as the human form prints it."""
    return f"warning ({why}): {render_one(error)}"


WIDEST = 160  # characters of a source line shown; a longer one is cut around the caret


def _quote(span: Span) -> list[str]:
    """The source line with a gutter and a caret under the span (nothing for private sources)."""
    text = span.source.line(span.line)
    if span.source.private or span.line < 1:
        return []
    column = max(1, span.column)
    width = (span.end_column - column) if span.end_line == span.line else len(text) - column + 1
    width = max(1, min(width, WIDEST // 2))
    start = 0
    if len(text) > WIDEST:  # a 1 MB line: show a window around the caret
        start = max(0, min(column - 1 - WIDEST // 4, len(text) - WIDEST))
        shown = ("..." if start else "") + text[start:start + WIDEST] + \
            ("..." if start + WIDEST < len(text) else "")
        prefix = 3 if start else 0
    else:
        shown, prefix = text, 0
    gutter = str(span.line)
    pad = " " * len(gutter)
    # Keep tabs in the padding so the caret lines up under tab-indented source.
    lead = " " * prefix + "".join(ch if ch == "\t" else " " for ch in text[start: column - 1])
    return [f" {gutter} | {shown}", f" {pad} | {lead}{'^' * width}"]


def render_one(error: ResdslError) -> str:
    """gcc/rustc style: location, message, the source line with a caret, notes, a hint."""
    span = error.span
    head = f"error[{error.code}]: {error.message}"
    out = [head] if span is None else [f"{span}: {head}", *_quote(span)]
    for text, at in error.notes:
        out.append(f"  note: {text} at {at}")
        out.extend(_quote(at))
    if error.hint:
        out.append(f"  help: {error.hint}")
    return "\n".join(out)


def render(errors: list[ResdslError]) -> str:
    body = "\n\n".join(render_one(e) for e in errors)
    if len(errors) > 1:
        body += f"\n\n{len(errors)} errors"
    return body


def clip(text: str, limit: int = 80) -> str:
    """User text as a diagnostic shows it: a 900 KB token or path is not echoed whole."""
    text = str(text)
    return text if len(text) <= limit else f"{text[:limit]}... ({len(text):,} characters)"


def did_you_mean(name: str, candidates, aliases: dict[str, str] | None = None) -> str | None:
    """A hint naming the closest known name, or a known alias from other frameworks."""
    import difflib

    if aliases and name.lower() in aliases and aliases[name.lower()] in candidates:
        return f"did you mean '{aliases[name.lower()]}'?"
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else None
