"""The editor's questions never fail: hover, definition, completion, symbols and rename at every
position of a text and of its mutations (tests/fuzzing.py's) answer with data or nothing, never
an exception. The long campaign over the whole library is scripts/fuzz_ide.py."""

from __future__ import annotations

import random

from resdsl import ide

from .fuzzing import MUTATIONS, mutate
from .test_ide import SMALL


def questions(text: str, path: str | None) -> int:
    """Ask every question at every position of `text`; the number asked."""
    asked = 0
    ide.diagnostics(text, path)
    ide.symbols(text, path)
    for number, line in enumerate(text.split("\n"), 1):
        for column in range(1, len(line) + 2):
            ide.hover(text, path, number, column)
            ide.definition(text, path, number, column)
            ide.completions(text, path, number, column)
            asked += 3
        ide.rename(text, path, number, 1, "renamed", {})
    return asked


def test_every_position_of_a_text_and_its_mutations_answers():
    rng = random.Random(21)
    cheap = sorted(set(MUTATIONS) - {"unnamed_layers", "long_use"})  # the costly ones: the script
    texts = [SMALL] + [mutate(SMALL, rng.choice(cheap), rng.randrange(len(SMALL)), rng.randrange(1000))
                       for _ in range(8)]
    assert sum(questions(text, None) for text in texts) > 3 * len(SMALL)
