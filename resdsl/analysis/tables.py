"""Cost reports as text: a terminal table (rich), Markdown, CSV and JSON.

Every renderer reads the dicts of resdsl.report (`report`, `family`) and nothing else, so the
formats cannot disagree. Each one states the counting convention.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Sequence

from ..core.units import human
from ..netgraph.ops import fmt as shape_text

_NUMERIC = {"macs", "params", "float_ops", "activations"}
# FLOPs are multiply-adds (the paper's); 2 x multiply-adds is shown only under its own name
FLOAT_OPS_NOTE = "; float ops: 2 x multiply-adds (one multiply and one add each), as FlopCounterMode counts"


def human_bytes(n: float) -> str:
    for unit, scale in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:g} B"


def _outputs(outputs: dict) -> str:
    if len(outputs) == 1:
        return shape_text(next(iter(outputs.values())))
    return ", ".join(f"{name} {shape_text(shape)}" for name, shape in outputs.items())


def _checks_text(checks: list[dict]) -> str:
    return f"{sum(c['ok'] for c in checks)}/{len(checks)}" if checks else "-"


def notes(data: dict, show_float_ops: bool) -> list[str]:
    """The lines under a report: convention, layout, totals, activation memory, checks."""
    mem = data["activations"]
    lines = [data["convention"] + (FLOAT_OPS_NOTE if show_float_ops else ""),
             *data["layout"]["summary"],
             f"total: {data['macs']:,} multiply-adds ({human(data['macs'])}), "
             f"{data['params']:,} params ({human(data['params'])}), {data['depth']} weighted layers",
             f"activations at batch {mem['batch']}, fp32: {human(mem['elements'])} elements "
             f"({human_bytes(mem['bytes'])}) in all layer outputs; peak {human(mem['peak_elements'])} "
             f"({human_bytes(mem['peak_bytes'])}) alive at once in inference"]
    if data["checks"]:
        lines.append(f"checks: {_checks_text(data['checks'])} pass")
    return lines


def title(data: dict) -> str:
    return (f"{data['network']} ({data['template']}), input {shape_text(data['input'])}, "
            f"output {_outputs(data['outputs'])}")


def _columns(show_float_ops: bool, show_activations: bool) -> list[tuple[str, str]]:
    """(header, row key) pairs of the visible columns."""
    cols = [("layer name", "label"), ("output size", "output"), ("structure", "structure"),
            ("multiply-adds", "macs"), ("params", "params")]
    if show_float_ops:
        cols.append(("float ops", "float_ops"))
    if show_activations:
        cols.append(("activations", "activations"))
    return cols


def _cell(row: dict, key: str) -> str:
    if key == "label":
        return row["title"] or row["name"]
    if key == "output":
        return shape_text(row["output"])
    if key in _NUMERIC:
        return human(row[key])
    return row[key]


def _total_row(data: dict) -> dict:
    rows = data["rows"]
    return {"name": "total", "kind": "total", "title": None, "output": [], "structure": "",
            "macs": data["macs"], "float_ops": data["float_ops"], "params": data["params"],
            **{key: sum(r[key] for r in rows)
               for key in ("shortcut_macs", "shortcut_params", "activations")}}


_TEXT = {"label", "output", "structure", "network", "layout", "input", "checks"}  # left-aligned


def _print(console, title: str | None, cols, rows, cell, lines, total: dict | None = None) -> None:
    """A rich table with a title above it and notes below it."""
    from rich.table import Table

    if title:
        console.print(title, highlight=False, soft_wrap=True)
    table = Table()
    for header, key in cols:
        table.add_column(header, justify="left" if key in _TEXT else "right")
    for row in rows:
        table.add_row(*(cell(row, key) for _, key in cols))
    if total is not None:
        table.add_section()
        table.add_row(*(cell(total, key) for _, key in cols), style="bold")
    console.print(table)
    for line in lines:
        console.print(line, highlight=False, soft_wrap=True)


def _markdown(title: str | None, cols, rows, cell, lines) -> str:
    """A GitHub Markdown table, its title in bold above it and its notes as a list below it."""
    out = [f"**{title}**", ""] if title else []
    out += ["| " + " | ".join(h for h, _ in cols) + " |",
            "|" + "|".join("---" if k in _TEXT else "---:" for _, k in cols) + "|"]
    out += ["| " + " | ".join(cell(row, k) for _, k in cols) + " |" for row in rows]
    return "\n".join(out + [""] + [f"- {line}" for line in lines]) + "\n"


def _csv_text(comments: list[str], header, rows) -> str:
    """`#` lines, then a CSV header and rows."""
    out = io.StringIO()
    out.writelines(f"# {line}\n" for line in comments)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def as_text(render, data: dict) -> str:
    """What `render(console, data)` prints, as a string: the `str` of a report."""
    from rich.console import Console

    # never Jupyter's console: under IPython's kernel rich would display each line itself and
    # leave the string empty
    out = io.StringIO()
    render(Console(file=out, width=120, color_system=None, highlight=False, force_jupyter=False,
                   force_terminal=False, force_interactive=False), data)
    return out.getvalue()


def print_table(console, data: dict, show_float_ops: bool = False,
                show_activations: bool = False) -> None:
    """The report as a terminal table that reads like the paper's Table 1."""
    _print(console, title(data), _columns(show_float_ops, show_activations), data["rows"], _cell,
           notes(data, show_float_ops), _total_row(data))


