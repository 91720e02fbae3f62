"""Figures in the paper's style, drawn with matplotlib (imported here only, on the Agg backend).

- `error_curves`: Figure 6's panels, one per group of networks (plain, residual), thin lines for
  the training error and bold ones for the validation error against iterations, one colour per
  network, a band over seeds.
- `response_stds`: Figure 7: each 3x3 layer's response std in layer order (top) and sorted by
  magnitude (bottom), one line per network.
"""

from __future__ import annotations

from pathlib import Path

from ..core.files import write_atomic


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(figure, path: Path) -> None:
    import io

    buffer = io.BytesIO()
    figure.savefig(buffer, format=Path(path).suffix.lstrip(".") or "png", dpi=120,
                   bbox_inches="tight")
    write_atomic(path, buffer.getvalue())


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
    for axis in (ordered, ranked):
        axis.set_ylabel("std")
        axis.grid(alpha=0.3)
    ordered.legend()
    if title:
        ordered.set_title(title)
    figure.tight_layout()
    _save(figure, path)
    plt.close(figure)
