"""Compiled modules against the hand-written reference, measured in the same run.

    python bench/forward.py                 # CPU, the issue's sizes
    python bench/forward.py --quick         # fewer rounds, smaller batches (a smoke test)
    python bench/forward.py --device cuda --channels-last --amp

Forward (eval, no grad) and forward+backward (train) time of resnet50 (batch 8, 224x224) and the
CIFAR ResNet-56 (batch 128, 32x32), each against tests/reference_models.py with the same weights,
and again on tiny inputs, where Python overhead shows; whether both run the same ATen ops; then
construction time of the CIFAR ResNet-1202 (source text to module) against the reference's
constructor. Rounds alternate which model runs first; ratios are of the medians, and of the
minima (the runs least disturbed by other processes); a second copy of the reference, timed in
the same rounds, shows the noise floor (its ratio to the first would be 1.000 on a quiet
machine). Targets: time ratio at most 1.03, construction at most 1.5x.
"""

from __future__ import annotations

import argparse
import copy
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import reference_models  # noqa: E402
import torch  # noqa: E402
from torch.utils._python_dispatch import TorchDispatchMode  # noqa: E402

import resdsl  # noqa: E402
from resdsl.core.resources import architectures_dir  # noqa: E402

TIME_TARGET, BUILD_TARGET = 1.03, 1.5


def cifar_file() -> Path:
    """The bundled CIFAR-10 template (paper, sec. 4.2: 6n+2 layers, option A shortcuts)."""
    return architectures_dir() / "cifar.rdsl"


