"""One iteration's arithmetic, and the recipe options beyond the paper's that shape it: the
optimizer's kind, the loss (losses.py), gradient clipping, micro-batches (batch.accumulate) and a
model EMA. With every option off this is the paper's step: one forward and backward of the
whole batch, then SGD.
"""

from __future__ import annotations

import contextlib
import copy
import itertools
from typing import Any

import torch

from .losses import Loss
from .network import parameter_groups


def make_optimizer(model: torch.nn.Module, recipe) -> torch.optim.Optimizer:
    """SGD (plain or Nesterov), torch's AdamW or LAMB; weight decay per group
    (network.parameter_groups), and each stage's learning rate scaled (optimizer.layer_decay)."""
    opt = recipe["optimizer"]
    groups = parameter_groups(model, opt["weight_decay"], opt["decay_norm_and_bias"])
    if opt["layer_decay"] < 1:
        from .optim_layers import layer_decay_groups

        groups = layer_decay_groups(model, groups, opt["layer_decay"])
    betas = (opt["betas"][0], opt["betas"][1])
    if opt["kind"] == "adamw":
        return torch.optim.AdamW(groups, lr=opt["lr"], betas=betas)
    if opt["kind"] == "lamb":
        from .optim_lamb import Lamb

        return Lamb(groups, lr=opt["lr"], betas=betas)
    return torch.optim.SGD(groups, lr=opt["lr"], momentum=opt["momentum"],
                           nesterov=opt["nesterov"] or opt["kind"] == "nesterov")


def mixed_precision(amp: str, device: torch.device, warn: bool):
    """The autocast context of `device.amp` and, for fp16, the gradient scaler it needs."""
    if amp == "fp16" and device.type == "cpu" and warn:
        import sys

        print("warning: --amp fp16 on a CPU is emulated and many times slower than float32; "
              "give --amp bf16 or none there", file=sys.stderr)
    if amp == "none":
        return contextlib.nullcontext(), None
    dtype = torch.bfloat16 if amp == "bf16" else torch.float16
    return torch.autocast(device.type, dtype=dtype), torch.amp.GradScaler(device.type) if amp == "fp16" else None


class Update:
    """Forward, backward and the optimizer's step for one batch, as the recipe asks."""

    def __init__(self, trained: torch.nn.Module, model: torch.nn.Module, optimizer: torch.optim.Optimizer,
                 recipe, amp, scaler):
        self.trained, self.model, self.optimizer = trained, model, optimizer
        self.amp, self.scaler = amp, scaler
        self.parts = recipe["batch.accumulate"]
        self.criterion = Loss(recipe)
        self.clip = recipe["optimizer.clip_grad_norm"]

    def __call__(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Update the weights from a batch; its mean loss and count of wrong answers (on the device)."""
        self.optimizer.zero_grad(set_to_none=True)
        losses, wrongs = [], []
        for i, (xs, ys) in enumerate(zip(x.chunk(self.parts), y.chunk(self.parts))):
            # DDP averages gradients once, on the last micro-batch's backward
            last = i == self.parts - 1
            no_sync = getattr(self.trained, "no_sync", None)
            sync = no_sync() if no_sync is not None and not last else contextlib.nullcontext()
            with sync:
                with self.amp:
                    scores, loss = self.loss(self.trained(xs), ys)
                part = loss if self.parts == 1 else loss / self.parts  # micro-batches are equal: their mean
                (self.scaler.scale(part) if self.scaler is not None else part).backward()
            losses.append(loss.detach())
            # mixed targets (class probabilities) count as their larger share's class
            wrongs.append((scores.detach().argmax(1) != (ys if ys.dim() == 1 else ys.argmax(1))).sum())
        self._step()
        if self.parts == 1:
            return losses[0], wrongs[0]
        return torch.stack(losses).mean(), torch.stack(wrongs).sum()

    def loss(self, outputs: torch.Tensor, labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The scores errors are counted from, and the loss (auxiliary.attach replaces this for
        a network with auxiliary heads)."""
        return outputs, self.criterion(outputs, labels)

    def _step(self) -> None:
        if self.clip > 0:
            if self.scaler is not None:
                self.scaler.unscale_(self.optimizer)
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.clip)
        if self.scaler is not None:
            self.scaler.step(self.optimizer)
            self.scaler.update()
        else:
            self.optimizer.step()


class Ema:
    """A moving average of a model's weights: after each update, ema = decay * ema + (1 - decay) * w
    (torch's get_ema_multi_avg_fn), starting from the first update's weights. BN's running
    statistics are averaged too; its counts are copied."""

    def __init__(self, model: torch.nn.Module, decay: float):
        from torch.optim.swa_utils import get_ema_multi_avg_fn

        self.module = copy.deepcopy(model)
        self.module.requires_grad_(False)
        self.average = get_ema_multi_avg_fn(decay)
        self.started = False

    def _pairs(self, model: torch.nn.Module):
        return zip(itertools.chain(self.module.parameters(), self.module.buffers()),
                   itertools.chain(model.parameters(), model.buffers()), strict=True)

    @torch.no_grad()
    def update(self, model: torch.nn.Module) -> None:
        mine, theirs = [], []
        for averaged, current in self._pairs(model):
            if not self.started or not averaged.is_floating_point():
                averaged.copy_(current)
            else:
                mine.append(averaged)
                theirs.append(current.detach())
        if mine:
            self.average(mine, theirs, None)
        self.started = True

    def tensors(self) -> dict[str, torch.Tensor]:
        """The averaged state as a checkpoint keeps it (under `ema.`)."""
        return {f"ema.{k}": v.detach().cpu().contiguous().clone() for k, v in self.module.state_dict().items()}

    def restore(self, tensors: dict[str, Any], iteration: int) -> None:
        state = {k[len("ema."):]: v for k, v in tensors.items() if k.startswith("ema.")}
        if state:
            self.module.load_state_dict(state, strict=True)
        self.started = bool(state) and iteration > 0
