"""LAMB (You et al. 2019, "Large Batch Optimization for Deep Learning", Algorithm 2): Adam's
step, with decoupled weight decay, rescaled per tensor so that its norm is the learning rate
times the weight's norm (the trust ratio). torch has no LAMB; this is the published algorithm.

For each tensor x with gradient g, at step t (from 1):
    m = b1 m + (1 - b1) g              v = b2 v + (1 - b2) g^2
    r = (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)
    u = r + weight_decay * x
    x = x - lr * (|x| / |u|) * u       (the ratio is 1 where either norm is 0)
with phi the identity (no clipping of |x|), the paper's choice for its experiments.
"""

from __future__ import annotations

import torch


class Lamb(torch.optim.Optimizer):
    def __init__(self, params, lr: float = 1e-3, betas: tuple[float, float] = (0.9, 0.999), eps: float = 1e-6,
                 weight_decay: float = 0.0):
        if lr <= 0 or eps < 0 or weight_decay < 0 or not all(0 <= b < 1 for b in betas):
            raise ValueError(f"LAMB: lr {lr}, betas {betas}, eps {eps} or weight_decay {weight_decay} "
                             "is out of range")
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps, "weight_decay": weight_decay})

    @torch.no_grad()
    def step(self, closure=None):  # type: ignore[override]
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    self._update(p, p.grad, group)
        return loss

    def _update(self, p: torch.Tensor, g: torch.Tensor, group: dict) -> None:
        if g.is_sparse:
            raise RuntimeError("LAMB does not take sparse gradients")
        b1, b2 = group["betas"]
        state = self.state[p]
        if not state:
            state["step"] = torch.tensor(0.0)  # on the host, as torch's Adam keeps it: no device wait
            state["exp_avg"] = torch.zeros_like(p, memory_format=torch.preserve_format)
            state["exp_avg_sq"] = torch.zeros_like(p, memory_format=torch.preserve_format)
        state["step"] += 1
        t = state["step"].item()
        m, v = state["exp_avg"], state["exp_avg_sq"]
        m.mul_(b1).add_(g, alpha=1 - b1)
        v.mul_(b2).addcmul_(g, g, value=1 - b2)
        update = (m / (1 - b1 ** t)) / (v / (1 - b2 ** t)).sqrt_().add_(group["eps"])
        if group["weight_decay"]:
            update.add_(p, alpha=group["weight_decay"])
        w_norm, u_norm = p.norm(), update.norm()
        trust = torch.where((w_norm > 0) & (u_norm > 0), w_norm / u_norm, torch.ones_like(w_norm))
        p.sub_(update * (trust * group["lr"]))
