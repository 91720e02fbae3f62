"""The docs stay true: every op is documented, and documented examples still build."""

import re
from pathlib import Path

import resdsl
from resdsl.netgraph.ops import source_ops

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_op_a_user_can_write_is_in_the_language_reference():
    text = (DOCS / "language.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", text, flags=re.M))
    assert set(source_ops()) <= documented, set(source_ops()) - documented


def test_language_reference_examples_parse():
    text = (DOCS / "language.md").read_text()
    tiny = re.search(r"```\n(network tiny \{.*?\n\})\n```", text, flags=re.S).group(1)
    graph = resdsl.graph_from_text(tiny)
    assert graph.nodes["fc"]["out_shape"] == (10,)


def test_the_api_docstrings_examples_print_what_they_say():
    import doctest

    import resdsl.api

    finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(optionflags=doctest.ELLIPSIS)
    for test in finder.find(resdsl.api, globs={"resdsl": resdsl}):
        runner.run(test)
    assert runner.summarize(verbose=False).failed == 0


# notes about how resdsl was made, not about what it does: a user reading the docs has no use for
# them. "the issue tracker" (where to report a bug) is about the tool and stays allowed.
ABOUT_THE_MAKING = re.compile(
    r"\bissues?\s*#?\d+|\bthis issue\b|\bsessions?\b|\bhelpers? (?:session|branch)|\blent\b"
    r"|\bdevelopment (?:machine|folder)|(?<![\w.])/(?:work|home|Users|root|tmp)/", re.I)


def test_the_docs_speak_of_the_tool_not_of_its_making():
    pages = [DOCS.parent / "README.md", *sorted(DOCS.glob("*.md"))]
    found = [f"{page.name}:{number}: {line.strip()}" for page in pages
             for number, line in enumerate(page.read_text().splitlines(), 1)
             if ABOUT_THE_MAKING.search(line)]
    assert not found, "\n".join(found)


def test_the_making_filter_catches_what_it_is_for():
    for note in ("(issue 14's experiments)", "a session lent a GPU", "after this issue's changes",
                 "see /work/main/resdsl", "on the 2-core development machine", "issue #15"):
        assert ABOUT_THE_MAKING.search(note), note
    for fine in ("Report it on the issue tracker", "a lentil", "-o out.json", "possession"):
        assert not ABOUT_THE_MAKING.search(fine), fine
