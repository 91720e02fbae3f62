"""Cost reports as text: a terminal table (rich), Markdown, CSV and JSON.

Every renderer reads the dicts of resdsl.report (`report`, `family`) and nothing else, so the
formats cannot disagree. Each one states the counting convention.
"""

from __future__ import annotations

import csv
import io
import json

from .ops import fmt as shape_text
from .units import human

_NUMERIC = {"macs", "params", "flops", "activations"}


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


def notes(data: dict, show_flops: bool) -> list[str]:
    """The lines under a report: convention, layout, totals, activation memory, checks."""
    mem = data["activations"]
    lines = [data["convention"] + ("; FLOPs column: 2 x multiply-adds" if show_flops else ""),
             *data["layout"]["summary"],
             f"total: {data['macs']:,} multiply-adds ({human(data['macs'])}), "
             f"{data['params']:,} params ({human(data['params'])}), {data['depth']} weighted layers",
             f"activations at batch {mem['batch']}, fp32: {human(mem['elements'])} elements "
             f"({human_bytes(mem['bytes'])}) in all layer outputs; peak {human(mem['peak_elements'])} "
             f"({human_bytes(mem['peak_bytes'])}) alive at once in inference"]
    if data["checks"]:
        lines.append(f"checks: {_checks_text(data['checks'])} pass")
    return lines


def _title(data: dict) -> str:
    return (f"{data['network']} ({data['template']}), input {shape_text(data['input'])}, "
            f"output {_outputs(data['output'])}")


def _columns(show_flops: bool, show_activations: bool) -> list[tuple[str, str]]:
    """(header, row key) pairs of the visible columns."""
    cols = [("layer name", "label"), ("output size", "output"), ("structure", "structure"),
            ("multiply-adds", "macs"), ("params", "params")]
    if show_flops:
        cols.append(("FLOPs", "flops"))
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
    return {"name": "total", "title": None, "output": [], "structure": "",
            "macs": data["macs"], "flops": data["flops"], "params": data["params"],
            "activations": sum(r["activations"] for r in data["rows"])}


def print_table(console, data: dict, show_flops: bool = False, show_activations: bool = False) -> None:
    """The report as a terminal table that reads like the paper's Table 1."""
    from rich.table import Table

    console.print(_title(data), highlight=False, soft_wrap=True)
    table = Table()
    cols = _columns(show_flops, show_activations)
    for header, key in cols:
        table.add_column(header, justify="right" if key in _NUMERIC else "left")
    for row in data["rows"]:
        table.add_row(*(_cell(row, key) for _, key in cols))
    table.add_section()
    table.add_row(*(_cell(_total_row(data), key) for _, key in cols), style="bold")
    console.print(table)
    for line in notes(data, show_flops):
        console.print(line, highlight=False, soft_wrap=True)


def markdown(data: dict, show_flops: bool = False, show_activations: bool = False) -> str:
    cols = _columns(show_flops, show_activations)
    lines = [f"**{_title(data)}**", "",
             "| " + " | ".join(h for h, _ in cols) + " |",
             "|" + "|".join("---:" if k in _NUMERIC else "---" for _, k in cols) + "|"]
    for row in [*data["rows"], _total_row(data)]:
        lines.append("| " + " | ".join(_cell(row, k) for _, k in cols) + " |")
    lines.append("")
    lines += [f"- {line}" for line in notes(data, show_flops)]
    return "\n".join(lines) + "\n"


CSV_COLUMNS = ("name", "kind", "title", "structure", "output", "macs", "flops", "params",
               "shortcut_macs", "shortcut_params", "activations")


def _csv_text(comments: list[str], header, rows) -> str:
    out = io.StringIO()
    out.writelines(f"# {line}\n" for line in comments)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def csv_text(data: dict) -> str:
    """One line per row and a total; `#` lines first state the network and the convention."""
    rows = [[shape_text(r[k]) if k == "output" else ("" if r[k] is None else r[k])
             for k in CSV_COLUMNS] for r in data["rows"]]
    total = _total_row(data)
    rows.append(["total", "total", "", "", "", total["macs"], total["flops"], total["params"],
                 sum(r["shortcut_macs"] for r in data["rows"]),
                 sum(r["shortcut_params"] for r in data["rows"]), total["activations"]])
    return _csv_text([_title(data), *notes(data, False)], CSV_COLUMNS, rows)


