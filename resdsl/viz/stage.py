"""One stage of a drawing alone (`resdsl viz --stage NAME`): its boxes, the arrows between them,
and where it starts and ends as plain text (what comes in, what goes out), so a stage of a deep
network can be read layer by layer where the whole network would not fit a picture."""

from __future__ import annotations

import networkx as nx

from ..core.errors import ResdslError
from ..netgraph.ops import fmt
from .drawing import Arrow, Box, Drawing


class StageError(ResdslError):
    """--stage names no stage of a network (E1071)."""

    code = "E1071"


def find_stage(graph: nx.DiGraph, name: str) -> str:
    """The stage `name` means: its name (`layer2`) or its title (`conv3_x`), as the picture's
    cluster shows them."""
    stages = graph.graph["stages"]
    for stage in stages:
        if name in (stage.name, stage.title):
            return stage.name
    known = ", ".join(f"{s.name} ({s.title})" if s.title else s.name for s in stages)
    raise StageError(f"{graph.graph['name']} has no stage '{name}'",
                     hint=f"its stages: {known}" if stages else "it has no stages: draw it whole")


def one_stage(d: Drawing, stage: str) -> Drawing:
    """The drawing cut to one stage's boxes; what enters it comes from one box that says what it
    is (`in: 64x56x56`), and what leaves goes to one (`out: 128x28x28`)."""
    kept = [box for box in d.boxes if box.stage == stage]
    keys = {box.key for box in kept}
    start, end = f"{stage} (in)", f"{stage} (out)"
    arrows: dict[tuple[str, str], Arrow] = {}
    shapes: dict[str, tuple] = {}
    for arrow in d.arrows:
        if arrow.tail in keys and arrow.head in keys:
            arrows[arrow.tail, arrow.head] = arrow
        elif arrow.head in keys:  # a main arrow or a shortcut from the stage before
            shapes.setdefault(start, arrow.shape)
            arrows.setdefault((start, arrow.head), Arrow(start, arrow.head, arrow.shape, role=arrow.role,
                                                         shortcut=arrow.shortcut))
        elif arrow.tail in keys and arrow.role != "output":
            shapes.setdefault(end, arrow.shape)
            arrows.setdefault((arrow.tail, end), Arrow(arrow.tail, end, arrow.shape, arrow.label))
    boxes = kept
    if start in shapes:
        boxes = [Box(start, f"in: {fmt(shapes[start])}", [], "input", out_shape=shapes[start]), *boxes]
    if end in shapes:
        boxes = [*boxes, Box(end, f"out: {fmt(shapes[end])}", [], "output", out_shape=shapes[end])]
    title = d.stage_titles.get(stage, stage)
    caption = f"{d.name}: {title}"
    return Drawing(d.name, caption, boxes, list(arrows.values()), {stage: title},
                   {k: v for k, v in d.margins.items() if k in keys})
