"""Long fuzzing campaign over the front end: `python scripts/fuzz.py [SECONDS]`.

Mutates the bundled architectures at random and checks the oracle of tests/test_fuzz.py: every
input builds or raises resdsl's own error with a position inside the text. Prints each failure.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback

from resdsl.core.errors import ResdslError
from resdsl.fuzzing import MUTATIONS, build_all, mutate
from resdsl.core.resources import architectures_dir


def main(seconds: float) -> int:
    sources = [p.read_text() for p in sorted(architectures_dir().glob("*.rdsl"))]
    rng = random.Random(0)
    deadline, runs, failures = time.monotonic() + seconds, 0, 0
    while time.monotonic() < deadline:
        text = rng.choice(sources)
        for _ in range(rng.randint(1, 5)):
            text = mutate(text, rng.choice(sorted(MUTATIONS)), rng.randrange(10**6), rng.randrange(10**6))
        runs += 1
        try:
            build_all(text)
        except ResdslError as err:
            lines = text.count("\n") + 1
            bad = [e for e in err.errors if e.span and e.span.file == "<fuzz>"
                   and not (1 <= e.span.line <= lines + 1 and e.span.column >= 1)]
            if bad:
                failures += 1
                print(f"position outside the text: {bad[0].span} {bad[0].message}\n{text!r}\n")
        except Exception:  # anything else is a bug
            failures += 1
            print(traceback.format_exc(), repr(text), sep="\n")
    print(f"{runs} inputs, {failures} failures in {seconds:g} s")
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=60, help="how long (default 60)")
    sys.exit(main(parser.parse_args().seconds))
