"""The cost report as a Python object for scripts and notebooks: still the JSON-ready dict every
format renders (docs/flops.md), with a table for `print`, HTML for Jupyter, and rows for pandas."""

from __future__ import annotations

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
        return tables.as_text(tables.print_table, self)

    def __repr__(self) -> str:
        return (f"<CostReport {self['network']}: {self['params']:,} params, "
                f"{tables.human(self['macs'])} multiply-adds, {len(self['rows'])} rows by "
                f"{self['by']}>")

    def _repr_pretty_(self, printer, _cycle) -> None:  # IPython: the table
        printer.text(str(self).rstrip("\n"))

    def _repr_html_(self) -> str:  # Jupyter: the table, totals, convention and checks
        return tables.html(self)


class FamilyReport(dict):
    """`resdsl.analysis.report.family(graphs)`'s dict: `print(r)` shows the table of networks
    (`resdsl flops FILE --all`), Jupyter its HTML."""

    def __str__(self) -> str:
        return tables.as_text(tables.print_family, self)

    def __repr__(self) -> str:
        return f"<FamilyReport: {', '.join(n['network'] for n in self['networks'])}>"

    def _repr_pretty_(self, printer, _cycle) -> None:  # IPython: the table
        printer.text(str(self).rstrip("\n"))

    def _repr_html_(self) -> str:
        return tables.family_html(self)
