"""The torch backend: a typed graph to an `nn.Module` tree with generated forwards.

Submodules sit under the graph's node ids, so `state_dict()` keys are the module paths the
source names, for the bundled ResNets exactly torchvision's (`layer1.0.conv1.weight`,
`layer2.0.downsample.0.weight`, `fc.bias`). The containers those paths make are real modules
(hierarchy.py): a stage is an `nn.Sequential` of its blocks (`model.layer4[-1]`), a block a
module whose own generated forward its stage calls, so forward hooks, `named_children` and
torch.fx leaf modules work as on torchvision's ResNet.

Each forward is written once as straight-line Python (`x = self.conv1(x)`, codegen.py) and
compiled into a class of its own; blocks with the same source share one class. `model.code` is
the network's forward, `model.layer1[0].code` a block's; `model.graph` is the typed graph it was
built from (for `resdsl.viz.diagram(model)`, `model.report()`, `model.summary()`).

Not torch.fx's own code generation: building an fx graph of a 1,202-layer network and generating
code from it took longer than making its weights (bench/forward.py measures construction).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import gc
import itertools
import linecache
import re
import weakref
from typing import Callable, Mapping

import networkx as nx
import torch
from torch import nn

from ..analysis.allocation import check_parameters
from ..core.errors import ExportError, raise_all
from ..core.names import prefixes
from ..netgraph.builder import inputs_of, layer_nodes
from ..netgraph.meta import NetworkMeta, Output
from ..netgraph.ops import OPS
from ..netgraph.outputs import with_outputs
from . import heads, modules
from .codegen import forward_source
from .hierarchy import ROOT, ModuleTree, module_tree, relative
from .init import init_weights
from .interface import TimmInterface, head_source


def build_module(graph: nx.DiGraph, *, zero_init_residual: bool = False,
                 listed: bool = False) -> "CompiledNetwork":
    """The network of a typed graph, with the paper's initial weights; `listed`: several outputs
    come as a list (timm's `features_only`), not a dict."""
    check_parameters(graph)  # before torch allocates them
    with _collector_paused():
        layers = build_layers(graph)
        check_module_names(graph, layers)
        tree = module_tree(graph, lambda node: _called_alone(graph, node, layers[node]))
        shared: dict[tuple, type] = {}  # blocks of one source share a class
        numbered = _numbered(tree)
        classes = {path: _container_class(graph, tree, path, layers, shared, path in numbered)
                   for path, c in tree.containers.items() if c.kind == "generated"}
        network = generated_class(CompiledNetwork, class_name(graph.graph["name"]),
                                  forward_source(graph, tree, ROOT, layers, listed=listed),
                                  head_source(graph, layers, _called_alone))()
        made = {ROOT: network}
        for node in tree.nodes:  # in source order, so state_dict() reads like the source
            for path in prefixes(node):  # its containers first, each the kind the tree says
                if path not in made:
                    made[path] = classes[path]() if path in classes else _plain(tree, path)
                    parent = owner_path(path)
                    made[parent].add_module(relative(path, parent), made[path])
            layer, parent = layers[node], owner_path(node)
            if isinstance(layer, nn.Module):
                made[parent].add_module(relative(node, parent), layer)
            elif isinstance(layer, nn.Parameter):  # `layer_scale`: a key without `.weight`
                made[parent].register_parameter(relative(node, parent), layer)
        network.graph = graph
        network.feature_info = heads.FeatureInfo(heads.features(graph))
        network.pretrained_cfg = heads.pretrained_cfg(graph)
        init_weights(network, norm_types(graph, layers),
                     residual_bns(graph) if zero_init_residual else ())
    return network


def build_backbone(graph: nx.DiGraph, out_indices=None) -> "CompiledNetwork":
    """timm's `features_only` model: a forward returning the list of feature maps `out_indices`
    picks (all by default), nothing after the last of them built."""
    picked = heads.pick(heads.features(graph), out_indices)
    if not picked:
        raise TypeError(f"{graph.graph['name']} has no stages: no feature maps to return")
    backbone = with_outputs(graph, [f.module for f in picked])
    dataclasses.replace(NetworkMeta.of(backbone),
                        outputs=[Output(f.name, f.module) for f in picked]).write(backbone)
    model = build_module(backbone, listed=True)
    model.feature_info = heads.FeatureInfo(picked)
    return model


def owner_path(path: str) -> str:
    """The container a path sits in directly: `layer1.0.conv1` -> `layer1.0`."""
    return path.rpartition(".")[0]


def _plain(tree: ModuleTree, path: str) -> nn.Module:
    return nn.Sequential() if tree.containers[path].kind == "sequential" else nn.Module()


def _called_alone(graph: nx.DiGraph, node: str, layer) -> bool:
    """Whether `nn.Sequential` can call a layer: a module, reading one tensor as it comes (an
    fc after a feature map flattens it first, in the forward)."""
    data = graph.nodes[node]
    return isinstance(layer, nn.Module) and not (OPS[data["op"]].flattens
                                                 and len(data["in_shapes"][0]) > 1)


def _numbered(tree: ModuleTree) -> set[str]:
    """Containers whose children are all numbered (`layer1.0`, `layer1.1`): sequences."""
    children: dict[str, set[str]] = {}
    for node in tree.nodes:
        for path, child in zip(prefixes(node), node.split(".")[1:]):
            children.setdefault(path, set()).add(child)
    return {path for path, names in children.items() if all(n.isdigit() for n in names)}


def _container_class(graph: nx.DiGraph, tree: ModuleTree, path: str, layers,
                     shared: dict[tuple, type], numbered: bool) -> type:
    base = GeneratedSequential if numbered else GeneratedModule
    key = (base, container_name(graph, tree, path), forward_source(graph, tree, path, layers))
    if key not in shared:
        shared[key] = generated_class(*key)
    return shared[key]


def container_name(graph: nx.DiGraph, tree: ModuleTree, path: str) -> str:
    """A container's class name: the block it expands (`layer1.0` -> `Bottleneck`), else its own
    name (`stem` -> `Stem`)."""
    last = path.rpartition(".")[2]
    if last.isdigit():
        scope = graph.nodes[tree.containers[path].first].get("scope", {})
        if scope.get("block_type") and scope.get("block") == int(last):
            return class_name(scope["block_type"])
        return class_name(path.replace(".", "_")) + "Item"
    return class_name(last)


@contextlib.contextmanager
def _collector_paused():
    """Each module holds a dozen dicts, so building a deep network makes tens of thousands of
    containers, none of them garbage; Python's cycle collector would walk them all again and again
    (a sixth of the construction time of ResNet-1202). It runs as usual afterwards."""
    if not gc.isenabled():  # the caller's choice: leave it
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def build_layers(graph: nx.DiGraph) -> dict[str, nn.Module | Callable]:
    """What computes each node, from the op table: a module, a torch function, or a parameter
    the value is multiplied by (`layer_scale`)."""
    returned = {o.node for o in graph.graph["outputs"]}
    layers = {}
    for node in layer_nodes(graph):
        data = graph.nodes[node]
        op = OPS[data["op"]]
        if data["op"] == "input":
            continue
        in_place = op.torch_inplace is not None and _may_overwrite_input(graph, node, returned)
        build = op.torch_inplace if in_place else op.torch
        assert build is not None, f"op {op.name} has no torch form"  # every op but the input has one
        layers[node] = build(data["args"], data["in_shapes"], modules)
    return layers


def check_module_names(graph: nx.DiGraph, layers: dict[str, nn.Module | Callable]) -> None:
    """Every module path torch can register: none of its parts may be the name of something an
    `nn.Module` already has (`forward`, `train`, `to`, `parameters`, ...), which torch refuses."""
    taken = set(dir(nn.Module())) | set(vars(CompiledNetwork))
    stages = graph.graph.get("stage_spans", {})  # stage path -> where it is written
    errors, reported = [], set()
    for node, layer in layers.items():
        if not isinstance(layer, (nn.Module, nn.Parameter)):
            continue
        for path, part in zip([*prefixes(node), node], node.split(".")):
            if part not in taken or path in reported:
                continue
            reported.add(path)  # a stage's name once, not once per layer in it
            if path == node:
                what, span = "layer", graph.nodes[node].get("span")
            else:
                what, span = ("stage", stages[path]) if path in stages else ("block", None)
            errors.append(ExportError(
                f"a {what} named '{part}' cannot be compiled to PyTorch: every nn.Module already "
                f"has an attribute '{part}'", span or graph.nodes[node].get("span"),
                hint=f"rename it, e.g. '{part}_1'", code="E912"))
    raise_all(errors)


class GeneratedModule(nn.Module):
    """A module whose forward resdsl generated (a block): a class of its own per source."""

    code: str  # the forward's source

    def __reduce__(self):
        # the class was made at run time, so pickle cannot find it by name: rebuild it from its
        # source (deepcopy goes the same way)
        cls = type(self)
        return _restore, (cls.__bases__[0], cls.__name__, self.code, cls.extra_code), \
            self.__getstate__()

    extra_code: str = ""  # the network's other generated methods (`forward_features`, ...)


class GeneratedSequential(GeneratedModule, nn.Sequential):
    """Numbered children (a stage of blocks) that nn.Sequential's own forward cannot chain, say
    because a block reads two values: indexable, iterable and sized all the same."""


class CompiledNetwork(TimmInterface, GeneratedModule):
    """A network compiled by resdsl, with its typed graph (`graph`) and timm's interface."""

    # plain Python for users, not for TorchScript: it cannot type a networkx graph, and a
    # scripted module's own `graph` is TorchScript's
    __jit_ignored_attributes__ = ["_graph", "feature_info", "pretrained_cfg"]
    __jit_unused_properties__ = ["graph", "num_classes", "num_features"]

    @property
    def graph(self) -> nx.DiGraph:
        """What it was built from: shapes, costs, spans per layer."""
        return self._graph

    @graph.setter
    def graph(self, graph: nx.DiGraph) -> None:
        self._graph = graph

    def report(self, by: str = "stage", batch: int = 1, *, source: bool = False):
        """The cost report (`resdsl flops`) of the network: a `CostReport`. Of the module as it
        is (a replaced classifier counts), or with `source=True` of the network as compiled."""
        from ..analysis.report import report

        return report(self.graph if source else self.current_graph(), by, batch)

    def summary(self, by: str = "stage") -> None:
        """Print the cost table, one row per stage, block or layer (as torchinfo's summary)."""
        print(self.report(by), end="")


_serial = itertools.count()


def generated_class(base: type, name: str, forward: str, extra: str = "") -> type:
    """A subclass of `base` whose forward is `forward`'s source, compiled; `extra` holds other
    generated methods (`forward_features`, `forward_head`)."""
    filename = f"<resdsl {name} {next(_serial)}>"
    namespace = {"torch": torch}
    source = forward + ("\n" + extra if extra else "")
    exec(compile(source, filename, "exec"), namespace)
    methods = {k: v for k, v in namespace.items() if k.startswith("forward")}
    cls = type(name, (base,), {**methods, "code": forward, "extra_code": extra,
                               "__module__": __name__})
    # tracebacks, pdb and inspect show the generated lines, for as long as the class lives (a
    # search over thousands of networks should not keep thousands of sources)
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    weakref.finalize(cls, linecache.cache.pop, filename, None)
    return cls


@functools.lru_cache(maxsize=64)  # copies of one network share its classes
def _restored_class(base: type, name: str, forward: str, extra: str) -> type:
    return generated_class(base, name, forward, extra)


def _restore(base: type, name: str, forward: str, extra: str = "") -> GeneratedModule:
    cls = _restored_class(base, name, forward, extra)
    return cls.__new__(cls)  # pickle then sets its state: modules, parameters, buffers


def _may_overwrite_input(graph: nx.DiGraph, node: str, returned: set[str]) -> bool:
    """Whether an activation may overwrite what it reads, as torchvision's ReLU(inplace=True)
    overwrites a BN's output: only a result of its own (the op table's `fresh_result`) that
    nothing else reads, within one container (a module's input or output may be held by a
    forward hook)."""
    (source,) = inputs_of(graph, node)
    return (graph.out_degree(source) == 1 and source not in returned
            and owner_path(source) == owner_path(node)
            and OPS[graph.nodes[source]["op"]].fresh_result)


def norm_types(graph: nx.DiGraph, layers: Mapping[str, nn.Module | Callable]) -> tuple[type, ...]:
    """The module classes of the graph's norms (the op table's role "norm"), which init_weights
    starts at scale 1 and shift 0; `layers` maps node ids to what computes them."""
    found = (type(layers[node]) for node in layer_nodes(graph)
             if OPS[graph.nodes[node]["op"]].role == "norm")
    return tuple(dict.fromkeys(found))


def residual_bns(graph: nx.DiGraph) -> list[str]:
    """The norm that ends each residual branch: the one feeding a residual sum (`add`) as its
    residual input (torchvision's and timm's zero-init of the last BN, or GN, of a block)."""
    norms = []
    for node in layer_nodes(graph):
        if not OPS[graph.nodes[node]["op"]].residual:
            continue
        for source, _, role in graph.in_edges(node, data="role"):
            if role == "residual" and OPS[graph.nodes[source]["op"]].role == "norm":
                norms.append(source)
    return norms


def class_name(network: str) -> str:
    """`resnet34_a` -> `Resnet34A`: the name `print(model)` shows."""
    words = [w for w in re.split(r"[^0-9A-Za-z]+", network) if w]
    name = "".join(w[0].upper() + w[1:] for w in words) or "Network"
    return name if name[0].isalpha() else "Net" + name
