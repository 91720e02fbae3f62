"""Targets: what a FILE argument names (a path, `path:NAME`, a bundled network or file, the JSON
IR), opened, its network picked, built for an input and parameters, and checked against the
limits. The one path from a target to a graph that every face, training and the experiments take.

Rule: imports resdsl.core, resdsl.netgraph, resdsl.language, resdsl.analysis and resdsl.ir; never
torch."""

from .checked import ChoiceError, Chosen, checked_graph, checked_graphs, choices, choose, in_scope, is_ir

__all__ = ["ChoiceError", "Chosen", "checked_graph", "checked_graphs", "choices", "choose", "in_scope",
           "is_ir"]
