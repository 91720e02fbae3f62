"""Synchronized batch normalization that also runs on the CPU (gloo).

torch's `nn.SyncBatchNorm` refuses CPU tensors, so a CPU run over several processes could not
normalize over the global batch. This BN layer does what it does, with torch.distributed's
all_reduce: the forward sums each channel's values, squares and count over every process; the
backward sums the two reductions the input gradient needs (of dy and of dy * x_hat). The weight
and bias gradients stay local, as DDP averages them itself. On a GPU the loop uses torch's own.
"""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import nn


class _SyncNorm(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        dims = [0] + list(range(2, x.dim()))
        # sums in float64, as torch's own CPU BN accumulates: E[x^2] - E[x]^2 loses nothing
        # there, and the statistics round to the same float32 values a single process gets
        wide = x.double()
        count = torch.tensor([x.numel() / x.shape[1]], dtype=torch.float64, device=x.device)
        stats = torch.cat([wide.sum(dims), (wide * wide).sum(dims), count])
        dist.all_reduce(stats)
        c = x.shape[1]
        total = stats[-1]
        mean64 = stats[:c] / total
        var64 = (stats[c:2 * c] / total - mean64 * mean64).clamp_min(0)
        mean, var = mean64.to(x.dtype), var64.to(x.dtype)
        invstd = torch.rsqrt(var64 + eps).to(x.dtype)
        total = total.to(x.dtype)
        shape = [1, c] + [1] * (x.dim() - 2)
        x_hat = (x - mean.view(shape)) * invstd.view(shape)
        ctx.save_for_backward(x_hat, weight, invstd, total)
        unbiased = var * total / (total - 1).clamp_min(1)  # what running_var averages, as torch's BN
        ctx.mark_non_differentiable(mean, unbiased)
        return x_hat * weight.view(shape) + bias.view(shape), mean, unbiased

    @staticmethod
    def backward(ctx, grad, _mean_grad, _var_grad):
        x_hat, weight, invstd, total = ctx.saved_tensors
        dims = [0] + list(range(2, grad.dim()))
        c = grad.shape[1]
        shape = [1, c] + [1] * (grad.dim() - 2)
        local = torch.cat([grad.sum(dims), (grad * x_hat).sum(dims)])
        grad_bias, grad_weight = local[:c].clone(), local[c:].clone()
        dist.all_reduce(local)
        mean_dy, mean_dy_xhat = local[:c] / total, local[c:] / total
        grad_x = (grad - mean_dy.view(shape) - x_hat * mean_dy_xhat.view(shape)) * (invstd * weight).view(shape)
        return grad_x, grad_weight, grad_bias, None


class SyncBatchNorm(nn.BatchNorm2d):
    """BatchNorm2d whose training statistics are over every process of the default group."""

    def forward(self, x):
        if not (self.training and dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1):
            return super().forward(x)
        y, mean, var = _SyncNorm.apply(x, self.weight, self.bias, self.eps)
        with torch.no_grad():
            self.num_batches_tracked += 1
            m = self.momentum if self.momentum is not None else 1.0 / float(self.num_batches_tracked)
            self.running_mean.mul_(1 - m).add_(mean.detach(), alpha=m)
            self.running_var.mul_(1 - m).add_(var.detach(), alpha=m)
        return y


def convert(module: nn.Module) -> nn.Module:
    """Every affine BatchNorm2d with running statistics becomes a SyncBatchNorm, keeping its
    tensors (so names, shapes and state_dict keys do not change)."""
    for name, child in list(module.named_children()):
        if type(child) is nn.BatchNorm2d and child.affine and child.track_running_stats:
            sync = SyncBatchNorm(child.num_features, child.eps, child.momentum).to(child.weight.device)
            sync.load_state_dict(child.state_dict())
            setattr(module, name, sync)
        else:
            convert(child)
    return module
