"""resdsl: a declarative language and compiler for residual networks (He et al., 2015).

    >>> import resdsl
    >>> g = resdsl.graph("resnet50")
    >>> g.nodes["layer2.0.conv2"]["out_shape"]
    (128, 28, 28)

The pipeline, one subpackage a stage: `language` (text -> graph) builds a `netgraph` (the typed
graph and its op table), which `analysis` (checks, costs, reports) and the backends read: `ir`
(JSON), `viz` (diagrams) and `torch` (nn.Module and exports). `core` holds what every stage shares;
`api` and `cli` are the faces. Subpackages load when first used (`resdsl.viz.diagram(...)` works
after `import resdsl`), so importing resdsl never imports torch.
"""

from __future__ import annotations

import importlib

from .api import create_model, export, graph, graph_from_text, list_models, list_networks, load
from .core.errors import ResdslError
from .core.version import __version__
from .importer import from_module, from_onnx

__all__ = ["create_model", "export", "from_module", "from_onnx", "graph", "graph_from_text",
           "list_models", "list_networks", "load", "ResdslError", "__version__"]

_SUBPACKAGES = {"analysis", "cli", "core", "experiments", "importer", "ir", "language", "netgraph", "targets",
                "torch", "train", "viz"}


def __getattr__(name: str):
    if name in _SUBPACKAGES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'resdsl' has no attribute '{name}'")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBPACKAGES})
