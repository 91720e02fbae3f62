"""A torch module to its layers (layers.Imported), by torch.fx: modules the op table builds stay
whole (leaf modules), everything else is traced through to the calls it makes."""

from __future__ import annotations

import operator
from typing import Any, cast

import networkx as nx
import torch
from torch import fx, nn
from torch.fx.passes.shape_prop import ShapeProp

from ..netgraph.ops import OPS
from . import calls
from .concrete import ConcreteTracer
from .errors import TraceError, UnsayableError
from .heads import named_values, packing, uncalled_weights, with_training_heads
from .layers import Imported, Layer
from .optable import Found, ops_building, read_args, reverse_table
from .recognise import recognised
from .stacks import Stacks

# calls that compute no layer: they pass their first argument on
_PASSING = {"contiguous", "clone", "detach", nn.Identity}
# torch functions whose module form the op table builds (Concat, nn.Flatten)
_FUNCTIONS = {torch.cat: "concat", torch.flatten: "flatten", "flatten": "flatten",
              "view": "flatten", "reshape": "flatten", torch.reshape: "flatten"}


class _Tracer(ConcreteTracer):
    """Keeps whole the modules the op table builds, as torch.nn's own, and those recognised as
    computing an op (recognise.py)."""

    def __init__(self, example: torch.Tensor, recognised: dict[str, list[tuple[str, dict]]]):
        super().__init__(example)
        self.recognised = recognised

    def is_leaf_module(self, m: nn.Module, qualname: str) -> bool:
        found = reverse_table().get(type(m))
        return ((found is not None and found.module) or qualname in self.recognised
                or super().is_leaf_module(m, qualname))


def trace(model: nn.Module, example: torch.Tensor, name: str) -> Imported:
    """The layers `model` computes on an input like `example` (a batch of one or more), in
    evaluation; with the auxiliary heads it runs in training only (GoogLeNet's side classifiers)."""
    was_training = model.training
    model.eval()
    try:
        return _traced(model, example, name)
    finally:
        model.train(was_training)


def _traced(model: nn.Module, example: torch.Tensor, name: str) -> Imported:
    found = recognised(model, example)
    try:
        graph = _symbolic(model, example, found)
        main = None
        if uncalled_weights(model, graph):  # maybe heads that run in training only
            main, graph = with_training_heads(model, graph, lambda: _Tracer(example, found).trace(model))
        module = fx.GraphModule(model, graph)
        with torch.no_grad():
            ShapeProp(module).propagate(example)
    except TraceError:
        raise
    except Exception as err:
        shape = "x".join(map(str, example.shape[1:]))
        raise TraceError(f"{type(model).__name__} does not run on an input of {shape}: "
                         f"{str(err).splitlines()[0]}",
                         hint="give the input size it takes with --input CxHxW") from None
    return _Reader(model, name, tuple(example.shape[1:]), found, main).read(module.graph)


def _symbolic(model: nn.Module, example: torch.Tensor, found: dict) -> fx.Graph:
    try:
        return _Tracer(example, found).trace(model)
    except Exception as err:  # fx refuses data-dependent control flow, among others
        raise TraceError(f"torch.fx cannot trace {type(model).__name__}: {err}",
                         hint="a forward with 'if' on tensor values cannot be traced; import "
                              "the module without that branch, or from an ONNX export") from None