def pair(name: str, device: torch.device, channels_last: bool):
    """(compiled, reference) with the reference's weights copied into the compiled module."""
    if name == "resnet50":
        compiled, reference = resdsl.load("resnet50"), reference_models.resnet50()
    else:
        n = int(name.removeprefix("cifar_resnet"))
        compiled = resdsl.load(cifar_file(), "cifar", n=(n - 2) // 6)
        reference = reference_models.CifarResNet((n - 2) // 6)
    compiled.load_state_dict(reference.state_dict(), strict=True)
    fmt = torch.channels_last if channels_last else torch.contiguous_format
    return (compiled.to(device, memory_format=fmt), reference.to(device, memory_format=fmt))


def step(model, x, backward: bool, amp: bool):
    with torch.autocast(x.device.type, enabled=amp, dtype=torch.bfloat16 if x.device.type == "cpu" else torch.float16):
        if not backward:
            with torch.no_grad():
                return model(x)
        out = model(x)
    out.float().sum().backward()
    model.zero_grad(set_to_none=True)


def sync(device: torch.device):
    if device.type == "cuda":
        torch.cuda.synchronize()


def timed(model, x, backward, amp, iters):
    sync(x.device)
    start = time.perf_counter()
    for _ in range(iters):
        step(model, x, backward, amp)
    sync(x.device)
    return (time.perf_counter() - start) / iters


def compare(name, batch, size, device, backward, rounds, iters, channels_last=False, amp=False,
            control=False):
    """Per-round times of the compiled module and the reference; with `control`, also of a
    second copy of the reference, whose ratio to the first is the measurement's noise floor."""
    compiled, reference = pair(name, device, channels_last)
    models = {"compiled": compiled, "reference": reference}
    if control:
        models["control"] = copy.deepcopy(reference)
    for model in models.values():
        model.train(backward)
    x = torch.randn(batch, 3, size, size, device=device)
    if channels_last:
        x = x.to(memory_format=torch.channels_last)
    for model in models.values():  # warm up: allocator, kernels, autotuning
        timed(model, x, backward, amp, 2)
    times = {which: [] for which in models}
    order = list(models)
    for r in range(rounds):
        for which in (order if r % 2 == 0 else order[::-1]):
            times[which].append(timed(models[which], x, backward, amp, iters))
    if control:
        return times["compiled"], times["reference"], times["control"]
    return times["compiled"], times["reference"]


class _AtenLog(TorchDispatchMode):
    """Every ATen op a model runs, with its tensor arguments' shapes."""

    def __init__(self):
        super().__init__()
        self.ops: list[tuple[str, tuple]] = []

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.ops.append((str(func), tuple(tuple(a.shape) for a in args if isinstance(a, torch.Tensor))))
        return func(*args, **(kwargs or {}))


def same_work(name: str, backward: bool) -> str:
    """Whether the compiled module runs the reference's ATen ops, in order, on the same shapes:
    if so, only Python overhead can tell their times apart."""
    compiled, reference = pair(name, torch.device("cpu"), False)
    x = torch.randn(2, 3, 64, 64)
    logs = []
    for model in (compiled, reference):
        model.train(backward)
        with _AtenLog() as log:
            step(model, x, backward, amp=False)
        logs.append(log.ops)
    ours, ref = logs
    if ours == ref:
        return f"the same {len(ours)} ATen ops"
    if len(ours) != len(ref):
        return f"different work: {len(ours)} ATen ops against {len(ref)}"
    swaps = Counter((a[0], b[0]) for a, b in zip(ours, ref) if a != b)
    return f"the same {len(ours)} ATen ops but " + ", ".join(
        f"{a} for {b} x{n}" for (a, b), n in swaps.items())


def construction(n: int, rounds: int):
    """Source text to module (parse, elaborate, infer, build, initialize) against the
    reference's constructor; CPU time of this process, so other processes matter less."""
    path = cifar_file()
    ours, ref = [], []
    for _ in range(rounds):
        start = time.process_time()
        resdsl.load(path, "cifar", n=n)
        ours.append(time.process_time() - start)
        start = time.process_time()
        reference_models.CifarResNet(n)
        ref.append(time.process_time() - start)
    graph_times = []
    for _ in range(rounds):
        start = time.process_time()
        resdsl.graph(path, "cifar", n=n)
        graph_times.append(time.process_time() - start)
    return min(ours), min(ref), min(graph_times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--quick", action="store_true", help="small batches, few rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--amp", action="store_true", help="autocast (float16 on CUDA)")
    parser.add_argument("--no-build", action="store_true", help="skip the construction timing")
    parser.add_argument("--threads", type=int, default=1,
                        help="CPU threads (default 1: on a shared machine, more threads spin-wait "
                             "on each other and the times swing; 0 keeps torch's default)")
    args = parser.parse_args(argv)
    device = torch.device(args.device)
    if args.threads:
        torch.set_num_threads(args.threads)
    quick = args.quick
    rounds = args.rounds or (3 if quick else 7)
    cases = [("resnet50", 2 if quick else 8, 224), ("cifar_resnet56", 16 if quick else 128, 32)]
    # tiny inputs: the compute is small, so Python overhead (all that can differ) shows
    overhead = [("resnet50", 1, 64), ("cifar_resnet56", 1, 8)]
    print(f"torch {torch.__version__}, device {device}"
          + (f" ({torch.cuda.get_device_name(device)})" if device.type == "cuda" else
             f", {torch.get_num_threads()} threads")
          + (", channels_last" if args.channels_last else "") + (", autocast" if args.amp else ""))
    print(f"{'network':16} {'batch':>5} {'pass':22} {'resdsl ms':>10} {'reference ms':>13} "
          f"{'ratio':>7} {'of minima':>10} {'noise: ref/ref':>15}")
    worst = 0.0
    for (name, batch, size), small in [(c, False) for c in cases] + [(c, True) for c in overhead]:
        for backward in (False, True):
            iters = 20 if small else (1 if device.type == "cpu" else 10)
            ours, ref, control = compare(name, batch, size, device, backward, rounds, iters,
                                         args.channels_last, args.amp, control=True)
            mc, mr = statistics.median(ours), statistics.median(ref)
            noise = statistics.median(control) / mr
            ratio = mc / mr
            if not small:
                worst = max(worst, ratio)
            label = ("forward+backward" if backward else "forward") + (f" {size}x{size}" if small else "")
            print(f"{name:16} {batch:5} {label:22} {mc * 1e3:10.1f} {mr * 1e3:13.1f} {ratio:7.3f} "
                  f"{min(ours) / min(ref):10.3f} {noise:15.3f}", flush=True)
    print(f"worst time ratio {worst:.3f} (target <= {TIME_TARGET})", flush=True)
    for name, _, _ in cases:
        print(f"{name}: forward {same_work(name, False)}; forward+backward {same_work(name, True)}")
    if not args.no_build:
        ours, ref, graph_only = construction(200, 2 if quick else 3)
        print(f"construction of ResNet-1202 (CPU s): resdsl.load {ours:.2f} (of which graph "
              f"{graph_only:.2f}), reference {ref:.2f}, ratio {ours / ref:.2f} "
              f"(target <= {BUILD_TARGET})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
