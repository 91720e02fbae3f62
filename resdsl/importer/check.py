"""Checked output: the imported text compiled and compared with the source, figure by figure."""

from __future__ import annotations

from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class Comparison:
    figures: list[str] = field(default_factory=list)  # what was compared, as printed
    differences: list[str] = field(default_factory=list)  # what differs (empty: the same)


def compare(text: str, name: str, source: nn.Module, example: torch.Tensor) -> Comparison:
    """Compile `text` (network `name`) and compare it with `source` on `example`'s shape:
    parameters, multiply-adds, state_dict keys and shapes, outputs on a seeded input."""
    from torch.utils.flop_counter import FlopCounterMode

    from ..core.errors import raise_all
    from ..language.loader import load_text
    from ..language.resolve import check_names
    from ..netgraph.infer import totals
    from ..targets import in_scope
    from ..torch.backend import build_module

    result = Comparison()
    scope = load_text(text)
    raise_all(check_names(scope))
    graph = in_scope(scope, name, "the imported text").graph(tuple(example.shape[1:]), {})
    built = build_module(graph)
    figures = totals(graph)
    params = sum(p.numel() for p in source.parameters())
    _figure(result, "parameters", params, figures["params"])
    was_training = source.training
    source.eval()
    built.eval()
    try:
        with torch.no_grad():
            generator = torch.Generator().manual_seed(0)
            x = torch.randn(example.shape, generator=generator, dtype=example.dtype)
            counter = FlopCounterMode(display=False)
            with counter:  # the counted run's outputs are the ones compared (one run, not two)
                a = _tensors(source(x))
            _figure(result, "multiply-adds", counter.get_total_flops() // 2 // len(x), _evaluated_macs(graph))
            theirs, ours = source.state_dict(), built.state_dict()
            if list(theirs) != list(ours) and set(theirs) != set(ours):
                missing = [k for k in theirs if k not in ours][:3]
                extra = [k for k in ours if k not in theirs][:3]
                result.differences.append(f"state_dict keys differ: source only {missing}, "
                                          f"imported only {extra}")
                return result
            shapes = [k for k in theirs if tuple(theirs[k].shape) != tuple(ours[k].shape)]
            if shapes:
                result.differences.append(f"state_dict shapes differ at {', '.join(shapes[:3])}")
                return result
            result.figures.append(f"state_dict: {len(theirs)} keys, loaded strictly")
            built.load_state_dict(theirs, strict=True)
            b = _tensors(built(x))
            if [t.shape for t in a] != [t.shape for t in b]:
                result.differences.append(f"outputs differ: {len(a)} of shapes {[tuple(t.shape) for t in a]} "
                                          f"in the source, {[tuple(t.shape) for t in b]} imported")
                return result
            diff = max((s - t).abs().max().item() for s, t in zip(a, b))
            scale = max(max(s.abs().max().item() for s in a), 1.0)
            result.figures.append(f"outputs on a seeded input: max |diff| {diff:.3g}")
            if diff > 1e-4 * scale:
                result.differences.append(f"outputs differ: max |diff| {diff:.3g}")
    finally:
        source.train(was_training)
    return result


def _evaluated_macs(graph) -> int:
    """The multiply-adds of what runs in evaluation: auxiliary heads (training only) left out."""
    from ..netgraph.infer import totals
    from ..netgraph.outputs import with_outputs

    main = [o.node for o in graph.graph["outputs"] if not o.auxiliary]
    if len(main) < len(graph.graph["outputs"]):
        graph = with_outputs(graph, main)
    return totals(graph)["macs"]


def _tensors(value) -> list[torch.Tensor]:
    """A module's outputs as a list: one tensor, or several (a dict's values, a tuple's items)."""
    if isinstance(value, dict):
        return list(value.values())
    return list(value) if isinstance(value, (tuple, list)) else [value]


def _figure(result: Comparison, what: str, theirs: int, ours: int) -> None:
    result.figures.append(f"{what}: {theirs:,} source, {ours:,} imported")
    if theirs != ours:
        result.differences.append(f"{what} differ: {theirs:,} in the source, {ours:,} imported")
