"""What a notebook shows: errors as the command line renders them, reports as tables and rows."""

from html.parser import HTMLParser

import pytest

import resdsl
from resdsl.analysis.check import command_line_budget
from resdsl.analysis.report import family, report


def test_str_of_an_error_is_the_rendered_diagnostic_with_its_hint():
    text = 'network n {\n    input 3x32x32\n    conv 3x3, 8\n    stage s: bottleneck(8) x 2\n}\n'
    with pytest.raises(resdsl.ResdslError) as raised:
        resdsl.graph_from_text(text.replace("bottleneck", "bottelneck") + 'block bottleneck(w) {\n    conv 1x1, w\n}\n')
    assert str(raised.value) == (
        "<string>:4:14: error[E202]: unknown op or block 'bottelneck'\n"
        " 4 |     stage s: bottelneck(8) x 2\n"
        "   |              ^^^^^^^^^^\n"
        "  help: did you mean 'bottleneck'?")
    assert raised.value.message == "unknown op or block 'bottelneck'"
    assert repr(raised.value).startswith("UnknownName(E202 at <string>:4:14:")


def test_a_report_prints_as_its_table_and_converts_to_rows():
    data = report(resdsl.graph("resnet34"))
    assert isinstance(data, dict) and data["params"] == 21_797_672  # torchvision's ResNet-34
    assert repr(data) == "<CostReport resnet34: 21,797,672 params, 3.66G multiply-adds, 6 rows by stage>"
    text = str(data)
    assert text.splitlines()[0].startswith("resnet34") and "conv3_x" in text
    rows = data.to_rows()
    assert [r["name"] for r in rows] == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert rows[2]["output"] == "128x28x28" and sum(r["params"] for r in rows) == 21_797_672
    html = data._repr_html_()
    assert html.count("<tr>") == 7 and "conv3_x" in html


def test_to_pandas_says_what_it_needs_or_gives_a_frame():
    data = report(resdsl.graph("resnet18"))
    try:
        import pandas  # noqa: F401
    except ImportError:
        with pytest.raises(ImportError, match="pip install pandas"):
            data.to_pandas()
    else:
        frame = data.to_pandas()
        assert frame.loc["layer2", "output"] == "128x28x28"


def test_a_diagram_shows_itself_in_a_notebook():
    dot = resdsl.viz.diagram(resdsl.graph("resnet18"))
    assert hasattr(dot, "_repr_mimebundle_") or hasattr(dot, "_repr_svg_")  # graphviz's own


# -- a report in a notebook: shown once, as a string, as HTML ------------------------------------

class ZMQInteractiveShell:
    """What rich looks for to decide that it runs in a Jupyter kernel."""


@pytest.fixture
def in_a_notebook(monkeypatch):
    import builtins

    monkeypatch.setattr(builtins, "get_ipython", ZMQInteractiveShell, raising=False)


def test_a_report_in_a_notebook_prints_nothing_itself_and_its_string_is_the_table(in_a_notebook,
                                                                                 capsys):
    data = report(resdsl.graph("resnet18"))
    text = str(data)
    pretty = _pretty(data)
    html = data._repr_html_()
    assert capsys.readouterr() == ("", "")  # nothing shown besides what the notebook asks for
    lines = text.splitlines()
    assert lines[0] == "resnet18 (resnet), input 3x224x224, output 1000"
    assert "conv3_x" in text and "11,689,512 params" in text  # torchvision's ResNet-18
    assert pretty == text.rstrip("\n") and "conv3_x" in html


def test_a_compiled_models_report_shows_once_in_a_notebook(in_a_notebook, capsys):
    model = resdsl.load("resnet18")
    data = model.report()
    shown = {"text/plain": _pretty(data), "text/html": data._repr_html_()}  # what Jupyter asks
    assert capsys.readouterr() == ("", "")
    assert "11,689,512 params" in shown["text/plain"]  # torchvision's ResNet-18
    assert 'title="11,689,512"' in shown["text/html"]
    model.summary()
    printed = capsys.readouterr().out
    assert printed == str(data) and printed.count("conv3_x") == 1


