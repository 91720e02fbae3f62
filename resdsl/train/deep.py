"""The default recipe for a deep network on digits: `digits-deep` (the degradation experiment's
recipe: a warm-up and 800 iterations) instead of the short `digits` one, which leaves a 56-layer
net worse than a 20-layer one. Only when the run names no recipe; `--recipe digits` keeps the
short one for any depth."""

from __future__ import annotations

from typing import Any

# the paper's depth (weighted layers on the main path) above which digits' short recipe is left
DEEP = 20


def depth(graph: Any) -> int:
    from ..netgraph.infer import totals

    return int(totals(graph)["depth"])


def deep_recipe_for(spec: Any, graph: Any) -> str | None:
    """`digits-deep` when the run trains on digits with the default recipe and the network is
    deeper than DEEP; None otherwise (the recipe stays)."""
    if spec.recipe is not None or spec.resume or spec.data.partition(":")[0] != "digits":
        return None
    return "digits-deep" if depth(graph) > DEEP else None


def for_depth(spec: Any, recipe: Any, data: Any, graph: Any, main: bool) -> tuple[Any, Any]:
    """The run's recipe and data: digits-deep and the data split as it says (450 held out, not
    297) for a deep net on digits, said on stderr; else the ones given."""
    name = deep_recipe_for(spec, graph)
    if name is None:
        return recipe, data
    from .data import open_data
    from .recipe import load_recipe

    recipe = load_recipe(name, spec.overrides)
    if main and not spec.quiet:
        import sys

        print(f"{graph.graph['name']} has {depth(graph)} weighted layers: training with the digits-deep recipe "
              f"(a warm-up, 800 iterations; --recipe digits for the short one)", file=sys.stderr)
    return recipe, open_data(spec.data, recipe)
