"""Fuzz the training surfaces: recipes, CIFAR-10 batches, image folders, run folders and eval flags.

    python scripts/fuzz_train.py [INPUTS] [--seed N]

Each input is a mutant of a valid one, handed to the code a user's file or flag reaches: recipes
to `load_recipe`, pickled batches to the CIFAR reader, image files to the folder index and the
decoder, tampered run folders to `--resume`'s checks, flag values to `resdsl eval` and
`resdsl train` (in this process). An outcome that is neither a success nor resdsl's own
diagnostic (a ResdslError, a usage error with exit 2) counts as an internal error and is
printed with its traceback. `tests/test_fuzz_train.py` runs a short version.
"""

from __future__ import annotations

import argparse
import collections
import json
import pickle
import random
import shutil
import sys
import tempfile
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

NASTY = ["", "0", "-1", "1e3", "1.5", "nan", "inf", "true", "[]", "[1, 2]", '"x"', "{a = 1}",
         "99999999999999999999", str(2 ** 63), "-0", '"' + "y" * 5000 + '"', "[[[[[[1]]]]]]", "0x10"]


def _mutate_text(rng: random.Random, text: str) -> str:
    lines = text.splitlines()
    choice = rng.randrange(6)
    if choice == 0 and lines:  # replace a value
        i = rng.randrange(len(lines))
        if "=" in lines[i]:
            lines[i] = lines[i].split("=")[0] + "= " + rng.choice(NASTY)
    elif choice == 1 and lines:  # delete a line
        del lines[rng.randrange(len(lines))]
    elif choice == 2:  # duplicate a line
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif choice == 3:  # cut the file
        return text[: rng.randrange(len(text) + 1)]
    elif choice == 4:  # an odd byte or a long line inside a string
        i = rng.randrange(len(text) + 1)
        odd = rng.choice(["\0", "\ufeff", "'''", '"""', "[", "]", "=", "\n[x]\n", "a" * 6000])
        return text[:i] + odd + text[i:]
    else:  # an unknown key or table
        lines.insert(rng.randrange(len(lines) + 1), rng.choice(["[nothing]", "zz = 1", "batch.size = 2", "[[a]]"]))
    return "\n".join(lines) + "\n"


def fuzz_recipe(rng: random.Random, work: Path) -> None:
    from resdsl.train.recipe import bundled_text, load_recipe

    text = bundled_text(rng.choice(["cifar10", "cifar10-warmup", "digits", "imagenet"]))
    for _ in range(rng.randrange(1, 4)):
        text = _mutate_text(rng, text)
    path = work / rng.choice(["r.toml", "r.json", "recipe"])
    path.write_text(text, encoding="utf-8", errors="surrogateescape")
    overrides = {}
    if rng.random() < 0.3:
        from resdsl.train.recipe import parse_override_value

        key = rng.choice(["batch.size", "seed", "augment.pad", "optimizer.lr", "augment.mean", "stop.epochs",
                          "schedule.milestones", "data.validation", "nope.x", "batch"])
        overrides[key] = parse_override_value(rng.choice(NASTY))
    load_recipe(path, overrides)


def fuzz_cifar_batch(rng: random.Random, _work: Path) -> None:
    import numpy as np

    from resdsl.train.data import _batch_arrays, read_batch

    n = rng.randrange(0, 4)
    data = rng.choice([np.zeros((n, 3072), np.uint8), np.full((n, 3072), 300, np.int32), "pixels",
                       np.zeros((n, 30), np.uint8), [[1] * 3072] * n, np.zeros((n, 3072), np.float32)])
    labels = rng.choice([[0] * n, ["a"] * n, [2 ** 64] * n, [-1] * n, list(range(n + 1)), np.zeros(n), None])
    batch = {b"data": data, b"labels": labels}
    if rng.random() < 0.2:
        batch = rng.choice([[], "x", {b"data": data}, {}])
    raw = pickle.dumps(batch, protocol=rng.choice([2, 3, 4]))
    if rng.random() < 0.4:
        i = rng.randrange(len(raw))
        raw = raw[:i] + bytes([rng.randrange(256)]) + raw[i + 1:] if rng.random() < 0.5 else raw[:i]
    found = read_batch(raw, "fuzz")
    if "data" in found and "labels" in found:
        _batch_arrays(found, "fuzz")


