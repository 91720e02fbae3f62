"""What a user watches: a rich progress bar (loss, error, learning rate, images/s) on a
terminal, a notebook's bar in Jupyter (notebook.py), one plain line per validation otherwise,
nothing with `quiet`. Written to stderr (stdout in a notebook), so stdout stays free for the
summary."""

from __future__ import annotations

import sys


class Progress:
    def __init__(self, total: int, start: int, title: str, quiet: bool):
        self.quiet = quiet
        self.bar = None
        self.notebook = None
        self.total = total
        if quiet:
            return
        from .notebook import in_notebook, notebook_bar

        if in_notebook():
            self.notebook = notebook_bar(total, start, title)
            return
        from rich.console import Console

        self.console = Console(stderr=True, width=None if sys.stderr.isatty() else 160)
        if sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress as Bar,
                TextColumn,
                TimeRemainingColumn,
            )

            self.bar = Bar(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                           TextColumn("{task.fields[stats]}"), TimeRemainingColumn(),
                           console=self.console, transient=False)
            self.task = self.bar.add_task(title, total=total, completed=start, stats="")
            self.bar.start()
        else:
            self.console.print(f"{title}: iterations {start} to {total}", highlight=False)

    def step(self, iteration: int, loss: float, error: float, lr: float, images_per_s: float) -> None:
        if self.bar is None and self.notebook is None:
            return
        stats = f"loss {loss:.3f}  err {100 * error:5.1f}%  lr {lr:.3g}  {images_per_s:,.0f} img/s"
        if self.notebook is not None:
            self.notebook.update(iteration, stats)
        elif self.bar is not None:
            self.bar.update(self.task, completed=iteration, stats=stats)

    def say(self, text: str) -> None:
        if self.quiet:
            return
        if self.notebook is not None:
            self.notebook.say(text)
        else:
            (self.bar.console if self.bar is not None else self.console).print(text, highlight=False)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()
        if self.notebook is not None:
            self.notebook.close()
