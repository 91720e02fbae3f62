"""Fuzzing the front end. Oracle: every input either builds, or raises resdsl's own error with a
position inside the file; anything else (another exception, a position outside) is a bug.

This is the short version run by the suite; scripts/fuzz.py runs the same properties for minutes.
"""


import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from resdsl.core.errors import ResdslError
from resdsl.core.resources import architectures_dir

from .fuzzing import MUTATIONS, build_all, mutate

SOURCES = [p.read_text() for p in sorted(architectures_dir().glob("*.rdsl"))]
SMALL = [s for s in SOURCES if len(s) < 4000]
# the costly shapes (thousands of layers, long names) have their own, shorter test below
CHEAP = sorted(set(MUTATIONS) - {"unnamed_layers", "long_use"})


def assert_well_behaved(text: str) -> None:
    try:
        build_all(text)
    except ResdslError as err:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")  # CR-only files too
        for e in err.errors:
            if e.span is None or e.span.file != "<fuzz>":
                continue  # errors about imported files or without a place
            assert 1 <= e.span.line <= len(lines) + 1, (e.span, e.message)
            assert e.span.column >= 1, (e.span, e.message)
            assert e.render()


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(SMALL), st.lists(st.tuples(st.sampled_from(CHEAP),
                                                  st.integers(0, 10**6), st.integers(0, 10**6)),
                                        min_size=1, max_size=4))
def test_mutated_bundled_files_never_crash(source, edits):
    text = source
    for name, position, choice in edits:
        text = mutate(text, name, position, choice)
    assert_well_behaved(text)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_text_never_crashes(text):
    assert_well_behaved(text)


def test_known_awkward_inputs():
    for text in ["", "\n\n", "\t", "\x00", "network", "network n {", "}", "x = y",
                 "n = net with", "network n {\r\n input 3x32x32\r\n conv 3x3, 8\r\n}\r\n",
                 "network n { input 3x32x32; conv 3x3, 999999999999 }",
                 "network n(a = [1, 2]) { input 3x32x32; conv 3x3, a }",
                 "network n { input 3x32x32; conv 3x3, 8, stride: 3x3x3 }",
                 "block b(w) { b w }\nnetwork n { input 3x8x8; stage s: b(4) x 9999999 }",
                 "network n { input 3x8x8; conv 3x3, 8; avgpool; fc 10; fc 10; bn; relu }"]:
        assert_well_behaved(text)


# -- issue 15's shapes and the IR reader --------------------------------------------------------

from .fuzzing import ir_bytes, ir_errors_are_e8xx, mutate_ir, read_ir  # noqa: E402

NEW_SHAPES = ["big_integer", "long_use", "line_ends", "brackets_in_comment", "unnamed_layers"]


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(SMALL), st.sampled_from(NEW_SHAPES), st.integers(0, 10**6),
       st.integers(0, 10**6))
def test_issue15_mutation_shapes_never_crash(source, shape, position, choice):
    assert_well_behaved(mutate(source, shape, position, choice))


@pytest.fixture(scope="module")
def small_ir():
    import resdsl
    from resdsl.ir import dump

    return dump(resdsl.graph("resnet20"))


def test_mutated_ir_reads_back_or_raises_e8xx(small_ir):
    import random

    rng = random.Random(15)
    outcomes = {"read": 0, "refused": 0}
    for _ in range(60):
        data = small_ir
        for _ in range(rng.randint(1, 3)):
            data = mutate_ir(data, rng.randrange(10**6), rng.randrange(10**6))
        try:
            read_ir(ir_bytes(data, rng.randrange(10**6)))
            outcomes["read"] += 1
        except ResdslError as err:
            assert ir_errors_are_e8xx(err), [e.code for e in err.errors]
            outcomes["refused"] += 1
    assert outcomes["refused"] > 30  # the mutations do break the files
