"""The learning rate of each iteration, and when training stops.

The schedule keeps its whole state in a small dict (warm-up over, plateau best and count), so a
checkpoint stores it as JSON and a resumed run continues exactly where the killed one was.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

PLATEAU_EPS = 1e-8  # a drop smaller than this is not made (torch's ReduceLROnPlateau eps)


@dataclass
class Schedule:
    lr: float
    kind: str                     # steps | plateau | constant | cosine | onecycle
    milestones: list[int]         # in iterations
    factor: float
    patience: int
    warmup: dict[str, Any] | None
    stop: int                     # iterations
    state: dict[str, Any] = field(default_factory=dict)
    floor: float = 0.0            # cosine: where it ends (torch's eta_min)

    @classmethod
    def from_recipe(cls, recipe, per_epoch: int) -> "Schedule":
        sched = recipe["schedule"]
        scale = per_epoch if sched["unit"] == "epochs" else 1
        stop = recipe["stop"]
        stop_at = stop["iterations"] if "iterations" in stop else stop["epochs"] * per_epoch
        linear = sched.get("warmup", {}).get("kind") == "linear"  # a function of the iteration alone
        state = {"warmup_done": sched.get("warmup") is None or linear, "train_error_ema": None,
                 "best": None, "bad": 0, "drops": 0}
        return cls(recipe["optimizer.lr"], sched["kind"], [m * scale for m in sched["milestones"]],
                   sched["factor"], sched["patience"], sched.get("warmup"), stop_at, state, sched["min_lr"])

    def rate(self, iteration: int) -> float:
        """The learning rate of iteration `iteration` (0-based)."""
        if not self.state["warmup_done"]:
            return self._warmup()["lr"]
        warmup = self.warmup or {}
        if warmup.get("kind") == "linear" and iteration < warmup["iterations"]:
            start = warmup["lr"]
            return start + (self._rate(iteration) - start) * iteration / warmup["iterations"]
        return self._rate(iteration)

    def _rate(self, iteration: int) -> float:
        """The rate after any warm-up."""
        if self.kind == "cosine":
            turn = math.cos(math.pi * min(iteration, self.stop) / self.stop)
            return (self.lr - self.floor) * 0.5 * (1 + turn) + self.floor
        if self.kind == "onecycle":
            return one_cycle(self.lr, iteration, self.stop)
        if self.kind == "steps":
            drops = sum(1 for m in self.milestones if iteration >= m)
        elif self.kind == "plateau":
            drops = self.state["drops"]
        else:
            drops = 0
        return self.lr * self.factor ** drops

    def _warmup(self) -> dict[str, Any]:
        """The warm-up's settings, asked for only while the state says it lasts."""
        if self.warmup is None:  # a checkpoint taken in a warm-up, resumed with a recipe without one
            raise ValueError("the schedule's state is in a warm-up, but the recipe has none")
        return self.warmup

    @property
    def wants_train_error(self) -> bool:
        """Whether `after_iteration` needs this iteration's training error (during the warm-up)."""
        return not self.state["warmup_done"]

    def after_iteration(self, iteration: int, train_error: float) -> None:
        """The paper's ResNet-110 warm-up: 0.01 until the training error is below 80%, read off a
        moving average (over ~20 iterations) so that one lucky batch does not end it."""
        if self.state["warmup_done"]:
            return
        ema = self.state["train_error_ema"]
        ema = train_error if ema is None else 0.9 * ema + 0.1 * train_error
        self.state["train_error_ema"] = ema
        warmup = self._warmup()
        done_by_error = "until_train_error" in warmup and ema < warmup["until_train_error"]
        done_by_count = "iterations" in warmup and iteration + 1 >= warmup["iterations"]
        if done_by_error or done_by_count:
            self.state["warmup_done"] = True

    def after_validation(self, error: float) -> None:
        """Plateau: divide by `factor` after `patience` validations without a new best (better by
        1e-4): torch's ReduceLROnPlateau with threshold_mode "abs" and its patience one fewer."""
        if self.kind != "plateau":
            return
        best = self.state["best"]
        if best is None or error < best - 1e-4:
            self.state["best"], self.state["bad"] = error, 0
            return
        self.state["bad"] += 1
        if self.state["bad"] >= self.patience:
            now = self.lr * self.factor ** self.state["drops"]
            if now - now * self.factor > PLATEAU_EPS:  # torch's ReduceLROnPlateau stops there too
                self.state["drops"] += 1
            self.state["bad"] = 0


def one_cycle(top: float, iteration: int, total: int, start_share: float = 0.3) -> float:
    """torch's OneCycleLR (its defaults; the learning rate only): cosine from top/25 up to top
    over 30% of the iterations, then cosine down to top/25e4 at the last."""
    low, end = top / 25, top / 25 / 1e4
    rise_end = start_share * total - 1
    if iteration <= rise_end:
        start, stop, share = low, top, iteration / rise_end if rise_end > 0 else 1.0
    else:
        start, stop, share = top, end, (iteration - rise_end) / (total - 1 - rise_end)
    return stop + (start - stop) / 2 * (math.cos(math.pi * min(share, 1.0)) + 1)
