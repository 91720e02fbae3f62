"""Start-up time of `resdsl flops resnet50` and `resdsl check resnet50`, whole processes, against
the part no resdsl command can avoid: Python importing networkx, lark and click.

    python bench/startup.py               # 15 runs of each, interleaved; a table of medians
    python bench/startup.py -n 5 --assert # exit 1 if a command takes over 1.6x the baseline

Each command runs once first, uncounted (it fills the disk cache, resdsl's own caches, here in a
folder of their own, and Python's compiled bytecode, as any second run finds them), then the
commands take turns, so a machine that gets busier slows them all alike. The ratios are medians
over the baseline's median in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET = 1.6  # the most a command may take, as a multiple of the baseline


def interpreter() -> str:
    """The worktree's own environment when it has one, else the Python running this."""
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.is_file() else sys.executable


def commands(python: str) -> dict[str, list[str]]:
    resdsl = [python, "-m", "resdsl"]
    return {
        "import networkx, lark, click": [python, "-c", "import networkx, lark, click"],
        "resdsl flops resnet50": resdsl + ["flops", "resnet50"],
        "resdsl check resnet50": resdsl + ["check", "resnet50"],
    }


def run_once(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall-clock seconds of a whole process, and the CPU seconds it used (user and system:
    less moved by other work on a busy machine than the wall clock)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.PIPE)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def measure(argvs: dict[str, list[str]], repeat: int) -> dict[str, list[tuple[float, float]]]:
    # resdsl's cache in a folder of its own: a test run or another checkout sharing
    # ~/.cache/resdsl could otherwise replace its entries between two counted runs.
    with tempfile.TemporaryDirectory(prefix="resdsl-startup-") as cache:
        env = {**os.environ, "XDG_CACHE_HOME": cache}
        # The warm-up may write bytecode even where PYTHONDONTWRITEBYTECODE is set: the
        # baseline's packages were compiled when pip installed them, and without it every run
        # would time Python compiling resdsl's sources (a checkout run once, or any installed
        # copy, has them).
        warm = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
        for argv in argvs.values():
            run_once(argv, warm)  # uncounted: caches, bytecode and the page cache warm
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in argvs}
        for _ in range(repeat):
            for name, argv in argvs.items():  # in turns: load that comes and goes hits all alike
                times[name].append(run_once(argv, env))
    return times


def table(times: dict[str, list[tuple[float, float]]]) -> tuple[str, float]:
    """The table of medians and ratios (wall clock; CPU time beside it), and the largest wall
    ratio of a resdsl command."""
    names = list(times)
    walls = {name: [wall for wall, _ in runs] for name, runs in times.items()}
    cpus = {name: [cpu for _, cpu in runs] for name, runs in times.items()}
    base, base_cpu = statistics.median(walls[names[0]]), statistics.median(cpus[names[0]])
    width = max(len(n) for n in names)
    lines = [f"{'command':<{width}}  {'median s':>8}  {'min s':>7}  {'ratio':>5}  {'cpu s':>6}  {'cpu ratio':>9}",
             f"{'-' * width}  {'-' * 8}  {'-' * 7}  {'-' * 5}  {'-' * 6}  {'-' * 9}"]
    worst = 0.0
    for name in names:
        median, cpu = statistics.median(walls[name]), statistics.median(cpus[name])
        ratio = median / base
        if name != names[0]:
            worst = max(worst, ratio)
        lines.append(f"{name:<{width}}  {median:>8.3f}  {min(walls[name]):>7.3f}  {ratio:>5.2f}  "
                     f"{cpu:>6.3f}  {cpu / base_cpu:>9.2f}")
    return "\n".join(lines), worst


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", "--repeat", type=int, default=15, help="runs of each command (15)")
    parser.add_argument("--assert", dest="check", action="store_true",
                        help=f"exit 1 when a command takes over {TARGET}x the baseline")
    args = parser.parse_args(argv)
    python = interpreter()
    times = measure(commands(python), max(1, args.repeat))
    text, worst = table(times)
    print(f"{python}, {args.repeat} runs each, {os.cpu_count()} CPUs\n")
    print(text)
    verdict = "within" if worst <= TARGET else "over"
    print(f"\nworst ratio {worst:.2f}: {verdict} the target of {TARGET}x")
    return 1 if args.check and worst > TARGET else 0


if __name__ == "__main__":
    sys.exit(main())
