"""The typed graph: the op table, shortcut policies, building the graph, shape and cost inference,
and the checks a graph carries.

Rule: imports only resdsl.core; never torch (op builders are handed it by the torch backend)."""
