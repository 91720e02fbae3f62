"""`resdsl train`'s loop against a minimal hand-written PyTorch loop, in the same run.

    python bench/train.py                   # CPU: ResNet-20 on 1x8x8 digits, batch 128
    python bench/train.py --cifar           # CIFAR-size: ResNet-20 on 3x32x32 (generated batches)
    python bench/train.py --quick           # a smoke test
    python bench/train.py --device cuda --amp bf16 --channels-last --cifar
    python bench/train.py --set ema.decay=0.999   # the cost of a recipe option (resdsl's loop only)

Both train the same module (the same initial weights) on the same images with the same batch and
SGD settings; augmentation is off in both, so what differs is the loop: resdsl's batch order,
metric rows, progress, schedule and checkpoint bookkeeping against `for x, y in batches: loss =
F.cross_entropy(model(x), y); ...`. Images/s is measured over the iterations after a warm-up,
from each loop's own clock (resdsl's: the `time_s` of its metric rows). Rounds alternate which
loop runs first; the ratio is of the medians. Target: resdsl / hand-written >= 0.95.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import resdsl  # noqa: E402
from resdsl.train.data import open_data  # noqa: E402
from resdsl.train.network import build_model, graph_for_data  # noqa: E402
from resdsl.train.recipe import load_recipe  # noqa: E402

TARGET = 0.95


def overrides(args) -> dict:
    return {"batch_size": args.batch, "iterations": args.iterations, "eval_every": 10 ** 9,
            "checkpoint_every": 10 ** 9, "augment__pad": 0, "augment__flip": False,
            "validation": args.validation, "amp": args.amp, "channels_last": args.channels_last,
            "deterministic": False, **dict(args.set)}


def resdsl_loop(args, data_spec: str, out: Path) -> float:
    summary = resdsl.train("resnet20", data_spec, out=out, device=args.device, recipe=args.recipe,
                           quiet=True, **overrides(args))
    train = [r for r in summary["history"] if r["split"] == "train"]
    first, last = train[args.warmup - 1], train[-1]
    return (last["iteration"] - first["iteration"]) * args.batch / (last["time_s"] - first["time_s"])


def hand_loop(args, data_spec: str) -> float:
    """What a user writes by hand: tensors in memory, a shuffled index, SGD."""
    recipe = load_recipe(args.recipe, {"data.validation": args.validation})
    data = open_data(data_spec, recipe)
    graph = graph_for_data("resnet20", None, data, recipe)
    device = torch.device(args.device)
    model = build_model(graph, 0).to(device)
    if args.channels_last:
        model = model.to(memory_format=torch.channels_last)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=1e-4)
    mean = torch.tensor(data.mean, device=device).view(1, -1, 1, 1)
    std = torch.tensor(data.std, device=device).view(1, -1, 1, 1)
    images = data.train.images.to(device)
    labels = data.train.labels.to(device)
    amp = (torch.autocast(device.type, dtype=torch.bfloat16 if args.amp == "bf16" else torch.float16)
           if args.amp != "none" else None)
    model.train()
    done, start = 0, None
    while done < args.iterations:
        order = torch.randperm(len(labels), device=device)
        for b in range(len(labels) // args.batch):
            index = order[b * args.batch:(b + 1) * args.batch]
            x = (images[index].float() / data.scale - mean) / std
            if args.channels_last:
                x = x.contiguous(memory_format=torch.channels_last)
            y = labels[index]
            if amp is not None:
                with amp:
                    loss = F.cross_entropy(model(x), y)
            else:
                loss = F.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            loss.item()  # what any loop that prints its loss does
            done += 1
            if done == args.warmup:
                start = time.perf_counter()
            if done == args.iterations:
                break
    if device.type == "cuda":
        torch.cuda.synchronize()
    return (args.iterations - args.warmup) * args.batch / (time.perf_counter() - start)


def cifar_like(folder: Path, images: int) -> str:
    from train_support import cifar_batches

    cifar_batches(folder, per_batch=images // 5)
    return f"cifar10:{folder}"


def _field(text: str) -> tuple[str, object]:
    from resdsl.train.recipe import parse_override_value

    key, _, value = text.partition("=")
    return key.replace(".", "__"), parse_override_value(value)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cifar", action="store_true", help="3x32x32 images (generated CIFAR-10 batches)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--amp", default="none", choices=["none", "bf16", "fp16"])
    parser.add_argument("--channels-last", action="store_true")
    parser.add_argument("--batch", type=int, default=128)
    parser.add_argument("--iterations", type=int, default=None)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--threads", type=int, default=None,
                        help="torch threads on the CPU (default: torch's own choice)")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--set", action="append", default=[], type=_field, metavar="KEY=VALUE",
                        help="a recipe field for resdsl's loop only (what an option costs; repeatable)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    args.iterations = args.iterations or (12 if args.quick else (40 if args.cifar else 120))
    args.warmup = 2 if args.quick else 5
    args.rounds = 1 if args.quick else args.rounds
    args.recipe = "cifar10" if args.cifar else "digits"
    args.validation = 100 if args.cifar else 297
    with tempfile.TemporaryDirectory() as tmp:
        spec = cifar_like(Path(tmp) / "cifar", 5000) if args.cifar else "digits"
        ours, theirs = [], []
        for r in range(args.rounds):
            order = [("resdsl", ours), ("hand", theirs)]
            for name, into in (order if r % 2 == 0 else order[::-1]):
                if name == "resdsl":
                    into.append(resdsl_loop(args, spec, Path(tmp) / f"run{r}"))
                else:
                    into.append(hand_loop(args, spec))
    ratio = statistics.median(ours) / statistics.median(theirs)
    result = {"network": "resnet20", "input": "3x32x32" if args.cifar else "1x8x8", "batch": args.batch,
              "device": args.device, "amp": args.amp, "channels_last": args.channels_last,
              "iterations": args.iterations, "rounds": args.rounds,
              "resdsl_images_per_s": [round(v, 1) for v in ours],
              "hand_images_per_s": [round(v, 1) for v in theirs], "ratio": round(ratio, 3),
              "target": TARGET, "torch_threads": torch.get_num_threads(),
              "resdsl_only": {key.replace("__", "."): value for key, value in args.set}}
    if args.json:
        print(json.dumps(result, indent=1))
    else:
        print(f"resnet20 {result['input']}, batch {args.batch}, {args.device}"
              f"{', ' + args.amp if args.amp != 'none' else ''}{', channels_last' if args.channels_last else ''}: "
              f"resdsl {statistics.median(ours):,.0f} images/s, hand-written {statistics.median(theirs):,.0f} "
              f"images/s, ratio {ratio:.3f} (target >= {TARGET})")
        print(f"  rounds: resdsl {result['resdsl_images_per_s']}, hand {result['hand_images_per_s']}")
    return 0 if ratio >= TARGET else 4


if __name__ == "__main__":
    sys.exit(main())
