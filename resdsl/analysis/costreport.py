"""The cost report as a Python object for scripts and notebooks: still the JSON-ready dict every
format renders (docs/flops.md), with a table for `print`, HTML for Jupyter, and rows for pandas."""

from __future__ import annotations

import io

from . import tables


class CostReport(dict):
    """`resdsl.analysis.report.report(graph)`'s dict: `print(r)` shows the terminal table,
    Jupyter its HTML, `r.to_rows()` one flat dict per row, `r.to_pandas()` a DataFrame."""

    def to_rows(self) -> list[dict]:
        """One dict per row (stage, block or layer), the output shape as text: ready for csv or
        pandas."""
        return [{**row, "output": tables.shape_text(row["output"])} for row in self["rows"]]

    def to_pandas(self):
        """The rows as a `pandas.DataFrame` indexed by name (needs pandas)."""
        try:
            import pandas
        except ImportError:
            raise ImportError("to_pandas() needs pandas: pip install pandas") from None
        return pandas.DataFrame(self.to_rows()).set_index("name")

    def to_markdown(self) -> str:
        return tables.markdown(self)

    def __str__(self) -> str:
        from rich.console import Console

        out = io.StringIO()
        tables.print_table(Console(file=out, width=120, color_system=None, highlight=False), self)
        return out.getvalue()

    def __repr__(self) -> str:
        return (f"<CostReport {self['network']}: {self['params']:,} params, "
                f"{tables.human(self['macs'])} multiply-adds, {len(self['rows'])} rows by "
                f"{self['by']}>")

    def _repr_pretty_(self, printer, _cycle) -> None:  # IPython: the table
        printer.text(str(self).rstrip("\n"))

    def _repr_html_(self) -> str:
        import html

        keys = ["name", "title", "structure", "output", "macs", "params"]
        head = "".join(f"<th>{k}</th>" for k in keys)
        body = "".join("<tr>" + "".join(f"<td>{html.escape(_cell(row[k]))}</td>" for k in keys)
                       + "</tr>" for row in self.to_rows())
        title = html.escape(tables.title(self))
        return f"<p><b>{title}</b></p><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _cell(value) -> str:
    if value is None:
        return ""
    return f"{value:,}" if isinstance(value, int) else str(value)
