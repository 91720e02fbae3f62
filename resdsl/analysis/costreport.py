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

        # never Jupyter's console: under IPython's kernel rich would display each line itself and
        # leave the string empty
        out = io.StringIO()
        console = Console(file=out, width=120, color_system=None, highlight=False,
                          force_jupyter=False, force_terminal=False, force_interactive=False)
        tables.print_table(console, self)
        return out.getvalue()

    def __repr__(self) -> str:
        return (f"<CostReport {self['network']}: {self['params']:,} params, "
                f"{tables.human(self['macs'])} multiply-adds, {len(self['rows'])} rows by "
                f"{self['by']}>")

    def _repr_pretty_(self, printer, _cycle) -> None:  # IPython: the table
        printer.text(str(self).rstrip("\n"))

    def _repr_html_(self) -> str:  # Jupyter: the table, totals, convention and checks
        return tables.html(self)
