"""Figures in the paper's style, drawn with matplotlib (imported here only, on the Agg backend).

- `error_curves`: Figure 6's panels, one per group of networks (plain, residual), dashed lines for
  the training error and bold ones for the validation error against iterations, one colour per
  network, a band over seeds.
- `response_stds`: Figure 7: each 3x3 layer's response std in layer order (top) and sorted by
  magnitude (bottom), one line per network.
"""

from __future__ import annotations

from pathlib import Path

from ..core.files import write_atomic
from ..train.plot import smoothed


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


PLOT_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg", "eps", "ps", "tif", "tiff", "webp")


def check_plot_name(path: str | Path) -> None:
    """A plot's file name ends in a format matplotlib writes (a usage error before any work)."""
    import click

    suffix = Path(path).suffix.lstrip(".").lower()
    if suffix and suffix not in PLOT_FORMATS:
        raise click.BadParameter(f"'{Path(path).name}': a plot is written as {', '.join(PLOT_FORMATS[:3])} "
                                 f"(or {', '.join(PLOT_FORMATS[3:])}), by its suffix", param_hint="-o")


def _save(figure, path: Path) -> None:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lstrip(".") or "png", dpi=120,
                   bbox_inches="tight")
    write_atomic(path, buffer.getvalue())


def _mean_curve(histories: list[list[dict]], split: str) -> tuple[list[int], list[float], list[float], list[float]]:
    """Iterations, and the mean, min and max over seeds of the error at each (in percent)."""
    by_iteration: dict[int, list[float]] = {}
    for rows in histories:
        for row in rows:
            if row["split"] == split:
                by_iteration.setdefault(row["iteration"], []).append(100 * row["error"])
    its = sorted(i for i, v in by_iteration.items() if len(v) == len(histories))
    values = [by_iteration[i] for i in its]
    return (its, [sum(v) / len(v) for v in values], [min(v) for v in values],
            [max(v) for v in values])


def error_curves(groups: dict[str, dict[str, list[list[dict]]]], path: Path, title: str = "",
                 window: int = 20) -> None:
    """Figure 6: a panel per group ("plain", "ResNet"), a colour per network depth; `groups`:
    panel title -> network -> the metric rows of each seed. Dashed: running training error
    (train mode, the mean of the last `window` batches); bold: validation error; bands: the
    range over seeds."""
    plt = _pyplot()
    figure, axes = plt.subplots(1, len(groups), figsize=(5.2 * len(groups), 4.0), sharey=True,
                                squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    names = [net for nets in groups.values() for net in nets]
    colour_of: dict[str, str] = {}
    for net in names:  # plain-20 and ResNet-20 share a colour, as in the paper
        depth = "".join(ch for ch in net if ch.isdigit()) or net
        colour_of.setdefault(depth, colours[len(colour_of) % len(colours)])
    top = 0.0
    for axis, (panel, nets) in zip(axes[0], groups.items()):
        for net, histories in nets.items():
            colour = colour_of["".join(ch for ch in net if ch.isdigit()) or net]
            its, mean, low, high = _mean_curve(histories, "train")
            if its:
                smooth = [smoothed(series, window) for series in (mean, low, high)]
                axis.plot(its, smooth[0], "--", color=colour, linewidth=0.9)
                axis.fill_between(its, smooth[1], smooth[2], color=colour, alpha=0.12, linewidth=0)
                top = max(top, max(smooth[0][len(its) // 10:] or smooth[0]))
            its, mean, low, high = _mean_curve(histories, "val")
            if its:
                axis.plot(its, mean, "-", color=colour, linewidth=2.0, label=net,
                          marker="o" if len(its) < 30 else None, markersize=3)
                axis.fill_between(its, low, high, color=colour, alpha=0.2, linewidth=0)
                top = max(top, max(mean))
        axis.set_title(panel)
        axis.set_xlabel("iter.")
        axis.grid(alpha=0.3)
        axis.legend(loc="upper right", fontsize=8)
    axes[0][0].set_ylabel("error (%)")
    axes[0][0].set_ylim(0, min(100, max(5.0, 1.15 * top)))
    if title:
        figure.suptitle(title, fontsize=9)
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)


def response_stds(stds: dict[str, list[float]], path: Path, title: str = "") -> None:
    """`stds`: network name -> std per 3x3 layer, in layer order."""
    plt = _pyplot()
    figure, (ordered, ranked) = plt.subplots(2, 1, figsize=(7, 6.5))
    for name, values in stds.items():
        layers = range(1, len(values) + 1)
        ordered.plot(layers, values, marker=".", linewidth=1, label=name)
        ranked.plot(layers, sorted(values, reverse=True), marker=".", linewidth=1, label=name)
    ordered.set_xlabel("layer index (original)")
    ranked.set_xlabel("layer index (sorted by magnitude)")
    from matplotlib.ticker import MaxNLocator

    for axis in (ordered, ranked):
        axis.xaxis.set_major_locator(MaxNLocator(integer=True))
        axis.set_ylabel("std")
        axis.grid(alpha=0.3)
    ordered.legend()
    if title:
        ordered.set_title(title)
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)
