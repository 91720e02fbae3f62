"""How fast `resdsl flops` counts, against fvcore, ptflops and PyTorch's FlopCounterMode.

    pip install -e '.[bench]'    # torch, fvcore, ptflops
    python bench/flops.py [--repeat 3] [--networks resnet50,resnet152,resnet1202] [--threads N]

Two measurements per network and tool, each the best of --repeat runs after one warm-up (as
timeit does: on a shared machine the fastest run is the one least disturbed by others):

- in one process: resdsl from text to count (read and parse the .rdsl files, elaborate, infer,
  total), against each peer's model construction (tests/reference_models.py, the hand-written
  torchvision-style networks) plus its count on one input;
- whole processes, start to finish as a user runs them: `python -m resdsl flops FILE:NAME`
  against a fresh `python` that imports torch and the peer, builds the model and counts (this
  script with `--peer TOOL NETWORK`).

It prints the count each tool gives (multiply-adds; FlopCounterMode's figure halved) and the time
ratios against the fastest peer. Targets: resdsl at least 10x faster in one process and 5x as
whole processes, on every network, with the same count as FlopCounterMode.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCH = ROOT / "architectures"
CIFAR_FIXTURE = ROOT / "tests" / "fixtures" / "cifar.rdsl"


def cifar_1202() -> str:
    """ResNet-1202 from the bundled CIFAR file where there is one, else the tests' template."""
    bundled = ARCH / "cifar.rdsl"
    if bundled.is_file():
        from resdsl.language.loader import load_file

        names = [name for name in load_file(bundled).networks() if "1202" in name]
        if names:
            return f"{bundled}:{names[0]}"
    return f"{CIFAR_FIXTURE}:resnet1202"


# network: (resdsl target, reference constructor, keyword arguments, input shape)
NETWORKS = {
    "resnet50": (f"{ARCH / 'resnet.rdsl'}:resnet50", "resnet50", {}, (3, 224, 224)),
    "resnet152": (f"{ARCH / 'resnet.rdsl'}:resnet152", "resnet152", {}, (3, 224, 224)),
    "resnet1202": (cifar_1202(), "CifarResNet", {"n": 200}, (3, 32, 32)),
}
PEERS = ("FlopCounterMode", "fvcore", "ptflops", "ptflops-aten")
WHY = {"fvcore": "adds batch norm and pooling", "ptflops": "adds BN, ReLU and pooling",
       "ptflops-aten": "adds the fc bias"}


# -- the tools -----------------------------------------------------------------------------------

def resdsl_count(network: str) -> int:
    """Text to count: read and parse the files, elaborate, infer, total."""
    import resdsl
    from resdsl.netgraph.infer import totals

    return totals(resdsl.graph(NETWORKS[network][0]))["macs"]


