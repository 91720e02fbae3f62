"""`resdsl list`'s output: the catalogue's rows as a table (as wide as the terminal says),
JSON, CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json

from ..core.units import human
from .common import shape_text, table_width

# (header, how a row shows it) per listing
_NETWORK_COLUMNS = [
    ("network", lambda r: r["network"]), ("file", lambda r: r["file"]),
    ("input", lambda r: shape_text(r["input"])),
    ("output", lambda r: ", ".join(shape_text(s) if len(r["outputs"]) == 1 else f"{k} {shape_text(s)}"
                                   for k, s in r["outputs"].items())),
    ("params", lambda r: f"{r['params']:,}"), ("multiply-adds", lambda r: human(r["macs"])),
]
_BLOCK_COLUMNS = [
    ("name", lambda r: r["name"]), ("kind", lambda r: r["kind"]), ("file", lambda r: r["file"]),
    ("parameters", lambda r: ", ".join(r["parameters"])),
]
_RIGHT = {"params", "multiply-adds"}
# CSV is read by programs: exact integers there, as `flops --format csv` writes them
_EXACT = {"params": "params", "multiply-adds": "macs"}


def render_listing(rows: list[dict], what: str, fmt: str, pattern: str | None) -> str:
    columns = _NETWORK_COLUMNS if what == "networks" else _BLOCK_COLUMNS
    if fmt == "json":
        return json.dumps(rows, indent=2) + "\n"
    cells = [[show(row) for _, show in columns] for row in rows]
    headers = [h for h, _ in columns]
    if fmt == "csv":
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(headers)
        writer.writerows([[str(row[_EXACT[h]]) if h in _EXACT else cell for h, cell in zip(headers, line)]
                          for row, line in zip(rows, cells)])
        return out.getvalue()
    if fmt == "markdown":
        lines = ["| " + " | ".join(headers) + " |",
                 "|" + "|".join("---:" if h in _RIGHT else "---" for h in headers) + "|"]
        return "\n".join(lines + ["| " + " | ".join(c) + " |" for c in cells]) + "\n"
    return _table(headers, cells, what, pattern)


def _table(headers: list[str], cells: list[list[str]], what: str, pattern: str | None) -> str:
    from rich.console import Console
    from rich.table import Table

    title = f"bundled {'blocks and templates' if what == 'blocks' else 'architectures'}"
    if pattern:
        title += f" matching '{pattern}'"
    if not cells:
        return f"no {title.removeprefix('bundled ')}\n"
    width = table_width()
    # a narrow terminal drops the columns a name does not need, then everything wraps
    dropped = {h for h, narrower in (("file", 110), ("input", 90)) if width < narrower}
    keep = [i for i, h in enumerate(headers) if h not in dropped]
    headers, cells = [headers[i] for i in keep], [[row[i] for i in keep] for row in cells]
    table = Table(title=title, title_justify="left")
    for header in headers:
        # names and figures whole; a backbone's taps and long parameter lists wrap
        table.add_column(header, justify="right" if header in _RIGHT else "left",
                         no_wrap=header not in ("output", "parameters"))
    for row in cells:
        table.add_row(*row)
    out = io.StringIO()
    Console(file=out, width=width, color_system=None, highlight=False).print(table)
    return "".join(line.rstrip() + "\n" for line in out.getvalue().splitlines())
