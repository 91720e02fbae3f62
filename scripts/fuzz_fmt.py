"""The long campaign of `resdsl fmt`'s properties (tests/test_fmt_properties.py runs 1,000):
mutated bundled files, layout and content mutations stacked, each checked for a fixed point,
the same program and every comment kept.

    python scripts/fuzz_fmt.py [--minutes 10] [--seed 0]
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from resdsl.core.resources import architectures_dir  # noqa: E402
from tests.fmt_oracle import LAYOUT_MUTATIONS, check_formatting  # noqa: E402
from tests.fuzzing import MUTATIONS  # noqa: E402

EDITS = {**MUTATIONS, **LAYOUT_MUTATIONS}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    sources = [p.read_text() for p in sorted(architectures_dir().glob("*.rdsl"))]
    rng = random.Random(args.seed)
    end = time.monotonic() + args.minutes * 60
    tried = formatted = 0
    while time.monotonic() < end:
        text = rng.choice(sources)
        for _ in range(rng.randint(1, 6)):
            text = EDITS[rng.choice(sorted(EDITS))](text, rng.randrange(10**6), rng.randrange(10**6))
        try:
            formatted += check_formatting(text) is not None
        except Exception:
            Path("fmt-failure.rdsl").write_text(text)
            print(f"failure after {tried} inputs; the input is in fmt-failure.rdsl", file=sys.stderr)
            raise
        tried += 1
    print(f"{tried} mutated files, {formatted} of them parsed and formatted: no failure")
    return 0


if __name__ == "__main__":
    sys.exit(main())
