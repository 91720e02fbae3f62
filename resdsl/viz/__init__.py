"""The diagram backend: typed graphs as Graphviz DOT (diagram.py), rendered by `dot` (dot.py).

Rule: imports resdsl.core, resdsl.netgraph and resdsl.analysis; never torch."""

from .diagram import diagram, drawing
from .dot import render, write

__all__ = ["diagram", "drawing", "render", "write"]