def _image_bytes(rng: random.Random) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    size = (rng.randrange(1, 40), rng.randrange(1, 40))
    Image.new("RGB", size, (rng.randrange(256), 0, 0)).save(buffer, rng.choice(["PNG", "JPEG", "BMP", "GIF"]))
    raw = buffer.getvalue()
    cut = rng.randrange(5)
    if cut == 0:
        raw = raw[: rng.randrange(len(raw))]
    elif cut == 1:
        i = rng.randrange(len(raw))
        raw = raw[:i] + bytes([rng.randrange(256)]) * rng.randrange(1, 8) + raw[i:]
    elif cut == 2:
        raw = rng.choice([b"", b"hello", b"\x89PNG\r\n\x1a\n" + b"\0" * 30, b"\xff\xd8\xff" + b"\xff" * 50])
    return raw


def fuzz_image_folder(rng: random.Random, work: Path) -> None:
    from resdsl.train.data import Dataset, Split, _class_folders
    from resdsl.train.images import load_eval_image, load_train_image
    from resdsl.train.recipe import load_recipe

    root = work / "images"
    for name in ("a", "b"):
        (root / name).mkdir(parents=True)
        for i in range(2):
            (root / name / f"{i}{rng.choice(['.png', '.jpg', '.gif', '.bmp'])}").write_bytes(_image_bytes(rng))
    if rng.random() < 0.2:
        (root / "c").symlink_to(rng.choice(["/", "/etc", str(root / "a")]))
    policy = rng.choice(["skip", "refuse"])
    skipped: list[str] = []
    _classes, files, _labels = _class_folders(root, policy, skipped)
    recipe = load_recipe("imagenet", {"augment.crop": 8, "augment.scale": [8, 12], "augment.eval_resize": 9,
                                      "data.bad_images": policy})
    import torch

    from resdsl.train.data import load_checked
    from resdsl.train.images import BadImage

    data = Dataset("folder:x", "folder", (3, 8, 8), ["a", "b"], Split(torch.zeros(0)), None, None, 255.0)
    for f in files:
        load_checked(f, recipe, data)
        try:
            load_train_image(f, recipe, tuple(rng.random() for _ in range(8)))
            load_eval_image(f, recipe)
        except BadImage:
            pass  # the pipeline turns it into the policy's outcome (tested in test_train_images.py)


def _make_run(work: Path) -> Path:
    import torch

    import resdsl

    cache = work.parent / "run-template"
    if not cache.exists():
        (work.parent / "tiny.rdsl").write_text(TINY)
        threads = torch.get_num_threads()
        resdsl.train(f"{work.parent / 'tiny.rdsl'}:tiny", "digits", out=cache, iterations=2, batch_size=32,
                     checkpoint_every=1, threads=1)
        torch.set_num_threads(threads)
    run = work / "run"
    shutil.copytree(cache, run)
    return run


TINY = """network tiny(classes = 10) {
    input 1x8x8
    conv1: conv 3x3, 4;  bn1: bn;  relu
    avgpool;  fc: fc classes
}
"""


def fuzz_run_folder(rng: random.Random, work: Path) -> None:
    from resdsl.train import checkpoint, rundir

    run = _make_run(work)
    pointer = run / "checkpoint.json"
    record = json.loads(pointer.read_text())
    tamper = rng.randrange(7)
    if tamper == 0:
        key = rng.choice(sorted(record))
        record[key] = rng.choice([None, [], {}, "x", 2.5, -1, 2 ** 70, True])
    elif tamper == 1:
        del record[rng.choice(sorted(record))]
    elif tamper == 2:
        record = rng.choice([[], "x", 1, None])
    elif tamper == 3:
        record["file"] = rng.choice(["../../etc/passwd", "/dev/zero", "checkpoints", "",
                                     "checkpoints/../recipe.toml"])
    if tamper != 4:
        pointer.write_text(json.dumps(record))
    else:
        pointer.write_bytes(rng.choice([b"\xff\xfe", b"{", b"[" * 100000, b""]))
    if tamper == 5:
        (run / "metrics.jsonl").write_text(rng.choice([
            '{"split": "train"}\n', "[]\n", '{"iteration": 1.5, "split": "val"}\n',
            '{"run": 5, "iteration": 1, "split": "train"}\n']))
    if tamper == 6:
        (run / "recipe.toml").write_bytes(rng.choice([b"\xff", b"# run id: 0123456789abcdef\n", b""]))
    found, _tensors = checkpoint.load(run)
    rundir.resumed_run_id(run, found)


