"""resdsl: a declarative language and compiler for residual networks (He et al., 2015).

    >>> import resdsl
    >>> g = resdsl.graph("resnet50")
    >>> g.nodes["layer2.0.conv2"]["out_shape"]
    (128, 28, 28)
"""

from .api import graph, graph_from_text, load
from .errors import ResdslError

__all__ = ["graph", "graph_from_text", "load", "ResdslError", "__version__"]
__version__ = "0.1.0"
