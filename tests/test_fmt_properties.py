"""`resdsl fmt` keeps meaning and comments and reaches a fixed point: on every bundled file, and
on 1,000 mutations of them (layout and content). scripts/fuzz_fmt.py runs the same for longer."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from resdsl.core.resources import architectures_dir

from .fmt_oracle import LAYOUT_MUTATIONS, check_formatting, graphs
from .fuzzing import MUTATIONS

BUNDLED = sorted(architectures_dir().glob("*.rdsl"))
SOURCES = [p.read_text() for p in BUNDLED]
SMALL = [s for s in SOURCES if len(s) < 2500]  # the mutations: many inputs rather than long ones
EDITS = {**{n: MUTATIONS[n] for n in MUTATIONS if n not in ("unnamed_layers", "long_use")},
         **LAYOUT_MUTATIONS}


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.name)
def test_bundled_file_keeps_its_graphs(path):
    text = path.read_text()
    once = check_formatting(text)
    assert once is not None
    assert graphs(once, path.parent) == graphs(text, path.parent)


def mutated(rng: random.Random) -> str:
    text = rng.choice(SMALL)
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(sorted(EDITS))
        text = EDITS[name](text, rng.randrange(10**6), rng.randrange(10**6))
    return text


def test_mutations_keep_meaning_comments_and_a_fixed_point():
    """900 mutations here and 100 drawn by hypothesis below: 1,000 in all."""
    rng = random.Random(21)
    formatted = sum(check_formatting(mutated(rng)) is not None for _ in range(900))
    assert formatted > 300  # most layout mutations still parse: the properties were exercised


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.sampled_from(SMALL), st.lists(st.tuples(st.sampled_from(sorted(LAYOUT_MUTATIONS)),
                                                    st.integers(0, 10**6), st.integers(0, 10**6)),
                                          min_size=1, max_size=6))
def test_layout_mutations_format_to_the_same_program(source, edits):
    text = source
    for name, position, choice in edits:
        text = LAYOUT_MUTATIONS[name](text, position, choice)
    check_formatting(text)