def fuzz_flags(rng: random.Random, work: Path) -> None:
    from tests.cli import cli

    run = _make_run(work)
    net = f"{work.parent / 'tiny.rdsl'}:tiny"
    weights = str(run / "weights.safetensors")
    value = rng.choice(["0", "-1", "1", "3", "4096", "1000000", "99999999999999999999", "x", "1,2", ",", "8,", ""])
    command = rng.choice([
        ["eval", net, "-w", weights, "--batch-size", value],
        ["eval", net, "-w", weights, "--ten-crop", "--resize", value],
        ["eval", net, "-w", weights, "--scales", value],
        ["eval", net, "-w", weights, "--split", rng.choice(["train", "val", "test", "x"])],
        ["eval", net, "-w", rng.choice([str(run), "/dev/null", str(run / "recipe.toml"), "/nonexistent"])],
        ["train", net, "-o", str(work / "new"), "--iterations", "1", "--batch-size", value],
        ["train", net, "-o", str(work / "new"), "--iterations", "1", "--threads", value],
        ["train", net, "-o", str(work / "new"), "--iterations", "1", "--device",
         rng.choice(["meta", "tpu", "cuda:x", value])],
        ["train", net, "-o", str(work / "new"), "--iterations", "1", "--set", f"augment.pad={value}"],
        ["train", net, "-o", str(run), "--resume", "--iterations", value],
    ])
    result = cli(*command)
    if result.returncode not in (0, 1, 2):
        raise AssertionError(f"exit {result.returncode}: {' '.join(command)[:200]}\n{result.output[-2000:]}")


TARGETS = [("recipes", fuzz_recipe, 6), ("cifar batches", fuzz_cifar_batch, 4),
           ("image folders", fuzz_image_folder, 3), ("run folders", fuzz_run_folder, 3),
           ("eval and train flags", fuzz_flags, 1)]


def campaign(inputs: int, seed: int = 0, echo=print) -> collections.Counter:
    """Run `inputs` mutants (spread over the targets by their weights); counts by outcome."""
    import click

    from resdsl.core.errors import ResdslError

    rng = random.Random(seed)
    counts: collections.Counter = collections.Counter()
    names = [name for name, _, weight in TARGETS for _ in range(weight)]
    by_name = {name: fn for name, fn, _ in TARGETS}
    with tempfile.TemporaryDirectory() as tmp:
        for index in range(inputs):
            name = rng.choice(names)
            work = Path(tmp) / f"case{index}"
            work.mkdir()
            try:
                by_name[name](rng, work)
                counts[(name, "ok")] += 1
            except (ResdslError, click.ClickException):
                counts[(name, "diagnostic")] += 1
            except Exception:  # anything else is resdsl's bug
                counts[(name, "internal error")] += 1
                echo(f"internal error on {name} input {index}:\n{traceback.format_exc()}")
            finally:
                shutil.rmtree(work, ignore_errors=True)
    return counts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("inputs", type=int, nargs="?", default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    counts = campaign(args.inputs, args.seed)
    for name, _, _ in TARGETS:
        row = {outcome: counts[(name, outcome)] for outcome in ("ok", "diagnostic", "internal error")}
        print(f"{name:<22} {sum(row.values()):>6} inputs: {row['ok']} ok, {row['diagnostic']} diagnostics, "
              f"{row['internal error']} internal errors")
    internal = sum(v for (_, outcome), v in counts.items() if outcome == "internal error")
    print(f"{sum(counts.values())} inputs, {internal} internal errors")
    return 1 if internal else 0


if __name__ == "__main__":
    sys.exit(main())