class _Reader:
    def __init__(self, model: nn.Module, name: str, input_shape: tuple[int, ...],
                 recognised: dict[str, list[tuple[str, dict]]], main: set[str] | None = None):
        self.model = model
        self.recognised = recognised
        self.main = main  # the fx names of the values returned in evaluation, where more in training
        self.out = Imported(name, input_shape)
        self.values: dict[fx.Node, str] = {}  # fx node -> the layer id it is
        self.problems: list[UnsayableError] = []
        self.calls: dict[str, int] = {}  # module path -> how often the forward calls it
        self.taken: dict[str, set[str]] = {}  # scope -> names given there
        self.suffix: dict[tuple[str, str], int] = {}
        self.known = _compiled_names(model)
        self.scales: dict[fx.Node, str] = {}  # a bare parameter (fx's get_attr) -> its path
        self.parts: dict[fx.Node, list[tuple[int, int]]] = {}  # a channel split -> its ranges
        self.stacks = Stacks(self)

    def read(self, graph: fx.Graph) -> Imported:
        for node in graph.nodes:
            if node.op == "call_module":
                self.calls[node.target] = self.calls.get(node.target, 0) + 1
        for node in graph.nodes:
            self._node(node)
        if self.problems:
            raise self.problems[0] if len(self.problems) == 1 else _group(self.problems)
        self.out.fold_flattens()
        return self.out

    def _node(self, node: fx.Node) -> None:
        if node.op == "placeholder":
            if self.values:
                self._refuse(node, "a second input", "the language's networks have one input")
                return
            self.out.add(Layer("input", "input", {"shape": self.out.input_shape}, [], "", False,
                               self.out.input_shape))
            self.values[node] = "input"
        elif node.op == "output":
            self._output(node)
        elif node.op == "call_module":
            self._module(node)
        elif node.op in ("call_function", "call_method"):
            if packing(node):
                return  # what it packs is returned
            if not self._scale(node):
                self._function(node)
        elif node.op == "get_attr" and isinstance(_attr(self.model, str(node.target)), nn.Parameter):
            self.scales[node] = str(node.target)
        else:
            self._refuse(node, f"{node.op} {node.target}", "")

    def _output(self, node: fx.Node) -> None:
        (value,) = node.args
        named = named_values(value)
        if not named or any(not isinstance(v, fx.Node) or v not in self.values for _, v in named):
            self._refuse(node, "an output that is not tensors", "import a model returning tensors")
            return
        main = [(n, self.values[v]) for n, v in named if self.main is None or v.name in self.main]
        self.out.auxiliary = [self.values[v] for _, v in named if self.main is not None
                              and v.name not in self.main]
        if len(main) > 1:  # a backbone's taps
            self.out.outputs = main
        self.out.output = main[-1][1]

    def _module(self, node: fx.Node) -> None:
        path = str(node.target)
        module = self.model.get_submodule(path)
        self.out.classes.update(_classes(node))
        if type(module) in _PASSING:
            self._pass(node)
            return
        if self.stacks.module(node, module):
            return
        if path in self.recognised:  # the op under its path; an activation after it, unnamed
            (op, args), *after = self.recognised[path]
            self._layer(node, op, args, path, module=True)
            scope = path.rpartition(".")[0]
            for act, act_args in after:
                source = self.values[node]
                self._layer(node, act, act_args, self._unnamed(scope, act), module=False,
                            scope=scope, inputs=[source])
            return
        found = self._compiled_op(path, module) or reverse_table().get(type(module))
        if found is None:
            self._refuse(node, f"{type(module).__name__} at {path}",
                         "no op of the language computes it (resdsl explain E1030)")
            return
        if not found.module:  # an activation module (nn.ReLU): a function with a name
            if self.calls[path] > 1:  # one module called at several places: each call a layer
                self._function(node, found, scope=path.rpartition(".")[0])
                return
            self._layer(node, found.op, {}, path, module=True)
            return
        # the first op building this class that says its settings (`avgpool` is a global
        # nn.AdaptiveAvgPool2d, `adaptive_avgpool` one to another size)
        kind: Any = type(module)
        for op in [found.op, *sorted(ops_building(kind) - {found.op}, key=list(OPS).index)]:
            said = read_args(op, module, _shape(node.args[0]), self._compiled_args(path, op))
            if said is not None:
                self._layer(node, op, said, path, module=True)
                return
        self._refuse(node, f"{module!r} at {path}", f"'{found.op}' cannot say all of its settings")

    def _function(self, node: fx.Node, found: Found | None = None, scope: str | None = None) -> None:
        target = node.target
        if found is None and self.stacks.read(node):
            return
        if target == "size" or target in _PASSING:
            self._pass(node)
            return
        if found is None and self._call(node):
            return
        op = found.op if found else _function_op(node)
        if op is None and _returns_its_input(node):  # no op of the table, and an identity here
            self._pass(node)
            return
        if op is None:
            self._refuse(node, f"{_what(node)}", "no op of the language computes it")
            return
        args = self._function_args(node, op)
        if args is None:
            return
        scope = _scope(node) if scope is None else scope
        self._layer(node, op, args, self._unnamed(scope, op), module=False, scope=scope)

    def _function_args(self, node: fx.Node, op: str) -> dict | None:
        tensors = _tensor_inputs(node)
        if op == "avgpool":
            return OPS[op].defaults({"kernel": None, "stride": None, "padding": None, "ceil": False,
                                     "include_pad": True})
        if op == "flatten" and len(_shape(node)) != 1:
            self._refuse(node, f"{_what(node)} to {_shape(node)}", "only a flatten to a vector can be said")
            return None
        if op == "mul" and len(tensors) == 1:  # a tensor times a constant: the table's scale
            factor = next(a for a in node.args if isinstance(a, (int, float)))
            return {"factor": float(factor)}
        if op in ("add", "mul") and (len(tensors) != 2 or any(
                isinstance(a, (int, float)) for a in node.args[:2])):
            self._refuse(node, f"{_what(node)} of {len(tensors)} tensors and constants",
                         "sums and products are of layers' values")
            return None
        return OPS[op].defaults({a.name: a.default for a in OPS[op].args if a.name != "kernel"}
                                if OPS[op].args else {})

    def _call(self, node: fx.Node) -> bool:
        """A call that is an op with arguments (calls.py): a functional pool, a channel split
        (no layer itself: each part taken from it is one) or slice. False for any other."""
        scope = _scope(node)
        pool = calls.pool_module(node)
        if pool is not None:
            pool_class: Any = type(pool)
            for op in sorted(ops_building(pool_class), key=list(OPS).index):
                args = read_args(op, pool, _shape(node.args[0]))
                if args is not None:
                    self._layer(node, op, args, self._unnamed(scope, op), module=False, scope=scope)
                    return True
            self._refuse(node, f"{_what(node)} with {pool!r}", "no pool of the language computes it")
            return True
        if calls.is_softmax(node):
            self._layer(node, "softmax", {"groups": 1}, self._unnamed(scope, "softmax"),
                        module=False, scope=scope)
            return True
        if calls.is_split(node):
            bounds = calls.channel_parts(node)
            if bounds is None:
                self._refuse(node, f"{_what(node)}", "only a split of the channels can be said")
            else:
                self.parts[node] = bounds
            return True
        source: Any = node.args[0] if node.args else None
        if node.target is operator.getitem and source in self.parts:
            op, args = calls.part_args(self.parts[source], cast(int, node.args[1]))
        elif (taken := calls.channel_slice(node)) is not None:
            op, args = "slice", {"start": taken[0], "end": taken[1]}
        else:
            return False
        origin = source.args[0] if source in self.parts else source
        if origin in self.values:
            self._layer(node, op, args, self._unnamed(scope, op), module=False, scope=scope,
                        inputs=[self.values[origin]])
        return True

    def elementwise(self, node: fx.Node) -> str | None:
        """The activation a call or module computes (`F.gelu`, `nn.GELU`), or None."""
        if node.op == "call_module":
            found = reverse_table().get(type(self.model.get_submodule(str(node.target))))
            op = found.op if found and not found.module else None
        else:
            op = _function_op(node)
        return op if op and OPS[op].role == "activation" else None

    def _compiled_op(self, path: str, module: nn.Module) -> Found | None:
        """For a module resdsl compiled, the op its graph says where two ops build this class
        (`layernorm` and `layernorm2d` on a map compute the same)."""
        op = self._compiled(path).get("op")
        kind: Any = type(module)  # a class, as lru_cache's key
        return Found(op, True) if op in ops_building(kind) else None

    def _compiled_args(self, path: str, op: str) -> dict | None:
        data = self._compiled(path)
        return data.get("args") if data.get("op") == op else None

    def _compiled(self, path: str) -> dict:
        """The layer's entry in the graph of a module resdsl compiled; empty for any other."""
        graph = getattr(self.model, "graph", None)
        return dict(graph.nodes[path]) if isinstance(graph, nx.DiGraph) and path in graph else {}

    def _scale(self, node: fx.Node) -> bool:
        """A value times a bare parameter, maybe reshaped first (ConvNeXt's layer scale: timm's
        `x * gamma.view(1, -1, 1, 1)`, torchvision's `layer_scale * x`): one `layer_scale`."""
        params = [a for a in node.args if isinstance(a, fx.Node) and a in self.scales]
        if not params:
            return False
        if node.target in ("view", "reshape", torch.reshape):
            self.scales[node] = self.scales[params[0]]
            return True
        if _function_op(node) != "mul" or len(_tensor_inputs(node)) != 2:
            return False
        path = self.scales[params[0]]
        weight = _attr(self.model, path)
        values = set(weight.detach().flatten().tolist())
        # the float32 value as the decimal it was written as (1e-6, not 9.99999997e-07)
        init = float(f"{values.pop():.7g}") if len(values) == 1 else OPS["layer_scale"].defaults({})["init"]
        self._layer(node, "layer_scale", {"init": init, "dims": weight.dim()}, path, module=True)
        return True

    def _pass(self, node: fx.Node) -> None:
        source = node.args[0]
        if isinstance(source, fx.Node) and source in self.values:
            self.values[node] = self.values[source]

    def _layer(self, node: fx.Node, op: str, args: dict, layer_id: str, *, module: bool,
               scope: str | None = None, inputs: list[str] | None = None,
               shape: tuple[int, ...] | None = None) -> None:
        if op == "mul" and "factor" in args:
            op = "scale"
        if inputs is None:
            inputs = [self.values[n] for n in _tensor_inputs(node) if n in self.values]
        if scope is None:
            scope = layer_id.rpartition(".")[0]
            self.taken.setdefault(scope, set()).add(layer_id[len(scope) + 1:] if scope else layer_id)
        full = OPS[op].defaults(dict(args)) if op not in ("add", "mul", "concat") else dict(args)
        self.out.add(Layer(layer_id, op, full, inputs, scope, module,
                           _shape(node) if shape is None else shape))
        self.values[node] = layer_id

    def _unnamed(self, scope: str, op: str) -> str:
        """The id the compiler gives the next unnamed `op` in `scope` (expansion.node_id); for a
        module resdsl compiled, the id its graph has."""
        if self.known.get((scope, op)):
            return self.known[(scope, op)].pop(0)
        taken = self.taken.setdefault(scope, set())
        n = self.suffix.get((scope, op), 0)
        name = op if n == 0 else f"{op}_{n}"
        while name in taken or (f"{scope}.{name}" if scope else name) in self.out.layers:
            n += 1
            name = f"{op}_{n}"
        self.suffix[(scope, op)] = n + 1
        taken.add(name)
        return f"{scope}.{name}" if scope else name

    def _refuse(self, _node: fx.Node, what: str, hint: str) -> None:
        self.problems.append(UnsayableError(f"the language cannot say {what}", hint=hint or None))


