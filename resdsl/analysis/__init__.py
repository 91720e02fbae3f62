"""Reading typed graphs: budgets and expectations, cost rows, layout, reports, tables, diffs.

Rule: imports resdsl.core and resdsl.netgraph; never the language, a backend or torch."""
