"""What a notebook shows: errors as the command line renders them, reports as tables and rows."""

import pytest

import resdsl
from resdsl.analysis.report import report


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