def json_text(data: dict) -> str:
    return json.dumps(data, indent=2) + "\n"


# -- the family table ----------------------------------------------------------------------------

def _family_columns(show_flops: bool) -> list[tuple[str, str]]:
    cols = [("network", "network"), ("depth", "depth"), ("layout", "layout"),
            ("input", "input"), ("params", "params"), ("multiply-adds", "macs")]
    if show_flops:
        cols.append(("FLOPs", "flops"))
    return cols + [("checks", "checks")]


def _family_cell(net: dict, key: str) -> str:
    if key == "input":
        return shape_text(net["input"])
    if key in _NUMERIC:
        return human(net[key])
    if key == "checks":
        return _checks_text(net["checks"])
    return str(net[key])


def _family_notes(data: dict, show_flops: bool) -> list[str]:
    return [data["convention"] + ("; FLOPs column: 2 x multiply-adds" if show_flops else ""),
            "checks: expectations and budgets that hold, of those the network carries"]


def print_family(console, data: dict, show_flops: bool = False) -> None:
    from rich.table import Table

    table = Table()
    cols = _family_columns(show_flops)
    for header, key in cols:
        table.add_column(header, justify="right" if key in _NUMERIC | {"depth"} else "left")
    for net in data["networks"]:
        table.add_row(*(_family_cell(net, key) for _, key in cols))
    console.print(table)
    for line in _family_notes(data, show_flops):
        console.print(line, highlight=False, soft_wrap=True)


def family_markdown(data: dict, show_flops: bool = False) -> str:
    cols = _family_columns(show_flops)
    lines = ["| " + " | ".join(h for h, _ in cols) + " |",
             "|" + "|".join("---:" if k in _NUMERIC | {"depth"} else "---" for _, k in cols) + "|"]
    lines += ["| " + " | ".join(_family_cell(n, k) for _, k in cols) + " |" for n in data["networks"]]
    return "\n".join(lines + [""] + [f"- {line}" for line in _family_notes(data, show_flops)]) + "\n"


FAMILY_CSV_COLUMNS = ("network", "template", "depth", "layers", "layout", "input", "output",
                      "macs", "flops", "params", "activations", "checks_passed", "checks")


def family_csv(data: dict) -> str:
    rows = [[n["network"], n["template"], n["depth"], n["layers"], n["layout"],
             shape_text(n["input"]), _outputs(n["output"]), n["macs"], n["flops"], n["params"],
             n["activations"], sum(c["ok"] for c in n["checks"]), len(n["checks"])]
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


def print_diff(console, data: dict) -> None:
    from rich.table import Table

    console.print(f"{data['a']} (A) against {data['b']} (B): what differs", highlight=False)
    for line in diff_lines(data):
        console.print(f"  {line}", highlight=False, soft_wrap=True)
    table = Table()
    for header in ("row", "multiply-adds A", "multiply-adds B", "change", "in shortcuts",
                   "params A", "params B", "params change"):
        table.add_column(header, justify="left" if header == "row" else "right")

    def cells(a, b, change):
        return [human(a["macs"]) if a else "-", human(b["macs"]) if b else "-",
                signed(change["macs_change"]), signed(change["shortcut_macs_change"]),
                human(a["params"]) if a else "-", human(b["params"]) if b else "-",
                signed(change["params_change"])]

    for row in data["stages"]:
        label = f"{row['name']} ({row['title']})" if row["title"] else row["name"]
        table.add_row(label, *cells(row["a"], row["b"], row))
    table.add_section()
    t = data["totals"]
    table.add_row("total", *cells(t["a"], t["b"], t), style="bold")
    console.print(table)
    for line in diff_summary(data):
        console.print(line, highlight=False, soft_wrap=True)
