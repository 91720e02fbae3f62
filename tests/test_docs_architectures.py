"""docs/architectures.md lists every bundled network, and its 'ours' columns are true."""

import re
from pathlib import Path

import pytest

import resdsl
from resdsl.analysis.check import human
from resdsl.language.library import bundled_index
from resdsl.netgraph.infer import totals

from .cli import cli

DOC = Path(__file__).resolve().parent.parent / "docs" / "architectures.md"
ROW = re.compile(r"^\| `(\w+)` \| ([\w.]+) \| (\S+) \| (.+?) \| ([\d,]+) \| (\S+) \|$", re.M)


def rows() -> dict[str, tuple]:
    return {m.group(1): m.groups()[1:] for m in ROW.finditer(DOC.read_text())}


def test_every_bundled_network_has_a_row():
    assert set(rows()) == set(bundled_index())


@pytest.mark.parametrize("name", sorted(bundled_index()))
def test_row_states_our_figures(name):
    file, shape, published, params, macs = rows()[name]
    graph = resdsl.graph(name)
    figures = totals(graph)
    assert file == bundled_index()[name].name
    assert shape == "x".join(map(str, graph.graph["input"]))
    assert params == f"{figures['params']:,}"
    assert macs == human(figures["macs"])
    assert published.strip()


def test_resdsl_list_shows_every_bundled_network_with_its_figures():
    result = cli("list")
    assert result.returncode == 0, result.stderr
    lines = {line.split("│")[1].strip(): line for line in result.stdout.splitlines()
             if line.startswith("│") and line.split("│")[1].strip()}
    for name in bundled_index():
        figures = totals(resdsl.graph(name))
        assert name in lines, name
        assert f"{figures['params']:,}" in lines[name] and human(figures["macs"]) in lines[name]
        assert lines[name].rstrip().endswith("│"), "the table is cut off"
