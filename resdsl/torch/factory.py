"""`resdsl.create_model`: timm's keyword arguments mapped onto a network's template parameters."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..experiments.taps import with_outputs
from ..language.networks import resolve_network
from ..netgraph.meta import NetworkMeta, Output
from ..targets import checked_graph, choose
from .backend import CompiledNetwork, build_module
from .heads import FeatureInfo, features, pick

# timm's argument -> the template parameters that mean it, in order of preference
_MEANINGS = {"num_classes": ("classes", "num_classes"), "drop_path_rate": ("drop_path_rate", "drop")}


def create(name: str, *, num_classes: int | None, in_chans: int | None, features_only: bool,
           out_indices, drop_path_rate: float | None, params: dict[str, Any]) -> CompiledNetwork:
    chosen = choose(name, how="'path:NAME'")
    params = dict(params)
    if chosen.scope is not None:
        spec = resolve_network(chosen.scope, chosen.name)
        taken = [p.name for p in spec.definition.params]
        what = f"{chosen.name} (the template {spec.definition.name}({', '.join(taken)}))"
        for key in params:
            if key not in taken:
                raise TypeError(f"{what} has no parameter '{key}'")
        for timm_name, value in (("num_classes", num_classes), ("drop_path_rate", drop_path_rate)):
            if value is not None:
                params[_template_name(timm_name, taken, what)] = value
    elif num_classes is not None or drop_path_rate is not None or params:
        raise TypeError(f"{name} is built with its parameters; other ones need the .rdsl source")
    if out_indices is not None and not features_only:
        raise TypeError("out_indices picks the feature maps of features_only=True")
    graph = checked_graph(chosen, params=params, forward_batch=1)
    if in_chans is not None and in_chans != graph.graph["input"][0]:
        shape = (in_chans, *graph.graph["input"][1:])
        graph = checked_graph(chosen, input_shape=shape, params=params, forward_batch=1)
    if not features_only:
        return build_module(graph)
    picked = pick(features(graph), out_indices)
    if not picked:
        raise TypeError(f"{chosen.name} has no stages: features_only has no feature maps to give")
    backbone = with_outputs(graph, [f.module for f in picked])
    meta = NetworkMeta.of(backbone)
    replace(meta, outputs=[Output(f.name, f.module) for f in picked]).write(backbone)
    model = build_module(backbone, listed=True)
    model.feature_info = FeatureInfo(picked)
    return model


def _template_name(timm_name: str, taken: list[str], what: str) -> str:
    for candidate in _MEANINGS[timm_name]:
        if candidate in taken:
            return candidate
    raise TypeError(f"{what} has no parameter for {timm_name} "
                    f"(looked for {' or '.join(_MEANINGS[timm_name])})")
