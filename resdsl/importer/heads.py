"""Several values returned, and heads that run in training only: a traced forward's outputs by
name, and the trace in training that finds GoogLeNet's and Inception-v3's side classifiers."""

from __future__ import annotations

from typing import Any, Callable

from torch import fx, nn


def uncalled_weights(model: nn.Module, graph: fx.Graph) -> bool:
    """Whether some parameter is used by no call of the traced forward."""
    used = {str(n.target) for n in graph.nodes if n.op in ("call_module", "get_attr")}
    for path, _ in model.named_parameters():
        parts = path.split(".")
        if not any(".".join(parts[:k]) in used for k in range(1, len(parts) + 1)):
            return True
    return False


def with_training_heads(model: nn.Module, graph: fx.Graph,
                        retrace: Callable[[], fx.Graph]) -> tuple[set[str] | None, fx.Graph]:
    """The forward traced in training, where it returns more values than in evaluation (the
    auxiliary heads' beside the main one), and the fx names of the values evaluation returns."""
    main = {a.name for a in returned(graph) if isinstance(a, fx.Node)}
    # the tracer computes values: in training that would move BN's running statistics
    state = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    try:
        training = retrace()
    except Exception:  # the evaluation's graph is read as it is
        return None, graph
    finally:
        model.eval()
        model.load_state_dict(state)
    names = [a.name for a in returned(training) if isinstance(a, fx.Node)]
    if len(names) <= len(main) or not main <= set(names):
        return None, graph
    return main, training


def returned(graph: fx.Graph) -> list[Any]:
    """What a traced forward returns, as a list."""
    (value,) = next(n for n in graph.nodes if n.op == "output").args
    return [v for _, v in named_values(value)]


def named_values(value: Any) -> list[tuple[str | None, Any]]:
    """A returned value as (name, value) pairs: a dict's by its keys, a tuple's or a list's
    unnamed, a single value alone."""
    if isinstance(value, dict):
        return [(str(k), v) for k, v in value.items()]
    if isinstance(value, (tuple, list)):
        return [(None, v) for v in value]
    if packing(value):  # a named tuple made in the forward (torchvision's GoogLeNetOutputs)
        return [(None, v) for v in value.args]
    return [(None, value)]


def packing(node: Any) -> bool:
    """Whether an fx node makes a tuple of values (a named tuple's class called), no layer."""
    if not isinstance(node, fx.Node) or node.op != "call_function":
        return False
    return isinstance(node.target, type) and issubclass(node.target, tuple)