def markdown(data: dict, show_float_ops: bool = False, show_activations: bool = False) -> str:
    return _markdown(title(data), _columns(show_float_ops, show_activations),
                     [*data["rows"], _total_row(data)], _cell, notes(data, show_float_ops))


CSV_COLUMNS = ("name", "kind", "title", "structure", "output", "macs", "float_ops", "params",
               "shortcut_macs", "shortcut_params", "activations")


def csv_text(data: dict) -> str:
    """One line per row and a total; `#` lines first state the network and the convention."""
    rows = [[shape_text(r[k]) if k == "output" else ("" if r[k] is None else r[k])
             for k in CSV_COLUMNS] for r in [*data["rows"], _total_row(data)]]
    return _csv_text([title(data), *notes(data, False)], CSV_COLUMNS, rows)


def json_text(data: dict) -> str:
    return json.dumps(data, indent=2) + "\n"


# -- the family table ----------------------------------------------------------------------------

def _family_columns(show_float_ops: bool) -> list[tuple[str, str]]:
    cols = [("network", "network"), ("depth", "depth"), ("layout", "layout"),
            ("input", "input"), ("params", "params"), ("multiply-adds", "macs")]
    if show_float_ops:
        cols.append(("float ops", "float_ops"))
    return cols + [("checks", "checks")]


def _family_cell(net: dict, key: str) -> str:
    if key == "input":
        return shape_text(net["input"])
    if key in _NUMERIC:
        return human(net[key])
    if key == "checks":
        return _checks_text(net["checks"])
    if key == "layout":
        return net["layout"]["short"]
    return str(net[key])


def _family_notes(data: dict, show_float_ops: bool) -> list[str]:
    return [data["convention"] + (FLOAT_OPS_NOTE if show_float_ops else ""),
            "checks: expectations and budgets that hold, of those the network carries"]


def print_family(console, data: dict, show_float_ops: bool = False) -> None:
    _print(console, None, _family_columns(show_float_ops), data["networks"], _family_cell,
           _family_notes(data, show_float_ops))


def family_markdown(data: dict, show_float_ops: bool = False) -> str:
    return _markdown(None, _family_columns(show_float_ops), data["networks"], _family_cell,
                     _family_notes(data, show_float_ops))


FAMILY_CSV_COLUMNS = ("network", "template", "depth", "layers", "layout", "input", "output",
                      "macs", "float_ops", "params", "activations", "checks_passed", "checks")


def family_csv(data: dict) -> str:
    rows = [[n["network"], n["template"], n["depth"], n["layers"], n["layout"]["short"],
             shape_text(n["input"]), _outputs(n["outputs"]), n["macs"], n["float_ops"], n["params"],
             n["activations"]["elements"], sum(c["ok"] for c in n["checks"]), len(n["checks"])]
            for n in data["networks"]]
    return _csv_text(_family_notes(data, False), FAMILY_CSV_COLUMNS, rows)


# -- the diff ------------------------------------------------------------------------------------

def signed(n: int) -> str:
    """+1.85G, -6.42M, 0: a change."""
    return "0" if n == 0 else ("+" if n > 0 else "-") + human(abs(n))


def _percent(change: int, base: int) -> str:
    return f" ({change / base:+.2%})" if base and change else ""


def diff_lines(data: dict) -> list[str]:
    """Each difference on one line, `what (where): A -> B`."""
    lines = []
    for d in data["differences"]:
        if d["a"] is None or d["b"] is None:
            lines.append(f"{d['what']} ({d['where']}): {d['a'] or d['b']}")
        else:
            lines.append(f"{d['what']} ({d['where']}): {d['a']} -> {d['b']}")
    return lines or ["nothing: the two networks have the same layers and arguments"]


def diff_summary(data: dict) -> list[str]:
    t = data["totals"]
    main = t["macs_change"] - t["shortcut_macs_change"]
    return [
        f"{data['b']} minus {data['a']}: multiply-adds {signed(t['macs_change'])}"
        f"{_percent(t['macs_change'], t['a']['macs'])}, params {signed(t['params_change'])}"
        f"{_percent(t['params_change'], t['a']['params'])}",
        f"without the shortcut branches: multiply-adds {signed(main)}, params "
        f"{signed(t['params_change'] - t['shortcut_params_change'])}",
        data["convention"],
    ]


