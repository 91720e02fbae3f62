"""The best validation so far: which weights `best.safetensors` holds, and early stopping
(`stop.patience`: that many validations in a row without a lower error end the run).

Its state is a small dict kept in every checkpoint, so a resumed run saves the same best
weights and stops at the same iteration as an uninterrupted one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Best:
    patience: int | None                  # None: never stop early
    state: dict[str, Any] = field(default_factory=lambda: {"error": None, "iteration": None, "bad": 0})

    def see(self, error: float, iteration: int) -> bool:
        """Count a validation; whether it is a new best (strictly lower error)."""
        if self.state["error"] is None or error < self.state["error"]:
            self.state.update(error=error, iteration=iteration, bad=0)
            return True
        self.state["bad"] += 1
        return False

    @property
    def exhausted(self) -> bool:
        """Whether the run should stop: `patience` validations without a new best."""
        return self.patience is not None and self.state["bad"] >= self.patience

    def restore(self, saved: Any) -> None:
        """The state a checkpoint kept (none in a checkpoint written before best weights were kept)."""
        if isinstance(saved, dict) and isinstance(saved.get("bad"), int):
            self.state = {"error": saved.get("error"), "iteration": saved.get("iteration"), "bad": saved["bad"]}
