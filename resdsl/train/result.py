"""What `resdsl.train(...)` returns: the run's summary as the dict it has always been (every key,
`json.dumps`-able, equal to the summary), with the run's results as attributes:

    >>> run = resdsl.train("resnet20", "digits")      # doctest: +SKIP
    >>> run.best, run.files["weights.safetensors"]     # doctest: +SKIP
    >>> run.model(x)                                    # doctest: +SKIP

`.model` is the trained network (its final weights loaded), `.history` the metric rows (a pandas
DataFrame when pandas is installed), `.best` the best validation error and the iteration it came
at, `.files` the run folder's files as paths, `.plot()` the error curves."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any


class TrainRun(dict):
    """A run's summary (a dict, as before) that also knows how to rebuild its trained model."""

    def __init__(self, summary: dict[str, Any], target: str, network: str | None,
                 params: dict[str, Any]):
        super().__init__(summary)
        self._target, self._network, self._params = target, network, dict(params)
        self._model = None

    @property
    def run_dir(self) -> Path:
        return Path(self["run_dir"])

    @property
    def files(self) -> dict[str, Path]:
        return {name: Path(path) for name, path in self.get("files", {}).items()}

    @property
    def history(self):
        """The metric rows: a pandas DataFrame when pandas is installed, else the list of dicts."""
        rows = self.get("history", [])
        if importlib.util.find_spec("pandas") is None:
            return rows
        import pandas

        return pandas.DataFrame(rows)

    @property
    def best(self) -> dict[str, Any]:
        """The lowest validation error and the iteration of that validation (None without one)."""
        val = [r for r in self.get("history", []) if r.get("split") == "val"]
        if not val:
            return {"val_error": None, "iteration": None}
        row = min(val, key=lambda r: r["error"])
        return {"val_error": row["error"], "iteration": row["iteration"]}

    @property
    def model(self):
        """The network built as the run built it (for the data's input size), with the run's final
        weights; the same module on every access."""
        if self._model is None:
            self._model = self._load()
        return self._model

    def _load(self):
        from ..targets import checked_graph
        from ..torch.backend import build_module
        from .checkpoint import CheckpointError

        weights = self.files.get("weights.safetensors")
        if weights is None or not weights.is_file():
            raise CheckpointError(f"run '{self['run_dir']}' has no final weights (it did not finish)",
                                  hint="resume it to its end: resdsl.train(..., resume=True)")
        from safetensors.torch import load_file

        built = checked_graph(self._target, self._network, input_shape=tuple(self["data"]["shape"]),
                              params=self._params, forward_batch=1)
        model = build_module(built)
        model.load_state_dict(load_file(str(weights)))
        from ..core.preprocess import of_weights
        from ..torch.carried import attach

        attach(model, of_weights(weights))  # model.preprocess, .pretrained_cfg, .transforms()
        return model.eval()

    def plot(self, path: str | Path | None = None, *, log_scale: bool = False) -> Path:
        """The run's training (dashed) and validation (bold) error drawn to `path` (a PNG by
        default beside the run: its errors.png, or errors-log.png with `log_scale`)."""
        from .plot import plot_errors

        if path is None:
            path = self.run_dir / ("errors-log.png" if log_scale else "errors.png")
        return plot_errors([(self["network"], self.get("history", []))], path, log_scale=log_scale)
