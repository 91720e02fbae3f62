"""Training: `resdsl train` and `resdsl eval`, and `resdsl.train(...)` from Python.

    >>> summary = resdsl.train("resnet20", data="digits")           # doctest: +SKIP
    >>> summary["final"]["val_error"], summary["run_dir"]             # doctest: +SKIP
    >>> summary.best, summary.model                                   # doctest: +SKIP

One module a job: recipe (TOML recipes, validated), data (digits, cifar10:PATH, folder:PATH),
pipeline (batch order and augmentation), network (the graph built for the data), schedule,
loop, checkpoint, metrics, plot, progress, distributed (torch.distributed), evaluate.

This package is callable, so that `resdsl.train(...)` is both the function and the package's
name: `import resdsl.train.recipe` and `resdsl.train("resnet20")` both work.

Rule: imports resdsl.core, resdsl.netgraph, resdsl.language, resdsl.targets, resdsl.analysis and
resdsl.torch; may import torch (inside its modules; importing the package itself does not).
"""

from __future__ import annotations

import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .result import TrainRun


def train(network: str, data: str = "digits", *, recipe: str | Path | None = None,
          out: str | Path | None = None, resume: bool = False, network_name: str | None = None,
          input_shape: tuple[int, int, int] | None = None, params: dict[str, Any] | None = None,
          device: str | None = None, quiet: bool | None = None, stop_after: int | None = None,
          threads: int | None = None, init: str | Path | None = None,
          freeze: tuple[str, ...] | list[str] = (), log: tuple[str, ...] | list[str] = (),
          **fields: Any) -> "TrainRun":
    """Train a network (a file, FILE:NAME or bundled name) and return the run's summary: a dict,
    with the run's results as attributes too (`.model`, `.history`, `.best`, `.files`, `.plot()`;
    resdsl/train/result.py).

    `recipe` is a bundled recipe (`cifar10`, `cifar10-warmup`, `imagenet`, `imagenet-rsb-a3`, `digits`)
    or a .toml file; by default the data's own (`digits` for digits, `cifar10`, `imagenet` for folders).
    `fields` override recipe fields by dotted name with `__` or `.`: `optimizer__lr=0.05`, or
    the short names of the command line (`lr=0.05`, `epochs=3`, `iterations=500`,
    `batch_size=32`, `seed=1`). `params` change the network's template parameters
    (`{"classes": 5}`). The summary holds the final and best errors, images/s, the run folder and
    its files, and `history`: every metric row (one per iteration, one per validation).
    `init` starts from trained weights (a run folder, a .safetensors or a torch state_dict file)
    and `freeze` keeps the parameters matching its fnmatch patterns fixed (`["conv1.*"]`).
    `log=["tensorboard"]` also writes TensorBoard event files into the run folder.
    `quiet`: None (the default) shows a progress bar in a Jupyter notebook and nothing elsewhere;
    True nothing; False progress anywhere (as `resdsl train` does).
    """
    from .logs import check_logs
    from .loop import RunSpec, run
    from .notebook import in_notebook
    from .options import recipe_overrides
    from .result import TrainRun

    spec = RunSpec(target=str(network), data=data, network=network_name, recipe=recipe,
                   overrides=recipe_overrides(fields), out=Path(out) if out is not None else None,
                   resume=resume, input_shape=input_shape, params=dict(params or {}), device=device,
                   quiet=not in_notebook() if quiet is None else quiet, stop_after=stop_after, threads=threads,
                   init=str(init) if init is not None else None, freeze=tuple(freeze), log=tuple(log))
    check_logs(spec.log)  # before the run folder is made
    return TrainRun(run(spec), str(network), network_name, spec.params)


def evaluate(network: str, weights: str | Path, data: str = "digits", **kwargs: Any) -> dict[str, Any]:
    """Top-1 / top-5 error and a confusion summary of trained weights on a data split."""
    from .evaluate import evaluate as run_eval

    return run_eval(network, weights, data, **kwargs)


class _CallableModule(types.ModuleType):
    def __call__(self, *args, **kwargs):
        return train(*args, **kwargs)

    def __setattr__(self, name: str, value: Any) -> None:
        # importing the submodule resdsl.train.evaluate would rebind `evaluate` to it: the
        # function stays (the submodule is still sys.modules["resdsl.train.evaluate"])
        if name == "evaluate" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _CallableModule

__all__ = ["train", "evaluate"]
