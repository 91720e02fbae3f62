"""The Python API: graphs and reports without torch, modules with it."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # importing resdsl imports neither: the functions load what they use
    import networkx as nx
    import torch


def graph(path_or_name: str | os.PathLike, network: str | None = None, *,
          input_shape: tuple[int, ...] | None = None, **params: Any) -> nx.DiGraph:
    """The typed layer graph of a file, `file:NAME`, bundled network or IR file (shapes, costs per
    node).

    `params` change the network's template parameters (`classes=10`), as `with` does.
    """
    from .targets import checked_graph

    return checked_graph(path_or_name, network, input_shape=input_shape, params=params)


def graph_from_text(text: str, network: str | None = None, *,
                    input_shape: tuple[int, ...] | None = None, **params: Any) -> nx.DiGraph:
    """Like `graph`, from source text (`use` looks in the current folder, then the library)."""
    from .core.errors import raise_all
    from .language.loader import load_text
    from .language.resolve import check_names
    from .targets import in_scope

    scope = load_text(text)
    raise_all(check_names(scope))
    return in_scope(scope, network, "the text").graph(input_shape, params)


def list_networks(pattern: str | None = None) -> list[str]:
    """The bundled networks' names, filtered by shell wildcards, as timm's `list_models`:

        >>> resdsl.list_networks("resnet1*")  # doctest: +NORMALIZE_WHITESPACE
        ['resnet18', 'resnet18d', 'resnet101', 'resnet101_v1', 'resnet101d', 'resnet110',
         'resnet110_sd', 'resnet110_sd_uniform', 'resnet152', 'resnet152_v1', 'resnet1202']
    """
    from .language.catalog import network_names

    return network_names(pattern)


def list_models(pattern: str | None = None) -> list[str]:
    """timm's name for `list_networks`: the bundled networks matching a shell wildcard."""
    return list_networks(pattern)


def create_model(name: str | os.PathLike, *, num_classes: int | None = None,
                 in_chans: int | None = None, features_only: bool = False,
                 out_indices: tuple[int, ...] | None = None,
                 drop_path_rate: float | None = None, **params: Any) -> "torch.nn.Module":
    """A compiled network as timm's `create_model` makes one (no pretrained weights ship).

        >>> model = resdsl.create_model("resnet50", num_classes=10)    # doctest: +SKIP
        >>> backbone = resdsl.create_model("resnet50", features_only=True, out_indices=(1, 4))

    `num_classes` and `drop_path_rate` set the template's parameters of that meaning (`classes`;
    `drop_path_rate` or `drop`), `in_chans` the input's channels; other keywords are template
    parameters. `features_only`: the forward returns the list of feature maps `out_indices`
    picks (default all), described by `model.feature_info`.
    """
    from .targets import checked_graph, choose

    chosen = choose(str(name), how="'path:NAME'")
    params = {**params, **_timm_params(chosen, params, num_classes=num_classes,
                                       drop_path_rate=drop_path_rate)}
    if out_indices is not None and not features_only:
        raise TypeError("out_indices picks the feature maps of features_only=True")
    graph = checked_graph(chosen, params=params, forward_batch=1)
    if in_chans is not None and in_chans != graph.graph["input"][0]:
        shape = (in_chans, *graph.graph["input"][1:])
        graph = checked_graph(chosen, input_shape=shape, params=params, forward_batch=1)
    from .torch.backend import build_backbone, build_module  # torch is imported here

    return build_backbone(graph, out_indices) if features_only else build_module(graph)


# timm's argument -> the template parameters that mean it, in order of preference
_MEANINGS = {"num_classes": ("classes", "num_classes"), "drop_path_rate": ("drop_path_rate", "drop")}


def _timm_params(chosen, params: dict[str, Any], **timm: Any) -> dict[str, Any]:
    """timm's arguments as the template's parameters; refused, naming the template's parameters,
    where it has none of that meaning, or where `params` names one it lacks."""
    import difflib

    from .language.networks import resolve_network

    given = {k: v for k, v in timm.items() if v is not None}
    if chosen.scope is None:  # an IR file
        if given or params:
            raise TypeError(f"{chosen.target} is built with its parameters; other ones need "
                            "the .rdsl source")
        return {}
    spec = resolve_network(chosen.scope, chosen.name)
    taken = [p.name for p in spec.definition.params]
    what = f"{chosen.name} (the template {spec.definition.name}({', '.join(taken)}))"
    for key in params:
        if key not in taken:
            near = difflib.get_close_matches(key, taken, n=1)
            raise TypeError(f"{what} has no parameter '{key}'"
                            + (f"; did you mean '{near[0]}'?" if near else ""))
    mapped = {}
    for timm_name, value in given.items():
        found = [c for c in _MEANINGS[timm_name] if c in taken]
        if not found:
            raise TypeError(f"{what} has no parameter for {timm_name} "
                            f"(looked for {' or '.join(_MEANINGS[timm_name])})")
        mapped[found[0]] = value
    return mapped


def export(model: "torch.nn.Module", path: str | os.PathLike) -> str:
    """Write a module from `load` — trained or not — as `path`'s suffix says: `.py` (standalone
    PyTorch source), `.pt2` (torch.export: dynamic batch, and height and width where the network
    allows), `.onnx` or `.safetensors` (the weights). Returns the path written. A module loaded
    with a run's weights carries its preprocessing into each: see `load`.

        >>> resdsl.export(model, "resnet50.onnx")              # doctest: +SKIP
    """
    from .torch.export import export as write  # torch is imported here, not with resdsl

    return str(write(model, path))


def load(path_or_name: str | os.PathLike, network: str | None = None, *,
         input_shape: tuple[int, ...] | None = None, zero_init_residual: bool = False,
         weights: str | os.PathLike | None = None, **params: Any) -> "torch.nn.Module":
    """The network as a PyTorch module (generated forward: `model.code`) with the paper's initial
    weights, or trained ones.

        >>> model = resdsl.load("resnet50", classes=10)       # doctest: +SKIP
        >>> model = resdsl.load("resnet20", weights="runs/resnet20-digits")   # doctest: +SKIP
        >>> x = model.transforms()(images)                    # doctest: +SKIP

    `params` change the template's parameters; `zero_init_residual` starts the last BN of each
    residual branch at zero. Several outputs (`outputs layer3, layer4`) give a dict of tensors.
    `weights`: a run folder of `resdsl train`, a `.safetensors` file or a torch state_dict; the
    preprocessing record of a run (its `preprocess.json`) comes with them: the network is built
    for the input it was trained on, and the module carries the record as `model.preprocess`,
    timm's `model.pretrained_cfg` and torchvision's `model.transforms()` (the callable that
    prepares raw images as training did). Without a record these are None, {} and absent.
    """
    from .targets import checked_graph

    record = None
    if weights is not None:
        from pathlib import Path

        from .core.preprocess import of_weights

        weights = Path(weights)
        record = of_weights(weights)
        if record is not None and input_shape is None:
            input_shape = record.input_size
    built = checked_graph(path_or_name, network, input_shape=input_shape, params=params,
                          forward_batch=1)  # before torch allocates anything
    from .torch.backend import build_module  # torch is imported here, not with resdsl
    from .torch.carried import attach

    model = build_module(built, zero_init_residual=zero_init_residual)
    if weights is not None:
        from .core.preprocess import check_fits
        from .torch.export import read_weights

        if record is not None:
            check_fits(record, built.graph["input"], built.graph["name"])
        read_weights(model, weights)
    attach(model, record)
    return model
