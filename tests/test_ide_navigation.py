"""resdsl.ide's definition, completion, symbols and rename, on texts written here; every expected
place is found in the test's own text."""

from __future__ import annotations

from resdsl.core.resources import architectures_dir
from resdsl.ide import completions, definition, symbols
from resdsl.ide.rename import rename
from resdsl.netgraph.ops import OPS, source_ops

from .test_ide import ROOT, SMALL, at

BRANCHY = """\
block fork(w) {
    left: conv 1x1, w
    right: conv 3x3, w, from: input
    add left
}
"""


def place(text: str, needle: str, file: str, offset: int = 0, length: int | None = None) -> dict:
    line, column = at(text, needle, offset)
    size = len(needle) - offset if length is None else length
    return {"file": file, "line": line, "column": column, "end_line": line, "end_column": column + size}


def labels(found: list[dict]) -> list[str]:
    return [item["label"] for item in found]


def test_definition_of_a_block_call_a_parameter_and_a_template():
    file = "/nowhere/small.rdsl"
    assert definition(SMALL, file, *at(SMALL, "pair(16)", 2)) == [place(SMALL, "pair(width", file, 0, 4)]
    assert definition(SMALL, file, *at(SMALL, "stride: stride", 9)) == \
        [place(SMALL, "stride = 1", file, 0, len("stride"))]
    assert definition(SMALL, file, *at(SMALL, "small()", 1)) == [place(SMALL, "small(classes", file, 0, 5)]


def test_definition_of_a_value_read_by_a_merge_is_the_layer_that_made_it():
    assert definition(BRANCHY, None, *at(BRANCHY, "add left", 5)) == \
        [place(BRANCHY, "left:", "<untitled>", 0, 4)]


def test_definition_of_a_bundled_block_and_of_a_use_path_is_in_the_library():
    text = 'use "blocks.rdsl"\nnetwork n {\n    input 3x32x32\n    basic(8)\n}\n'
    blocks = (architectures_dir() / "blocks.rdsl").resolve()
    (found,) = definition(text, None, *at(text, "basic(8)", 1))
    line = blocks.read_text().split("\n").index(next(
        row for row in blocks.read_text().split("\n") if row.startswith("block basic("))) + 1
    assert found == {"file": str(blocks), "line": line, "column": 7, "end_line": line, "end_column": 12}
    assert definition(text, None, 1, 8) == [{"file": str(blocks), "line": 1, "column": 1,
                                              "end_line": 1, "end_column": 1}]


def test_a_use_outside_the_files_folder_is_not_followed(tmp_path):
    (tmp_path / "secret.rdsl").write_text("block hidden(w) {\n    conv 1x1, w\n}\n")
    (tmp_path / "inner").mkdir()
    text = 'use "../secret.rdsl"\n'
    mine = str(tmp_path / "inner" / "mine.rdsl")
    assert definition(text, mine, 1, 8) == []
    from resdsl.ide import diagnostics

    (refused,) = diagnostics(text, mine)
    assert refused["code"] == "E506"


def test_completion_at_a_statement_offers_ops_blocks_and_keywords():
    line, column = at(SMALL, "avgpool")
    found = completions(SMALL, None, line, column)
    assert set(source_ops()) <= set(labels(found))
    assert "pair" in labels(found) and "stage" in labels(found) and "classes" in labels(found)


def test_completion_after_a_comma_offers_the_arguments_not_yet_given():
    text = SMALL.replace("stem: conv 3x3, 16", "stem: conv 3x3, 16, stride: 2, ")
    line, column = at(text, "stride: 2, ", len("stride: 2, "))
    offered = labels(completions(text, None, line, column))
    expected = [a.name for a in OPS["conv"].args if a.name not in ("kernel", "out", "stride")]
    assert offered == expected + ["from"]


def test_completion_after_from_offers_the_layers_written_before():
    text = BRANCHY.replace("add left", "add left, from: ")
    line, column = at(text, "from: ", 6, nth=1)
    assert labels(completions(text, None, line, column)) == ["input", "left", "right"]


def test_completion_in_a_use_path_offers_bundled_files():
    text = 'use "bl'
    found = completions(text, None, 1, len(text) + 1)
    assert "blocks.rdsl" in labels(found) and all(f.startswith("bl") for f in labels(found))


def test_symbols_are_the_items_with_their_stages():
    found = symbols(SMALL, None)
    assert [(s["name"], s["kind"]) for s in found] == [("pair", "block"), ("small", "network"),
                                                       ("net", "network")]
    (stage,) = found[1]["children"]
    line, column = at(SMALL, "s1:")
    assert stage["selection_range"] == {"line": line, "column": column, "end_line": line,
                                        "end_column": column + 2}
    end = at(SMALL, "}\n\nnet =")
    assert found[1]["range"]["end_line"] == end[0] and found[1]["range"]["end_column"] == 2


def test_rename_a_block_in_every_file_that_uses_it(tmp_path):
    (tmp_path / "small.rdsl").write_text(SMALL)
    other = 'use "small.rdsl"\nblock trio(pair) {\n    pair(8)\n}\nnetwork n2 {\n    input 3x8x8\n' \
            '    stage a: pair(4) x 1\n    trio(pair)\n}\n'
    (tmp_path / "other.rdsl").write_text(other)
    mine, theirs = str(tmp_path / "small.rdsl"), str(tmp_path / "other.rdsl")
    found = rename(SMALL, mine, *at(SMALL, "pair(16)", 1), "duo", {theirs: other})
    ranges = {file: [(e["range"]["line"], e["range"]["column"]) for e in edits]
              for file, edits in found["edits"].items()}
    assert ranges[mine] == [at(SMALL, "pair(width"), at(SMALL, "pair(16)")]
    # trio's parameter `pair` shadows the block inside trio; n2's stage and argument do not
    assert ranges[theirs] == [at(other, "pair(4)"), at(other, "trio(pair)", 5, nth=1)]
    assert "error" in rename(SMALL, mine, *at(SMALL, "pair(16)", 1), "small", {})
    assert "error" in rename(SMALL, mine, *at(SMALL, "stem"), "x2", {})


def test_the_keywords_offered_are_the_grammars():
    from resdsl.ide.complete import keywords

    grammar = (ROOT / "grammar" / "resdsl.lark").read_text()
    for word in keywords("_stmt") + keywords("_toplevel"):
        assert f'"{word}"' in grammar
    assert set(keywords("_stmt")) >= {"input", "stage", "budget", "expect"}
    assert keywords("_toplevel") == ("use", "block", "network")
    line, column = at(SMALL, "avgpool")
    assert set(keywords("_stmt")) <= set(labels(completions(SMALL, None, line, column)))
