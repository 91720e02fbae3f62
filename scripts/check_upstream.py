"""Every bundled network that is a torchvision or timm model, against the real one: parameters,
state_dict keys and shapes, a strict load of the real model's weights into ours, outputs in eval
mode on a seeded input, then one step in training mode (outputs with batch statistics, and the BN
running statistics it leaves: their momentum), and multiply-adds (torch's FlopCounterMode on the
real model, halved).

Runs only where torchvision or timm can be imported (a separate environment: they are no
dependency of resdsl); elsewhere it says so and exits 0. No weights are downloaded: both models
start from random weights, the real model's constants (BN statistics and scales, biases, layer
scales) are made random too so that a wrong wiring cannot hide behind them, and ours loads them.

    python scripts/check_upstream.py [--only NAME,...] [--skip NAME,...] [--markdown]
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# bundled networks that are an upstream model under another name: (library, name, keywords)
ALIASES = {
    "googlenet_noaux": ("torchvision", "googlenet", {"aux_logits": False}),
    "inception_v3_noaux": ("torchvision", "inception_v3", {"aux_logits": False}),
    "resnet50_droppath": ("torchvision", "resnet50", {}),  # drop-path is off in eval mode
    "resnet34_full": ("torchvision", "resnet34", {}),  # written out in full
    "resnet34_b": ("torchvision", "resnet34", {}),  # Table 3's option B is torchvision's
}


def upstream_of(name: str, tv_names: set[str], timm_names: set[str]) -> tuple | None:
    """(library, model name, keywords) of a bundled network; torchvision's names come first
    (timm has a `vgg19` and a `resnet50` of its own)."""
    if name in ALIASES:
        return ALIASES[name] if ALIASES[name][0] in available() else None
    if name in tv_names:
        return ("torchvision", name, {})
    if name in timm_names:
        return ("timm", name, {})
    return None


def available() -> list[str]:
    return [lib for lib in ("torchvision", "timm") if importlib.util.find_spec(lib)]


def upstream_names() -> tuple[set[str], set[str]]:
    tv_names, timm_names = set(), set()
    if "torchvision" in available():
        import torchvision.models as tv

        tv_names = set(tv.list_models(module=tv))
    if "timm" in available():
        import timm

        timm_names = set(timm.list_models())
    return tv_names, timm_names


def build_real(library: str, name: str, keywords: dict):
    if library == "torchvision":
        import torchvision.models as tv

        return tv.get_model(name, weights=None, **keywords)
    import timm

    return timm.create_model(name, pretrained=False, **keywords)


def published(library: str, name: str, size: int) -> str:
    """torchvision's weights metadata: num_params and GFLOPS (`_ops`) of the weights whose crop
    is the input size (the first weights otherwise)."""
    if library != "torchvision":
        return ""
    import torchvision.models as tv

    try:
        weights = list(tv.get_model_weights(name))
    except (ValueError, KeyError):
        return ""
    crops = [w for w in weights if w.transforms.keywords.get("crop_size") == size]
    meta = (crops or weights)[0].meta
    return f"{meta.get('num_params', 0):,} / {meta.get('_ops', float('nan')):.3f}G"


def randomize(model, seed: int = 0) -> None:
    """Constants made random: BN statistics, and every parameter that starts all one value
    (BN and LN scales and shifts, biases, layer scales, timm's zero-initialised last BN)."""
    import torch
    from torch import nn

    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.parameters():
            if p.numel() and p.min() == p.max():
                p.copy_(p + torch.randn(p.shape, generator=gen) * 0.1)
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm) and m.running_mean is not None:
                m.running_mean.copy_(torch.randn(m.running_mean.shape, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(m.running_var.shape, generator=gen) + 0.5)


def count_in_training(real, shape: tuple[int, ...]) -> int:
    """Multiply-adds of one input in training mode (two inputs: BN needs more than one value)."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    kept = {k: v.clone() for k, v in real.state_dict().items()}  # BN statistics move in training
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        real.train()(torch.randn(2, *shape))
    real.eval().load_state_dict(kept)
    return counter.get_total_flops() // 4


def no_randomness(model) -> None:
    """Dropout and drop-path off: the two models would draw differently."""
    for module in model.modules():
        for attr in ("p", "drop_prob", "drop_rate"):
            if isinstance(getattr(module, attr, None), float):
                setattr(module, attr, 0.0)


def first(output):
    """The main output of a model that also returns auxiliary ones in training."""
    if isinstance(output, dict):
        return next(iter(output.values()))
    return output[0] if isinstance(output, tuple) else output


def training_step(real, ours, shape: tuple[int, ...]) -> tuple[float, float]:
    """One forward in training mode: the outputs (batch statistics), and the BN running statistics
    after it (their momentum), each as the largest difference over the largest value."""
    import torch

    no_randomness(real)
    no_randomness(ours)
    x = torch.randn(2, *shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        want, got = first(real.train()(x)), first(ours.train()(x))
    real.eval()
    ours.eval()
    out = (got - want).abs().max().item() / (want.abs().max().item() or 1.0)
    theirs, mine = real.state_dict(), ours.state_dict()
    stats = max(((mine[k].float() - v.float()).abs().max().item() / (v.float().abs().max().item() or 1.0)
                 for k, v in theirs.items() if "running" in k), default=0.0)
    return out, stats


def compare(name: str, library: str, upstream: str, keywords: dict) -> dict:
    """One row: every figure of ours against the real model's."""
    import torch
    from torch.utils.flop_counter import FlopCounterMode

    import resdsl
    from resdsl.netgraph.infer import totals

    graph = resdsl.graph(name)
    shape = tuple(graph.graph["input"])
    figures = totals(graph)
    torch.manual_seed(0)
    real = build_real(library, upstream, keywords).eval()
    ours = resdsl.load(name).eval()
    randomize(real)
    theirs, mine = real.state_dict(), ours.state_dict()
    row = {"network": name, "upstream": f"{library}:{upstream}", "input": "x".join(map(str, shape)),
           "params": figures["params"], "real_params": sum(p.numel() for p in real.parameters()),
           "missing": len(set(theirs) - set(mine)), "unexpected": len(set(mine) - set(theirs)),
           "shapes": sum(1 for k in set(theirs) & set(mine) if theirs[k].shape != mine[k].shape),
           "macs": figures["macs"], "published": published(library, upstream, shape[-1])}
    try:
        ours.load_state_dict(theirs, strict=True)
        row["load"] = "ok"
    except RuntimeError as err:
        row["load"] = "fails"
        row["why"] = " ".join(str(err).split())[:300]
    x = torch.randn(1, *shape, generator=torch.Generator().manual_seed(1))
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        want = real(x)
    row["real_macs"] = counter.get_total_flops() // 2
    if row["real_macs"] != row["macs"]:  # auxiliary heads run in training only: count them too
        row["real_macs_train"] = count_in_training(real, shape)
    if row["load"] == "ok":
        with torch.no_grad():
            got = ours(x)
        if isinstance(got, dict) or got.shape != want.shape:
            row["diff"] = float("nan")
            row["why"] = f"output {tuple(getattr(got, 'shape', ()))} vs {tuple(want.shape)}"
        else:
            row["diff"] = (got - want).abs().max().item() / (want.abs().max().item() or 1.0)
            row["train_diff"], row["stats_diff"] = training_step(real, ours, shape)
    row["exact"] = (row["params"] == row["real_params"] and row["load"] == "ok"
                    and max(row.get(k, 1.0) for k in ("diff", "train_diff", "stats_diff")) <= 1e-4
                    and row["macs"] in (row["real_macs"], row.get("real_macs_train")))
    return row


def millions(n: int) -> str:
    return f"{n / 1e9:.3f}G" if n >= 1e9 else f"{n / 1e6:.2f}M"


def line(row: dict) -> str:
    keys = "ok" if not (row["missing"] or row["unexpected"] or row["shapes"]) else \
        f"-{row['missing']} +{row['unexpected']} ~{row['shapes']}"
    diff = " / ".join(f"{row[k]:.1e}" if k in row else "-" for k in ("diff", "train_diff", "stats_diff"))
    macs = "=" if row["macs"] == row["real_macs"] else \
        "= in training (auxiliary heads)" if row["macs"] == row.get("real_macs_train") else \
        f"{(row['macs'] - row['real_macs']) / max(row['real_macs'], 1):+.2%}"
    return (f"| `{row['network']}` | {row['upstream']} | {row['input']} | {row['params']:,} | "
            f"{row['real_params']:,} | {keys} | {row['load']} | {diff} | {millions(row['macs'])} | "
            f"{millions(row['real_macs'])} | {macs} | {row['published'] or '—'} | "
            f"{'yes' if row['exact'] else 'no'} |")


HEADER = ("| network | upstream | input | our params | real params | keys (-missing +unexpected "
          "~shape) | strict load | max abs diff / max abs: eval / train / BN statistics | "
          "our MACs | real FLOPs/2 | MACs diff | "
          "published (torchvision: params / GFLOPS) | exact |\n" + "|---" * 13 + "|")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="comma-separated bundled names")
    parser.add_argument("--skip", default="", help="comma-separated bundled names to leave out")
    args = parser.parse_args()
    if not available():
        print("check_upstream: neither torchvision nor timm can be imported here; nothing to check "
              "(install them in a separate environment, with resdsl, to run this)")
        return 0
    import torch

    import resdsl

    torch.set_num_threads(1)
    tv_names, timm_names = upstream_names()
    versions = {lib: __import__(lib).__version__ for lib in ("torch", *available())}
    print("versions: " + ", ".join(f"{k} {v}" for k, v in versions.items()), flush=True)
    names = args.only.split(",") if args.only else resdsl.list_networks()
    rows, without = [], []
    print(HEADER, flush=True)
    for name in names:
        found = upstream_of(name, tv_names, timm_names)
        if found is None or name in args.skip.split(","):
            without.append(name)
            continue
        start = time.perf_counter()
        try:
            row = compare(name, *found)
        except Exception as err:  # the real model or ours fails: say which and go on
            print(f"| `{name}` | {found[0]}:{found[1]} | failed: {type(err).__name__}: "
                  f"{' '.join(str(err).split())[:200]} |", flush=True)
            continue
        rows.append(row)
        print(line(row) + f" <!-- {time.perf_counter() - start:.0f}s -->", flush=True)
        if "why" in row:
            print(f"<!-- {name}: {row['why']} -->", flush=True)
    exact = sum(r["exact"] for r in rows)
    print(f"\n{exact} of {len(rows)} compared networks exact; {len(without)} bundled networks name "
          f"no torchvision or timm model: {', '.join(without)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