def _reference():
    spec = importlib.util.spec_from_file_location("reference_models",
                                                  ROOT / "tests" / "reference_models.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def peer_count(tool: str, network: str) -> int:
    """Build the reference model and count its multiply-adds with `tool`, as the peer's user would."""
    import logging

    import torch

    logging.disable(logging.WARNING)  # fvcore warns about every op it skips
    _, builder, kwargs, shape = NETWORKS[network]
    model = getattr(_reference(), builder)(**kwargs).eval()
    x = torch.randn(1, *shape)
    with torch.no_grad():
        if tool == "FlopCounterMode":
            from torch.utils.flop_counter import FlopCounterMode

            with FlopCounterMode(display=False) as counter:
                model(x)
            return counter.get_total_flops() // 2  # it counts a multiply-add as 2 FLOPs
        if tool == "fvcore":
            from fvcore.nn import FlopCountAnalysis

            analysis = FlopCountAnalysis(model, x)
            analysis.unsupported_ops_warnings(False)
            analysis.uncalled_modules_warnings(False)
            return int(analysis.total())
        from ptflops import get_model_complexity_info

        macs, _ = get_model_complexity_info(
            model, shape, as_strings=False, print_per_layer_stat=False,
            backend="aten" if tool == "ptflops-aten" else "pytorch")
        return int(macs)


# -- timing --------------------------------------------------------------------------------------

def best_times(runs: dict, repeat: int) -> dict:
    """{name: (best seconds, last result)}: one warm-up call each, then `repeat` rounds that
    call every run in turn, so that a change in the machine's load reaches all of them alike."""
    results = {name: run() for name, run in runs.items()}
    times: dict = {name: [] for name in runs}
    for _ in range(repeat):
        for name, run in runs.items():
            start = time.perf_counter()
            results[name] = run()
            times[name].append(time.perf_counter() - start)
    return {name: (min(times[name]), results[name]) for name in runs}


def process(argv: list[str]):
    """A function that runs `argv` to the end, as a user would."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")])}

    def run():
        done = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=ROOT)
        if done.returncode != 0:
            raise RuntimeError(f"{' '.join(argv)} failed:\n{done.stderr}")
        return done.stdout

    return run


def _command(tool: str, network: str) -> list[str]:
    if tool == "resdsl":
        return [sys.executable, "-m", "resdsl", "flops", NETWORKS[network][0]]
    return [sys.executable, str(Path(__file__).resolve()), "--peer", tool, network]


# -- the run -------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="timed runs per measurement")
    parser.add_argument("--networks", default=",".join(NETWORKS))
    parser.add_argument("--threads", type=int, help="torch threads for the peers (default: torch's)")
    parser.add_argument("--peer", nargs=2, metavar=("TOOL", "NETWORK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.threads:
        os.environ["OMP_NUM_THREADS"] = str(args.threads)  # the peers' own processes too
    if args.peer:  # a whole-process peer run: import, build, count, print
        print(peer_count(*args.peer))
        return

    import torch

    missing = [p for p in ("fvcore", "ptflops") if importlib.util.find_spec(p) is None]
    peers = [p for p in PEERS if p.split("-")[0] not in missing]
    if missing:
        print(f"not installed, left out: {', '.join(missing)} (pip install -e '.[bench]')")
    print(f"python {sys.version.split()[0]}, torch {torch.__version__} ({torch.get_num_threads()} "
          f"threads), {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}; "
          f"best of {args.repeat} runs after a warm-up\n")
    verdicts = []
    for network in args.networks.split(","):
        tools = ("resdsl", *peers)
        inside = best_times({t: (lambda: resdsl_count(network)) if t == "resdsl" else
                               (lambda t=t: peer_count(t, network)) for t in tools}, args.repeat)
        whole = best_times({t: process(_command(t, network)) for t in tools}, args.repeat)
        rows = {t: (inside[t][1], inside[t][0], whole[t][0]) for t in tools}
        verdicts.append(_print_network(network, rows))
    print("targets: in one process >= 10x the fastest peer, whole processes >= 5x, same count")
    for line in verdicts:
        print("  " + line)


def _print_network(network: str, rows: dict) -> str:
    mine, inside, whole = rows["resdsl"]
    print(f"{network} ({NETWORKS[network][0].rsplit('/', 1)[-1]})")
    print(f"  {'tool':<16} {'in-process':>11} {'x resdsl':>9} {'process':>9} {'x resdsl':>9}"
          f" {'multiply-adds':>15}  count")
    for tool, (count, t_in, t_whole) in rows.items():
        same = "" if tool == "resdsl" else ("same" if count == mine else
                                              f"{count - mine:+,} ({WHY.get(tool, '?')})")
        print(f"  {tool:<16} {t_in * 1e3:>9.1f}ms {t_in / inside:>8.1f}x {t_whole:>8.2f}s "
              f"{t_whole / whole:>8.1f}x {count:>15,}  {same}")
    peers = [tool for tool in rows if tool != "resdsl"]
    fastest_in = min(peers, key=lambda t: rows[t][1])
    fastest_whole = min(peers, key=lambda t: rows[t][2])
    ratio_in, ratio_whole = rows[fastest_in][1] / inside, rows[fastest_whole][2] / whole
    same = rows["FlopCounterMode"][0] == mine
    print()
    ok = ratio_in >= 10 and ratio_whole >= 5 and same
    return (f"{network}: {ratio_in:.1f}x in one process (fastest peer {fastest_in}), "
            f"{ratio_whole:.1f}x as processes (fastest {fastest_whole}), count "
            f"{'equal to' if same else 'DIFFERENT from'} FlopCounterMode: {'met' if ok else 'MISSED'}")


if __name__ == "__main__":
    main()