def test_a_report_written_from_a_notebook_is_its_table(in_a_notebook, tmp_path):
    path = tmp_path / "resnet34.txt"
    path.write_text(str(report(resdsl.graph("resnet34"))))
    assert "21,797,672 params" in path.read_text()  # torchvision's ResNet-34


def _pretty(data) -> str:
    """What IPython's text/plain formatter makes of `data` (its printer's `text` calls)."""
    parts: list[str] = []

    class Printer:
        def text(self, part):
            parts.append(part)

    data._repr_pretty_(Printer(), False)
    return "".join(parts)


class _Html(HTMLParser):
    """The header cells, body rows, total row and list items of a report's HTML."""

    def __init__(self, markup: str):
        super().__init__()
        self.section, self.cell, self.exact = None, None, {}
        self.head, self.rows, self.total, self.items = [], [], [], []
        self.feed(markup)

    def handle_starttag(self, tag, attrs):
        if tag in ("thead", "tbody", "tfoot"):
            self.section = tag
        elif tag == "tr" and self.section == "tbody":
            self.rows.append([])
        elif tag in ("th", "td", "li"):
            self.cell = ""
            self.exact = dict(attrs)

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data

    def handle_endtag(self, tag):
        if tag in ("thead", "tbody", "tfoot"):
            self.section = None
        if tag not in ("th", "td", "li") or self.cell is None:
            return
        if tag == "li":
            self.items.append(self.cell)
        elif self.section == "thead":
            self.head.append(self.cell)
        elif self.section == "tbody":
            self.rows[-1].append(self.cell)
        elif self.section == "tfoot":
            self.total.append((self.cell, self.exact.get("title")))
        self.cell = None


def test_the_html_of_a_report_has_titles_totals_convention_and_checks():
    budget = command_line_budget("flops", 4_000_000_000)  # under ResNet-50's 4.09G: fails
    page = _Html(report(resdsl.graph("resnet50"), extra_checks=[budget])._repr_html_())
    assert page.head == ["layer name", "output size", "structure", "multiply-adds", "params"]
    assert [row[0] for row in page.rows] == ["stem", "conv2_x", "conv3_x", "conv4_x", "conv5_x",
                                             "head"]  # Table 1's layer names
    total = dict(zip(page.head, page.total))
    # torchvision's ResNet-50: 25,557,032 parameters and 4.09G multiply-adds
    macs = total["multiply-adds"][1]  # the exact count, shown on hovering
    assert total["params"][1] == "25,557,032" and total["multiply-adds"][0] == "4.09G"
    assert round(int(macs.replace(",", "")) / 1e9, 2) == 4.09
    assert any("multiply-adds" in item and "paper" in item for item in page.items)
    checks = [item for item in page.items if item.startswith(("expect", "budget"))]
    assert len(checks) == 3
    assert checks[0].startswith("expect params 25,557,032 within 0%") and "holds" in checks[0]
    assert checks[1].startswith("expect multiply-adds 4,090,000,000 within 1%")  # resnet.rdsl
    assert f"the network has {macs}, holds (" in checks[1] and "resnet.rdsl:22:" in checks[1]
    assert checks[2] == ("budget: multiply-adds at most 4,000,000,000: the network has "
                         f"{macs}, fails (command line)")


def test_a_family_table_shows_once_in_a_notebook_with_exact_counts(in_a_notebook, capsys):
    data = family([resdsl.graph(name) for name in ("resnet18", "resnet34", "resnet50")])
    text, page = str(data), _Html(data._repr_html_())
    assert capsys.readouterr() == ("", "")
    assert text.count("2/2") == 3 and "resnet34" in text
    assert page.head[:2] == ["network", "depth"] and "multiply-adds" in page.head
    params = [row[page.head.index("params")] for row in page.rows]
    assert params == ["11.7M", "21.8M", "25.6M"]
    # torchvision's parameter counts, each on hovering its cell
    for count in ("11,689,512", "21,797,672", "25,557,032"):
        assert f'title="{count}"' in data._repr_html_()
