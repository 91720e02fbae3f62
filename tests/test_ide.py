"""The editor-neutral analysis (resdsl.ide): diagnostics and hovers on texts written here, their
positions found in the text itself and their figures computed by hand or taken from the paper."""

from __future__ import annotations

import re
from pathlib import Path

from resdsl.ide import diagnostics, hover, place_in

ROOT = Path(__file__).resolve().parent.parent
RESNET = ROOT / "architectures" / "resnet.rdsl"

SMALL = """\
# two convolutions and a sum
block pair(width, stride = 1) {
    c1: conv 3x3, width, stride: stride;  relu
    c2: conv 3x3, width
    add shortcut;  relu
}

network small(classes = 10) {
    input 3x32x32
    stem: conv 3x3, 16;  relu
    stage s1: pair(16) x 2
    avgpool;  fc classes
}

net = small()
"""


def at(text: str, needle: str, offset: int = 0, nth: int = 0) -> tuple[int, int]:
    """The 1-based line and column of the `nth` occurrence of `needle` in `text`, plus `offset`
    characters."""
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    index += offset
    line = text.count("\n", 0, index) + 1
    return line, index - (text.rfind("\n", 0, index) + 1) + 1


def figure(markdown: str, unit_name: str) -> float:
    """The first `1.23G multiply-adds` (or `432 params`) figure of a hover, as a number."""
    found = re.search(r"([\d.,]+)([KMGT]?) " + unit_name, markdown)
    assert found, markdown
    scale = {"": 1, "K": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[found.group(2)]
    return float(found.group(1).replace(",", "")) * scale


def test_a_clean_text_has_no_diagnostics():
    assert diagnostics(SMALL, "/nowhere/small.rdsl") == []


def test_a_syntax_error_is_the_json_diagnostic_at_its_exact_place():
    text = SMALL.replace("c2: conv 3x3, width", "c2: conv 3x3,, width")
    (found,) = diagnostics(text, "/nowhere/small.rdsl")
    line, column = at(text, ",, width", 1)
    assert found["code"] == "E102" and found["severity"] == "error"
    assert found["span"] == {"file": "/nowhere/small.rdsl", "line": line, "column": column,
                             "end_line": line, "end_column": column + 1}


def test_an_unknown_op_and_a_missed_expectation_are_found_with_their_spans():
    text = SMALL.replace("relu\n    c2", "relux\n    c2")
    (unknown,) = diagnostics(text, None)
    line, column = at(text, "relux")
    assert unknown["code"] == "E202"
    assert (unknown["span"]["line"], unknown["span"]["column"], unknown["span"]["end_column"]) == \
        (line, column, column + len("relux"))
    expecting = SMALL.replace("net = small()", "net = small()  expect params 1M")
    (missed,) = diagnostics(expecting, None)
    line, column = at(expecting, "params 1M")
    assert missed["code"] == "E702" and missed["span"]["line"] == line
    assert missed["span"]["column"] == column


def test_a_mistake_in_a_library_template_is_placed_at_the_instance_that_caused_it():
    text = 'use "resnet.rdsl"\nnet = resnet(basic, [2, 2, 2, 2], classes: -1)\n'
    (found,) = diagnostics(text, "/nowhere/mine.rdsl")
    assert found["span"]["file"].endswith("resnet.rdsl")
    assert place_in(found, "/nowhere/mine.rdsl")["line"] == 2


def test_hover_on_a_conv_gives_its_shape_and_costs_computed_by_hand():
    line, column = at(SMALL, "stem: conv", 2)
    found = hover(SMALL, None, line, column)
    # 16 filters of 3x3x3 over a 32x32 output, no bias
    assert "16x32x32" in found["markdown"]
    assert figure(found["markdown"], "params") == 16 * 3 * 3 * 3
    macs = 16 * 32 * 32 * 3 * 3 * 3
    assert abs(figure(found["markdown"], "multiply-adds") - macs) <= macs * 0.005
    stem = at(SMALL, "stem: conv 3x3, 16")
    assert found["range"] == {"line": stem[0], "column": stem[1], "end_line": stem[0],
                              "end_column": stem[1] + len("stem: conv 3x3, 16")}


def test_hover_on_a_layer_inside_a_block_lists_each_use():
    line, column = at(SMALL, "c2: conv", 1)
    text = hover(SMALL, None, line, column)["markdown"]
    # s1 repeats pair twice: two uses of c2, each 16*16*9 weights
    assert "2 uses" in text and "s1.0.c2" in text
    assert figure(text.split("in all")[0], "params") == 2 * 16 * 16 * 9


def test_hover_on_a_stage_sums_its_blocks():
    line, column = at(SMALL, "stage s1", 7)
    text = hover(SMALL, None, line, column)["markdown"]
    per_block = 2 * 16 * 16 * 9  # two 3x3 convs of 16 -> 16 channels, no norm, no projection
    assert figure(text, "params") == 2 * per_block and "16x32x32" in text


def test_hover_on_a_block_name_gives_its_signature_and_comment():
    line, column = at(SMALL, "pair(16)", 1)
    text = hover(SMALL, None, line, column)["markdown"]
    assert "block pair(width, stride = 1)" in text and "two convolutions and a sum" in text


def test_hover_on_an_op_lists_its_arguments_from_the_op_table():
    from resdsl.netgraph.ops import OPS

    line, column = at(SMALL, "avgpool", 3)
    text = hover(SMALL, None, line, column)["markdown"]
    assert all(f"`{arg.name}`" in text for arg in OPS["avgpool"].args)
    assert OPS["avgpool"].doc in text


def test_hover_on_resnet34_gives_the_papers_multiply_adds():
    text = RESNET.read_text()
    line, column = at(text, "resnet34 ", 2)
    shown = hover(text, str(RESNET), line, column)["markdown"]
    # He et al. 2015, Table 1: 3.6 x 10^9 FLOPs (multiply-adds) for the 34-layer net
    assert abs(figure(shown, "multiply-adds") - 3.6e9) <= 3.6e9 * 0.02
    assert "34 weighted layers" in shown


def test_hover_works_on_a_text_that_does_not_parse_for_ops():
    text = "block b(w) {\n    conv 3x3, w\n    relu ,,\n}\n"
    line, column = at(text, "conv", 1)
    assert "2-D convolution" in hover(text, None, line, column)["markdown"]
    assert hover(text, None, 1, 1) is None


def test_hover_on_an_expectation_gives_what_the_network_has():
    text = RESNET.read_text()
    line, column = at(text, "params 21_797_672")
    shown = hover(text, str(RESNET), line, column)["markdown"]
    assert "21,797,672" in shown  # torchvision's resnet34 has 21,797,672 parameters


def test_a_did_you_mean_hint_is_a_fix_that_writes_the_name():
    from resdsl.ide import fix_of

    text = SMALL.replace("stage s1: pair(16)", "stage s1: piar(16)")
    (found,) = diagnostics(text, None)
    line, column = at(text, "piar")
    assert fix_of(found, text, None) == {
        "title": "Change 'piar' to 'pair'", "new_text": "pair",
        "range": {"line": line, "column": column, "end_line": line, "end_column": column + 4}}
    assert fix_of(diagnostics(SMALL + "net2 = small()  expect params 1M\n", None)[0], SMALL, None) is None


def test_hover_on_a_shortcut_option_says_how_it_makes_shortcuts():
    text = RESNET.read_text()
    line, column = at(text, "with shortcuts A", len("with shortcuts "))
    shown = hover(text, str(RESNET), line, column)["markdown"]
    assert shown.startswith("**shortcuts A**") and "zero-padded" in shown  # the paper's option A


NESTED = """\
block inner(w) {
    conv 3x3, w;  relu
}

block outer(w) {
    a: conv 1x1, w
    inner(w)
    inner(w)
    se: inner(w)
}

network net(c = 8) {
    input 3x32x32
    outer(c)
    stage s1: outer(16) x 2
}
"""


def test_hover_on_a_call_inside_a_block_finds_each_of_its_uses():
    line, column = at(NESTED, "inner(w)", 1, nth=2)  # the second unlabelled call (after the def)
    text = hover(NESTED, None, line, column)["markdown"]
    # outer is used three times (once alone with 8 channels, twice in s1 with 16): inner's 3x3 conv
    # holds 8*8*9 weights in the first use, 16*16*9 in the other two
    assert "3 uses" in text and "`outer.inner_1`" in text
    assert figure(text, "params in all") == 8 * 8 * 9 + 2 * 16 * 16 * 9
    labelled = hover(NESTED, None, *at(NESTED, "se: inner", 5))["markdown"]
    assert "`outer.se`" in labelled
