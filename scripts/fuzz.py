"""Long fuzzing campaign: `python scripts/fuzz.py [SECONDS]`.

Mutates the bundled architectures (tests/fuzzing.py's MUTATIONS: cuts, inserts, big integers in
expressions, long `use` names, CR-only and BOM files, brackets in comments, thousands of unnamed
layers) and the IR that `resdsl compile -o x.json` writes for them (fields replaced, deleted,
duplicated; files cut, non-UTF-8, nested deep), and checks the oracle of tests/test_fuzz.py: every
source builds or raises resdsl's own error with a position inside the text; every IR reads back
or raises E8xx errors. Anything else is an internal error: printed, and counted.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import traceback
from pathlib import Path

from resdsl.core.errors import ResdslError
from resdsl.core.resources import architectures_dir

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the mutations live with the tests
from tests.fuzzing import MUTATIONS, WEIGHTS, build_all, ir_bytes, ir_errors_are_e8xx, mutate, mutate_ir, read_ir


def _source_run(rng: random.Random, sources: list[str]) -> str | None:
    """One mutated source; a failure's report, or None."""
    text = rng.choice(sources)
    names = sorted(MUTATIONS)
    for _ in range(rng.randint(1, 5)):
        name = rng.choices(names, [WEIGHTS[n] for n in names])[0]
        text = mutate(text, name, rng.randrange(10**6), rng.randrange(10**6))
    try:
        build_all(text)
    except ResdslError as err:
        lines = text.count("\n") + text.count("\r") + 1
        bad = [e for e in err.errors if e.span and e.span.file == "<fuzz>"
               and not (1 <= e.span.line <= lines + 1 and e.span.column >= 1)]
        if bad:
            return f"position outside the text: {bad[0].span} {bad[0].message}\n{text[:2000]!r}\n"
    except Exception:  # anything else is a bug
        return traceback.format_exc() + "\n" + repr(text[:2000])
    return None


def _ir_run(rng: random.Random, irs: list[dict]) -> str | None:
    data = rng.choice(irs)
    for _ in range(rng.randint(1, 4)):
        data = mutate_ir(data, rng.randrange(10**6), rng.randrange(10**6))
    raw = ir_bytes(data, rng.randrange(10**6))
    try:
        read_ir(raw)
    except ResdslError as err:
        if not ir_errors_are_e8xx(err):
            return f"IR error without an E8xx code: {[e.code for e in err.errors]}\n{raw[:2000]!r}"
    except Exception:
        return traceback.format_exc() + "\n" + repr(raw[:2000])
    return None


def _bundled_irs() -> list[dict]:
    import resdsl
    from resdsl.ir import dump

    return [dump(resdsl.graph(name)) for name in ("resnet18", "resnet50", "resnet20", "densenet121",
                                                  "highway20", "resnext50_32x4d")]


def main(seconds: float) -> int:
    sources = [p.read_text() for p in sorted(architectures_dir().glob("*.rdsl"))]
    irs = _bundled_irs()
    rng = random.Random(0)
    start = time.monotonic()
    deadline = start + seconds
    runs = {"source": 0, "ir": 0}
    failures = {"source": 0, "ir": 0}
    while time.monotonic() < deadline:
        kind = "ir" if rng.random() < 0.5 else "source"
        report = _ir_run(rng, irs) if kind == "ir" else _source_run(rng, sources)
        runs[kind] += 1
        if report:
            failures[kind] += 1
            print(report, flush=True)
    elapsed = time.monotonic() - start
    print(f"{runs['source']} source inputs, {failures['source']} internal errors; "
          f"{runs['ir']} IR inputs, {failures['ir']} internal errors; in {elapsed:.0f} s")
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("seconds", nargs="?", type=float, default=60, help="how long (default 60)")
    sys.exit(main(parser.parse_args().seconds))
