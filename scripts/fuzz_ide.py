"""The editor's questions over the library: `python scripts/fuzz_ide.py [SECONDS]`.

Mutates the bundled architectures (tests/fuzzing.py's mutations) and asks resdsl.ide what an
editor asks while the text is being written: diagnostics, symbols, and hover, definition,
completion and rename at random positions. Every question must answer with data or nothing; an
exception is an internal error, printed and counted (exit 1 if any).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the mutations live with the tests
from resdsl import ide  # noqa: E402
from resdsl.core.resources import architectures_dir  # noqa: E402
from tests.fuzzing import MUTATIONS, WEIGHTS, mutate  # noqa: E402


def ask(text: str, path: str | None, rng: random.Random, positions: int) -> None:
    ide.diagnostics(text, path)
    ide.symbols(text, path)
    lines = text.split("\n")
    for _ in range(positions):
        line = rng.randrange(len(lines)) + 1
        column = rng.randrange(len(lines[line - 1]) + 1) + 1
        ide.hover(text, path, line, column)
        ide.definition(text, path, line, column)
        ide.completions(text, path, line, column)
        ide.rename(text, path, line, column, "renamed", {})


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("seconds", nargs="?", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--positions", type=int, default=20, help="questions' positions per text")
    options = parser.parse_args()
    rng = random.Random(options.seed)
    files = sorted(architectures_dir().glob("*.rdsl"))
    names = sorted(MUTATIONS)
    weights = [WEIGHTS[n] for n in names]
    texts, failures, end = 0, 0, time.monotonic() + options.seconds
    while time.monotonic() < end:
        path = rng.choice(files)
        original = path.read_text(encoding="utf-8")
        name = rng.choices(names, weights)[0]
        text = mutate(original, name, rng.randrange(max(1, len(original))), rng.randrange(1000))
        try:
            ask(text, str(path) if rng.random() < 0.5 else None, rng, options.positions)
        except Exception:  # noqa: BLE001 (any exception is the finding)
            failures += 1
            print(f"internal error on {path.name} mutated by {name}:\n{traceback.format_exc()}")
        texts += 1
    print(f"{texts} texts, {texts * options.positions * 4} questions at positions, "
          f"{failures} internal errors")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