_DIFF_COLUMNS = [("row", "label"), ("multiply-adds A", "a.macs"), ("multiply-adds B", "b.macs"),
                 ("change", "macs_change"), ("in shortcuts", "shortcut_macs_change"),
                 ("params A", "a.params"), ("params B", "b.params"),
                 ("params change", "params_change")]


def _diff_cell(row: dict, key: str) -> str:
    if key == "label":
        return f"{row['name']} ({row['title']})" if row.get("title") else row["name"]
    if key.endswith("_change"):
        return signed(row[key])
    side, figure = key.split(".")
    return human(row[side][figure]) if row[side] else "-"


def print_diff(console, data: dict) -> None:
    console.print(f"{data['a']} (A) against {data['b']} (B): what differs", highlight=False)
    for line in diff_lines(data):
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    _print(console, None, _DIFF_COLUMNS, data["stages"], _diff_cell, diff_summary(data),
           {"name": "total", **data["totals"]})


def _diff_rows(data: dict) -> list[dict]:
    return [*data["stages"], {"name": "total", "title": None, **data["totals"]}]


def diff_markdown(data: dict) -> str:
    """What differs as a list, then the cost table: the source's changes first, as in the
    terminal."""
    head = [f"**{data['a']} (A) against {data['b']} (B): what differs**", ""]
    head += [f"- {line}" for line in diff_lines(data)] + ["", ""]
    return "\n".join(head) + _markdown(None, _DIFF_COLUMNS, _diff_rows(data), _diff_cell,
                                       diff_summary(data))


def diff_csv(data: dict) -> str:
    """`#` lines with what differs, then one row per stage and a total (exact counts)."""
    header = ["name", "title", "macs_a", "macs_b", "macs_change", "shortcut_macs_change",
              "params_a", "params_b", "params_change"]
    rows = [[r["name"], r.get("title") or "",
             *(r[side]["macs"] if r[side] else "" for side in ("a", "b")),
             r["macs_change"], r["shortcut_macs_change"],
             *(r[side]["params"] if r[side] else "" for side in ("a", "b")), r["params_change"]]
            for r in _diff_rows(data)]
    comments = [f"{data['a']} (A) against {data['b']} (B): what differs",
                *diff_lines(data), data["convention"]]
    return _csv_text(comments, header, rows)


# -- HTML for notebooks --------------------------------------------------------------------------

_METRIC = {"flops": "multiply-adds", "params": "params"}  # what a check's metric counts


def check_line(check: dict) -> str:
    """One check in words: `expect params 25,557,032 within 0%: 25,557,032, holds (file:line:col)`."""
    metric = _METRIC[check["metric"]]
    if check["kind"] == "budget":
        asks = f"budget: {metric} at most {check['value']:,}"
    else:
        asks = f"expect {metric} {check['value']:,} within {check['tolerance']:g}%"
    verdict = "holds" if check["ok"] else "fails"
    return f"{asks}: the network has {check['measured']:,}, {verdict} ({check['where']})"


def _html(title: str | None, cols, rows, cell, lines, total: dict | None = None,
          checks: Sequence[dict] = ()) -> str:
    """An HTML fragment: the title, the table (exact counts on hovering a figure), the notes as a
    list and each check on its own line."""
    from html import escape

    def cells(row: dict, tag: str) -> str:
        out = []
        for _, key in cols:
            text = escape(str(cell(row, key) or ""))
            exact = f' title="{row[key]:,}"' if key in _NUMERIC else ""
            side = "left" if key in _TEXT else "right"
            out.append(f'<{tag} style="text-align:{side}"{exact}>{text}</{tag}>')
        return "".join(out)

    head = "".join(f"<th>{escape(header)}</th>" for header, _ in cols)
    body = "".join(f"<tr>{cells(row, 'td')}</tr>" for row in rows)
    foot = f'<tfoot><tr class="total">{cells(total, "th")}</tr></tfoot>' if total else ""
    notes_html = "".join(f"<li>{escape(line)}</li>" for line in lines)
    items = "".join(f'<li class="{"holds" if c["ok"] else "fails"}">{escape(check_line(c))}</li>'
                    for c in checks)
    return ('<div class="resdsl-report">' + (f"<p><b>{escape(title)}</b></p>" if title else "")
            + f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody>{foot}</table>"
            + f"<ul>{notes_html}</ul>" + (f"<p>checks</p><ul>{items}</ul>" if items else "")
            + "</div>")


def html(data: dict, show_float_ops: bool = False, show_activations: bool = False) -> str:
    """The report as HTML (Jupyter's `_repr_html_`): the terminal table's title, columns, total
    row and notes, then each check in words."""
    return _html(title(data), _columns(show_float_ops, show_activations), data["rows"], _cell,
                 notes(data, show_float_ops), _total_row(data), data["checks"])


def family_html(data: dict, show_float_ops: bool = False) -> str:
    """The family table as HTML: one row per network."""
    return _html(None, _family_columns(show_float_ops), data["networks"], _family_cell,
                 _family_notes(data, show_float_ops))