def _compiled_names(model: nn.Module) -> dict[tuple[str, str], list[str]]:
    """A module resdsl compiled keeps its graph: the ids of the layers its forward computes with
    torch functions (`conv1.2`, a ReLU), by container and op, in order."""
    import networkx as nx

    graph = getattr(model, "graph", None)
    if not isinstance(graph, nx.DiGraph):
        return {}
    names: dict[tuple[str, str], list[str]] = {}
    for node, data in graph.nodes(data=True):
        if data.get("op") in OPS and not _is_module(model, node):
            names.setdefault((node.rpartition(".")[0], data["op"]), []).append(node)
    return names


def _is_module(model: nn.Module, path: str) -> bool:
    try:
        model.get_submodule(path)
        return True
    except AttributeError:
        return False


def _group(problems: list[UnsayableError]):
    from ..core.errors import ErrorGroup

    return ErrorGroup(problems)


def _attr(model: nn.Module, path: str) -> Any:
    owner, _, name = path.rpartition(".")
    return getattr(model.get_submodule(owner), name, None)


def _returns_its_input(node: fx.Node) -> bool:
    """A call that gave back its input itself on the example, as torchvision's
    `stochastic_depth(x, p, mode, training=False)` does in evaluation: it computes nothing."""
    value = node.meta.get("concrete")
    first = node.args[0] if node.args else None
    name = node.target if isinstance(node.target, str) else getattr(node.target, "__name__", "")
    in_place = name.endswith("_")  # `x.clamp_()` gives back x, changed
    return (isinstance(value, torch.Tensor) and isinstance(first, fx.Node) and not in_place
            and first.meta.get("concrete") is value)


