"""Which test scales a network can take, decided from its graph before any data is read.

The paper's best ImageNet results (sec. 3.4) run the network fully convolutionally on images whose
shorter side is 224, 256, 384, 480 or 640 and average the scores. Whether a network can run at a
scale is a question the shape inference answers: the graph is built again at each scale, and a
layer that shrinks its input to nothing, or a merge whose branches disagree, is reported at that
layer with the scale named. The fully convolutional form needs a classifier that reads a global
average pool; a network ending otherwise (VGG's fcs on a 7x7 map) is refused too. No torch here.
"""

from __future__ import annotations

from typing import Callable

import networkx as nx

from ..core.errors import ResdslError, ShapeError, raise_all
from .taps import global_head


class ScaleError(ShapeError):
    code = "E420"


def parse_scales(text: str) -> list[int]:
    """`224,256,384` -> [224, 256, 384]; a ValueError (a usage error) for anything else."""
    scales = []
    for part in text.split(","):
        part = part.strip()
        if not part.isdigit() or int(part) < 1 or len(part) > 5:
            raise ValueError(f"'{part}' is not a scale: give sizes in pixels, e.g. 224,256,384")
        scales.append(int(part))
    if not scales:
        raise ValueError("give at least one scale, e.g. 224,256,384")
    return scales


def graphs_at_scales(graph: nx.DiGraph, build: Callable[[tuple[int, int, int]], nx.DiGraph],
                     scales: list[int]) -> dict[int, nx.DiGraph]:
    """The network's graph at each scale (input CxSxS, C the network's own channels), built with
    `build(input_shape)`; every scale it cannot take is reported, together, as an error at the
    layer that fails."""
    head = global_head(graph)
    if head is None:
        last = graph.graph["outputs"][-1].node if graph.graph["outputs"] else None
        raise ScaleError(
            f"network '{graph.graph['name']}' has no fully convolutional form: multi-scale testing "
            "needs a classifier 'fc' reading a global 'avgpool', and it ends otherwise",
            graph.nodes[last].get("span") if last else graph.graph.get("span"), code="E421",
            hint="end the network with 'avgpool;  fc: fc classes', or test it at its own size")
    channels = graph.graph["input"][0]
    graphs, errors = {}, []
    for scale in scales:
        shape = (channels, scale, scale)
        try:
            graphs[scale] = build(shape)
        except ResdslError as err:
            for one in err.errors:
                errors.append(ScaleError(
                    f"network '{graph.graph['name']}' cannot be tested at scale {scale} (input "
                    f"{'x'.join(map(str, shape))}): {one.message}", one.span,
                    hint=one.hint or f"leave {scale} out of --scales"))
    raise_all(errors)
    return graphs
