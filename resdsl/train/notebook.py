"""Progress in a Jupyter notebook (or Colab), where there is no terminal for rich's bar: tqdm's
notebook bar (`tqdm.auto`) when tqdm is installed, else an HTML `<progress>` element updated in
place through IPython's display (no widget library needed). Validation lines go to stdout, which
a notebook shows as the cell's output (stderr it shows in red)."""

from __future__ import annotations

import html
import sys
import time
from typing import Any

# at most this often the display is redrawn (a warm-up reads every iteration)
REDRAW_S = 0.2


def in_notebook() -> bool:
    """Whether this process is a Jupyter kernel or Colab (IPython imported and its shell a kernel's)."""
    ipython = sys.modules.get("IPython")
    get = getattr(ipython, "get_ipython", None)
    shell = get() if callable(get) else None
    if shell is None:
        return False
    kind = type(shell)
    return kind.__name__ == "ZMQInteractiveShell" or "google.colab" in kind.__module__


def notebook_bar(total: int, start: int, title: str) -> "TqdmBar | HtmlBar":
    from ..core.extras import installed

    return TqdmBar(total, start, title) if installed("tqdm") else HtmlBar(total, start, title)


class TqdmBar:
    def __init__(self, total: int, start: int, title: str):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=total, initial=start, desc=title, unit="it", file=sys.stdout)

    def update(self, iteration: int, stats: str) -> None:
        self.bar.set_postfix_str(stats, refresh=False)
        self.bar.update(iteration - self.bar.n)

    def say(self, text: str) -> None:
        self.bar.write(text, file=sys.stdout)

    def close(self) -> None:
        self.bar.close()


class HtmlBar:
    def __init__(self, total: int, start: int, title: str):
        from IPython.display import HTML, display

        self.html, self.total, self.title = HTML, max(total, 1), title
        self.iteration, self.stats, self.drawn = start, "", 0.0
        self.handle: Any = display(self.html(self._text()), display_id=True)

    def _text(self) -> str:
        return (f"<b>{html.escape(self.title)}</b> <progress value='{self.iteration}' max='{self.total}' "
                f"style='width: 40%'></progress> {self.iteration}/{self.total} "
                f"<code>{html.escape(self.stats)}</code>")

    def update(self, iteration: int, stats: str) -> None:
        self.iteration, self.stats = iteration, stats
        now = time.monotonic()
        if now - self.drawn >= REDRAW_S or iteration >= self.total:
            self.handle.update(self.html(self._text()))
            self.drawn = now

    def say(self, text: str) -> None:
        print(text, file=sys.stdout, flush=True)

    def close(self) -> None:
        self.handle.update(self.html(self._text()))  # the last iteration, whatever the redraw interval
