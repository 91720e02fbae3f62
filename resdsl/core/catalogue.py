"""The catalogue of error codes: what each means, an input that causes it, and the fix.

The entries are data (catalogue.toml, shipped in the package) read only by `resdsl explain` and
the docs page; raising or rendering an error never loads them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

CODE = re.compile(r"E\d{3,4}")
FAMILIES = {  # the hundreds digit: which stage of the pipeline found the problem
    "E0": "Any error", "E1": "Syntax", "E2": "Names", "E3": "Arguments and values",
    "E4": "Shapes", "E5": "Files and 'use'", "E6": "Limits", "E7": "Budgets and expectations",
    "E8": "The IR (JSON)", "E9": "Outputs, PyTorch and training",
    "E10": "Tools around the compiler (formatting, editors, the playground, import)",
    "E11": "The zoo, import, runs and training recipes",
}


def family_of(code: str) -> str:
    """`E202` -> `E2`; four-digit codes by their first two digits: `E1030` -> `E10`."""
    return code[:3] if len(code) == 5 else code[:2]


@dataclass(frozen=True)
class Entry:
    code: str
    title: str  # one line
    text: str  # what it means, in a paragraph or two
    example: str  # a .rdsl file (or a command, prefixed with '$ ') that causes it
    fix: str
    lang: str = "rdsl"  # of the example: rdsl, console (a command), json or toml
    runs: bool = True  # the example is a whole .rdsl file that raises this code (tests run it)
    reserved: bool = False  # a code no error carries any more; kept so it is never reused


@cache
def entries() -> dict[str, Entry]:
    import tomllib

    data = tomllib.loads((Path(__file__).parent / "catalogue.toml").read_text(encoding="utf-8"))
    found = {}
    for code, fields in sorted(data.items(), key=lambda item: int(item[0][1:])):
        example = fields.get("example", "").strip("\n")
        lang = "console" if example.startswith("$ ") else fields.get("lang", "rdsl")
        found[code] = Entry(code, fields["title"], fields["text"].strip(), example,
                            fields.get("fix", "").strip(), lang,
                            fields.get("runs", lang == "rdsl" and bool(example)),
                            fields.get("reserved", False))
    return found


def normalise(code: str) -> str:
    """'e202', '202' and 'E202' are one code."""
    code = code.strip().upper()
    return f"E{code}" if code.isdigit() else code


def text_form(entry: Entry) -> str:
    """What `resdsl explain CODE` prints."""
    out = [f"{entry.code}: {entry.title}", "", entry.text]
    if entry.example:
        out += ["", "For example:", "", *("    " + line if line else "" for line in entry.example.split("\n"))]
    if entry.fix:
        out += ["", "Fix: " + entry.fix]
    return "\n".join(out)


def listing() -> str:
    """What `resdsl explain` with no code prints: every code and its title, by family."""
    out: list[str | None] = []
    group = None
    for entry in entries().values():
        if family_of(entry.code) != group:
            group = family_of(entry.code)
            out += ["" if out else None, FAMILIES[group]]
        out.append(f"  {entry.code}  {entry.title}" + ("  (reserved)" if entry.reserved else ""))
    return "\n".join(line for line in out if line is not None)


def markdown() -> str:
    """The catalogue as docs/errors.md shows it, between its generated-region markers."""
    out, group = [], None
    for entry in entries().values():
        if family_of(entry.code) != group:
            group = family_of(entry.code)
            out += [f"### {group}xx: {FAMILIES[group]}", ""]
        out += [f"#### {entry.code}: {entry.title}" + (" (reserved)" if entry.reserved else ""), "",
                entry.text, ""]
        if entry.example:
            body = entry.example
            if entry.lang == "console":  # a shell fence: the docs tests run console fences only
                body = "\n".join(line[2:] if line.startswith("$ ") else line for line in body.split("\n"))
            fence = "shell" if entry.lang == "console" else entry.lang
            out += ["For example:", "", f"```{fence}", body, "```", ""]
        if entry.fix:
            out += [f"Fix: {entry.fix}", ""]
    return "\n".join(out).rstrip("\n") + "\n"
