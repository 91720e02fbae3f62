"""What a JSON file given where the IR is expected is instead: one of resdsl's other outputs (a
flops report, a diff, a listing, diagnostics, a run's record), so the error can say so rather than
list every field the IR lacks."""

from __future__ import annotations

# key sets that only that output has at its top level, and how it is written
_DOCUMENTS = [
    ({"report_version", "rows", "by"}, "a flops report ('resdsl flops --format json')"),
    ({"report_version", "networks", "batch"}, "a flops report of a family ('resdsl flops --all --format json')"),
    ({"report_version", "differences", "totals"}, "a diff ('resdsl diff --format json')"),
    ({"report_version", "networks", "libraries"}, "a check report ('resdsl check --format json')"),
    ({"version", "diagnostics"}, "diagnostics ('--error-format json')"),
    ({"format", "iteration", "param_groups"}, "a training checkpoint's record (checkpoint.json)"),
    ({"finished", "iterations"}, "a training run's summary (summary.json)"),
]
_LISTINGS = [
    ({"network", "macs", "params"}, "a listing ('resdsl list --format json')"),
    ({"name", "kind", "parameters"}, "a listing of blocks ('resdsl list --blocks --format json')"),
]


def other_output(data) -> str | None:
    """The name of the resdsl output `data` is, or None (then it may be the IR, or anything)."""
    if isinstance(data, dict) and "ir_version" not in data:
        return next((what for keys, what in _DOCUMENTS if keys <= data.keys()), None)
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return next((what for keys, what in _LISTINGS if keys <= data[0].keys()), None)
    return None
