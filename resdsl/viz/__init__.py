"""The diagram backend: typed graphs as boxes and arrows (drawing.py), written as Graphviz DOT
(diagram.py, with Figure 3's column alignment in columns.py), rendered by `dot` (dot.py).

Rule: imports resdsl.core, resdsl.netgraph and resdsl.analysis, and resdsl.targets only to open
a network given by name (`diagram("resnet34")`); never torch."""

from .diagram import diagram, drawing
from .dot import render, write

__all__ = ["diagram", "drawing", "render", "write"]
