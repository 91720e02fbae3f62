"""`resdsl fmt`'s speed: milliseconds per 1,000 lines for files of several sizes (made by
repeating the bundled files' blocks and instances under fresh names), so that the cost is seen
to grow linearly with the size.

    python bench/fmt.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import re
import statistics
import time

from resdsl.core.resources import architectures_dir
from resdsl.format import format_text

COPIES = (1, 2, 4, 8, 16)  # of the bundled files: about 800 to 13,000 lines


def corpus() -> str:
    """The bundled files without `use` lines, as one text."""
    texts = [p.read_text() for p in sorted(architectures_dir().glob("*.rdsl"))]
    return "\n".join(re.sub(r'^use "[^"]*"\n', "", t, flags=re.M) for t in texts)


def sized(copies: int) -> str:
    """`copies` copies of the corpus, each name given a suffix of its copy."""
    base = corpus()
    return "\n".join(re.sub(r"^(block \w+|network \w+|\w+ +=)",
                            lambda m, n=n: re.sub(r"(\w+)( *=)?$", rf"\g<1>_{n}\g<2>", m.group(0)),
                            base, flags=re.M) for n in range(copies))


def measure(text: str, repeat: int) -> tuple[float, float]:
    """The median wall-clock and CPU seconds of formatting `text` (CPU time is what a busy
    machine does not distort)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        format_text(text)
        wall.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    return statistics.median(wall), statistics.median(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    format_text(sized(1))  # the parser's tables, loaded once
    print(f"{'lines':>8} {'wall s':>8} {'cpu s':>8} {'ms / 1,000 lines (wall)':>24} {'(cpu)':>7}")
    for copies in COPIES:
        text = sized(copies)
        lines = text.count("\n") + 1
        wall, cpu = measure(text, args.repeat)
        print(f"{lines:>8} {wall:>8.3f} {cpu:>8.3f} {wall / lines * 1e6:>24.1f} {cpu / lines * 1e6:>7.1f}")


if __name__ == "__main__":
    main()
