"""One check of the playground's text: diagnostics, the diagram and the costs, as JSON-ready data.

Runs in a worker process (workers.py), one text at a time, with nothing kept between texts but
the front end's own caches. The text is read as a file named `name` in the folder `home` (the
served FILE's, or the bundled library's): `use` finds files there and in the library only.
"""

from __future__ import annotations

import re
import traceback
from pathlib import Path

from ..core.errors import ResdslError, raise_all

LEVELS = ("stage", "block", "layer")


def check_text(text: str, level: str = "block", fold: bool = False, network: str | None = None,
               *, name: str, home: str) -> dict:
    """What POST /api/check answers (docs/playground.md): the `--error-format json` diagnostics,
    the diagram as SVG with each box's source line, the costs and checks, the networks."""
    result: dict = {"source": name, "diagnostics": [], "svg": "", "costs": None, "networks": [],
                    "network": None}
    try:
        graph = _build(text, network, name, Path(home), result)
        if graph is None:
            return result
        from ..analysis.check import run_checks

        result["diagnostics"] = [e.to_json() for e in run_checks(graph)]
        result["costs"] = costs(graph, name)
        result["svg"] = svg(graph, level, fold, name)
    except ResdslError as err:
        result["diagnostics"] += [e.to_json() for e in err.errors]
    except Exception as err:  # a bug: said as a diagnostic, the worker lives on
        result["diagnostics"].append(internal_error(err))
    return result


def _build(text: str, network: str | None, name: str, home: Path, result: dict):
    """The checked graph of the network asked for (or the text's first); None for a text of
    blocks only, which has nothing to draw."""
    from ..language.loader import load_text
    from ..language.resolve import check_names
    from ..targets import in_scope

    scope = load_text(text, name, home)
    raise_all(check_names(scope))
    names = scope.networks()
    result["networks"] = names
    if not names:
        return None
    chosen = network if network in names else names[0]
    result["network"] = chosen
    return in_scope(scope, chosen, name).graph()


def costs(graph, source: str) -> dict:
    """Totals, rows by stage and by block, and every check with its line in the text."""
    from ..analysis.check import check_results
    from ..analysis.costs import cost_rows, group
    from ..analysis.report import _row_json, totals_json

    grouped = group(graph)
    figures = totals_json(graph)
    checks = check_results(graph)
    for found, check in zip(checks, graph.graph.get("checks", [])):
        found["line"] = check.span.line if check.span and check.span.file == source else None
    return {"network": graph.graph["name"], "input": list(graph.graph["input"]),
            "outputs": figures["outputs"], "macs": figures["macs"], "params": figures["params"],
            "depth": figures["depth"], "layers": figures["layers"],
            "stages": [_row_json(r, 1) for r in cost_rows(graph, "stage", grouped)],
            "blocks": [_row_json(r, 1) for r in cost_rows(graph, "block", grouped)],
            "checks": checks}


def svg(graph, level: str, fold: bool, source: str) -> str:
    """The viz backend's SVG, each box marked with the line of the text it comes from."""
    from ..viz import diagram, drawing, render
    from .marks import box_lines, mark_boxes

    picture = render(diagram(graph, level, cost=True, fold=fold), "svg").decode()
    lines = box_lines(graph, drawing(graph, level, True, fold).boxes, source)
    return mark_boxes(picture, {f"{graph.graph['name']}/{key}": line for key, line in lines.items()})


MOST_COMPLETIONS = 200  # offered at once; the editor filters them as the user types on


def assist(kind: str, text: str, line: int, column: int, *, path: str | None) -> dict:
    """What POST /api/hover and /api/complete answer, from the language server's own functions
    (resdsl.ide): `{"hover": {"markdown", "range"} | None}` or `{"items": [...]}`."""
    from .. import ide

    try:
        if kind == "hover":
            return {"hover": ide.hover(text, path, line, column)}
        return {"items": ide.completions(text, path, line, column)[:MOST_COMPLETIONS]}
    except ResdslError:  # a text the analysis cannot read at all: nothing to say there
        return {"hover": None} if kind == "hover" else {"items": []}


def run_job(job: dict, *, name: str, home: str, path: str | None) -> dict:
    """One job of a worker: a check, a hover or a completion."""
    kind = job.pop("kind", "check")
    if kind == "check":
        return check_text(**job, name=name, home=home)
    try:
        return assist(kind, **job, path=path)
    except Exception as err:  # a bug: the page says so and goes on
        return {"hover": None, "items": [], "diagnostics": [internal_error(err)]}


def internal_error(err: Exception) -> dict:
    """A failure of resdsl itself, as a diagnostic that says so (the page stays usable)."""
    where = traceback.extract_tb(err.__traceback__)[-1] if err.__traceback__ else None
    at = f" ({Path(where.filename).name}:{where.lineno})" if where else ""
    message = f"internal error: {type(err).__name__}: {_first_line(str(err))}{at}"
    return {"code": "E1025", "severity": "error", "message": message, "span": None,
            "hint": "this is a bug in resdsl: please report it with the text that caused it",
            "notes": [], "rendered": f"error[E1025]: {message}"}


def _first_line(text: str) -> str:
    return re.split(r"\n", text, maxsplit=1)[0][:300]


def warm() -> None:
    """Load the front end, the library's index and Graphviz once, before the first request."""
    from ..core.resources import architectures_dir

    check_text(_WARM, name="warm.rdsl", home=str(architectures_dir()))


_WARM = """use "blocks.rdsl"
network tiny {
    input 3x32x32
    conv 3x3, 16; bn; relu
    stage layer1: basic(16) x 1
    global_avgpool
    fc 10
}
"""