def _function_op(node: fx.Node) -> str | None:
    target = node.target
    if target in ("mean", torch.mean) and _global_mean(node):  # x.mean((2, 3)): global pooling
        return "avgpool"
    if target in _FUNCTIONS:
        return _FUNCTIONS[target]
    found = reverse_table().get(target)
    if found is not None:
        return found.op
    name = getattr(target, "__name__", None)
    found = reverse_table().get(name) if node.op == "call_function" and name else None
    return found.op if found else None


def _global_mean(node: fx.Node) -> bool:
    dims = node.args[1] if len(node.args) > 1 else node.kwargs.get("dim")
    return isinstance(dims, (tuple, list)) and sorted(d % 4 for d in dims) == [2, 3]


def _tensor_inputs(node: fx.Node) -> list[fx.Node]:
    flat: list[Any] = []
    for a in node.args:
        flat.extend(a if isinstance(a, (list, tuple)) else [a])
    return [a for a in flat if isinstance(a, fx.Node) and "tensor_meta" in a.meta]


def _shape(node: Any) -> tuple[int, ...]:
    meta = node.meta.get("tensor_meta") if isinstance(node, fx.Node) else None
    return tuple(meta.shape[1:]) if meta is not None and hasattr(meta, "shape") else ()


def _scope(node: fx.Node) -> str:
    stack = node.meta.get("nn_module_stack") or {}
    return str(next(reversed(stack))).partition("@")[0] if stack else ""


def _classes(node: fx.Node) -> dict[str, str]:
    stack = node.meta.get("nn_module_stack") or {}
    return {str(path): cls.__name__ for path, (_, cls) in stack.items()}


def _what(node: fx.Node) -> str:
    target = node.target
    name = target if isinstance(target, str) else getattr(target, "__name__", str(target))
    where = _scope(node)
    return f"{name}()" + (f" in {where}" if where else "")
