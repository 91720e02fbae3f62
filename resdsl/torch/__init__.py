"""The PyTorch backend: a typed graph as an nn.Module with a generated forward (backend.py,
codegen.py), He initialization (init.py), the modules torch.nn lacks (modules.py) and the .py,
.pt2, .onnx and .safetensors artifacts (export.py).

Rule: imports resdsl.core, resdsl.netgraph and resdsl.analysis; the only stage (with training)
that imports torch."""

from .backend import build_module

__all__ = ["build_module"]
