"""The Python API: graphs and reports without torch, modules with it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import networkx as nx

from .core.errors import UnknownName, raise_all
from .analysis.allocation import check_activations, check_parameters
from .language.library import build_graph, open_target
from .language.loader import Scope, load_text
from .language.resolve import check_names

if TYPE_CHECKING:
    import torch


def _build(scope: Scope, names: list[str], network: str | None, what: str,
           input_shape: tuple[int, ...] | None, params: dict[str, Any]) -> nx.DiGraph:
    if not names:
        raise UnknownName(f"{what} defines no network to build", None, code="E205")
    if len(names) > 1 and network is None:
        raise UnknownName(f"{what} defines several networks ({', '.join(names)}); "
                          "choose one with network=...", None, code="E206")
    built = build_graph(scope, network or names[0], input_shape=input_shape, params=params)
    check_parameters(built)
    return built


def graph(path_or_name: str | os.PathLike, network: str | None = None, *,
          input_shape: tuple[int, ...] | None = None, **params: Any) -> nx.DiGraph:
    """The typed layer graph of a file, `file:NAME` or bundled network (shapes, costs per node).

    `params` change the network's template parameters (`classes=10`), as `with` does.
    """
    target = open_target(str(path_or_name), network)
    return _build(target.scope, target.names, network, str(path_or_name), input_shape, params)


def graph_from_text(text: str, network: str | None = None, *,
                    input_shape: tuple[int, ...] | None = None, **params: Any) -> nx.DiGraph:
    """Like `graph`, from source text (`use` looks in the current folder, then the library)."""
    scope = load_text(text)
    raise_all(check_names(scope))
    return _build(scope, scope.networks(), network, "the text", input_shape, params)


def list_networks(pattern: str | None = None) -> list[str]:
    """The bundled networks' names, filtered by shell wildcards, as timm's `list_models`:

        >>> resdsl.list_networks("resnet1*")
        ['resnet18', 'resnet101', 'resnet101_v1', 'resnet110', 'resnet110_sd', 'resnet110_sd_uniform', 'resnet152', 'resnet152_v1', 'resnet1202']
    """
    from .language.catalog import network_names

    return network_names(pattern)


def export(model: "torch.nn.Module", path: str | os.PathLike) -> str:
    """Write a module from `load` — trained or not — as `path`'s suffix says: `.py` (standalone
    PyTorch source), `.pt2` (torch.export: dynamic batch, and height and width where the network
    allows), `.onnx` or `.safetensors` (the weights). Returns the path written.

        >>> resdsl.export(model, "resnet50.onnx")              # doctest: +SKIP
    """
    from .torch.export import export as write  # torch is imported here, not with resdsl

    return str(write(model, path))


def load(path_or_name: str | os.PathLike, network: str | None = None, *,
         input_shape: tuple[int, ...] | None = None, zero_init_residual: bool = False,
         **params: Any) -> "torch.nn.Module":
    """The network as a PyTorch module (generated forward: `model.code`) with the paper's initial
    weights.

        >>> model = resdsl.load("resnet50", classes=10)       # doctest: +SKIP

    `params` change the template's parameters; `zero_init_residual` starts the last BN of each
    residual branch at zero. Several outputs (`outputs layer3, layer4`) give a dict of tensors.
    """
    from .torch.backend import build_module  # torch is imported here, not with resdsl

    built = graph(path_or_name, network, input_shape=input_shape, **params)
    check_activations(built, 1, "a forward")  # before torch allocates anything
    return build_module(built, zero_init_residual=zero_init_residual)
