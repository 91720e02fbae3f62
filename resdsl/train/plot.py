"""Error against iterations, drawn like the paper's Figures 4 and 6: thin dashed lines for the
training error, bold lines for the validation error, one colour per run, error in percent."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

from ..core.files import atomic_path


def smoothed(values: Sequence[float], window: int) -> list[float]:
    """Running mean over the last `window` values (the per-batch training error is noisy)."""
    out, total = [], 0.0
    for i, v in enumerate(values):
        total += v
        if i >= window:
            total -= values[i - window]
        out.append(total / min(i + 1, window))
    return out


def plot_errors(runs: Sequence[tuple[str, list[dict[str, Any]]]], path: str | Path, *,
                title: str | None = None, window: int | None = None, log_scale: bool = False) -> Path:
    """One PNG (or any suffix matplotlib writes) for runs given as (label, metric rows);
    `log_scale` puts the error on a log axis (as the paper's Figure 7 plots do)."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    from matplotlib import pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.2), dpi=120)
    colors = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    top = 0.0
    for i, (label, rows) in enumerate(runs):
        color = colors[i % len(colors)]
        train = [r for r in rows if r["split"] == "train"]
        val = [r for r in rows if r["split"] == "val"]
        if train:
            span = window or max(1, min(200, len(train) // 20))
            ys = [100 * e for e in smoothed([r["error"] for r in train], span)]
            ax.plot([r["iteration"] for r in train], ys, "--", color=color, linewidth=0.8, alpha=0.9,
                    label=None if val else label)
            top = max(top, max(ys[len(ys) // 10:] or ys))
        if val:
            ys = [100 * r["error"] for r in val]
            ax.plot([r["iteration"] for r in val], ys, "-", color=color, linewidth=2.0, label=label)
            top = max(top, max(ys))
    ax.set_xlabel("iter.")
    ax.set_ylabel("error (%)")
    if log_scale:
        ax.set_yscale("log")  # matplotlib leaves out a zero error, which a log axis cannot show
    else:
        ax.set_ylim(0, min(100, max(5.0, top * 1.1)))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper right", frameon=True, fontsize=8)
    ax.set_title(title or "training (dashed) and validation (bold) error", fontsize=9)
    fig.tight_layout()
    path = Path(path)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format=path.suffix.lstrip(".") or "png")
    plt.close(fig)
    return path
