"""mypy over resdsl/, held against a baseline that may only shrink.

    python scripts/check_types.py            # exit 1 if mypy finds an error the baseline lacks
    python scripts/check_types.py --update   # rewrite the baseline (after fixing errors)

An error is keyed by file, message and code, not by line number, so that editing a file does not
move its known errors out of the baseline. The configuration is pyproject.toml's [tool.mypy].
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "scripts" / "mypy-baseline.txt"
ERROR = re.compile(r"^(?P<file>[^:]+):\d+(?::\d+)?: error: (?P<message>.*)$")


def current_errors() -> Counter[str]:
    run = subprocess.run([sys.executable, "-m", "mypy", "resdsl"], cwd=ROOT, capture_output=True,
                         text=True)
    if run.returncode not in (0, 1):  # 2: mypy itself failed (configuration, crash)
        sys.exit(f"mypy did not run:\n{run.stdout}{run.stderr}")
    keys = (f"{m['file']}: {m['message']}" for line in run.stdout.splitlines()
            if (m := ERROR.match(line)))
    return Counter(keys)


def read_baseline() -> Counter[str]:
    if not BASELINE.exists():
        return Counter()
    return Counter(line for line in BASELINE.read_text().splitlines() if line.strip())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--update", action="store_true", help="rewrite the baseline with today's errors")
    args = parser.parse_args()
    found = current_errors()
    if args.update:
        BASELINE.write_text("".join(f"{key}\n" for key in sorted(found.elements())))
        print(f"baseline: {sum(found.values())} known errors")
        return 0
    known = read_baseline()
    new = found - known
    fixed = known - found
    if new:
        print(f"mypy: {sum(new.values())} error(s) not in {BASELINE.relative_to(ROOT)}:")
        for key in sorted(new.elements()):
            print(f"  {key}")
        print("fix them (the baseline may only shrink)")
        return 1
    print(f"mypy: {sum(found.values())} known error(s), none new", end="")
    if fixed:
        print(f"; {sum(fixed.values())} fixed: shrink the baseline with --update", end="")
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
