"""Before a distributed run starts its processes: what every one of them would find wrong (the run
folder, the recipe, the batch's split, the data, the network's fit), found once, in the launcher."""

from __future__ import annotations

from . import rundir
from .data import DataError, open_data
from .loop import RunSpec, default_out, resolve_recipe
from .network import graph_for_data


def preflight(spec: RunSpec, processes: int = 1) -> None:
    """What every process of a distributed run would find wrong (the run folder, the recipe, the
    data, the network's fit), found once, before any process is started."""
    out = spec.out if spec.out is not None else default_out(spec)
    lock = rundir.claim(out, spec.resume)  # a new run's folder: checked, not made
    if lock is not None:
        lock.release()
    recipe = resolve_recipe(spec, out)
    if recipe["batch.size"] % processes:
        raise DataError(f"batch.size {recipe['batch.size']} is not a multiple of {processes} processes",
                        hint="give a --batch-size that the processes share evenly")
    data = open_data(spec.data, recipe)
    graph_for_data(spec.target, spec.network, data, recipe, input_shape=spec.input_shape, params=spec.params)
