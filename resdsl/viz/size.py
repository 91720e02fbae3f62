"""How big a picture will be, from its drawings alone, before Graphviz lays anything out.

Graphviz draws a PNG of at most 32,767 pixels a side: past that it shrinks the whole picture
until it fits (ResNet-1202 at the layer level came out 84 x 32,767 px, after minutes, every
label a smudge). The estimate here is what `resdsl viz` checks first, in milliseconds: the boxes
along the longest path, each as tall (top to bottom) or as wide (left to right) as its text, with
dot's gaps between ranks; the networks of a picture side by side."""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from ..core.errors import ResdslError
from .drawing import Box, Drawing

PNG_LIMIT = 32_767  # pixels a side: cairo's bitmaps (Graphviz shrinks larger pictures to fit)
DEFAULT_DPI = 96  # Graphviz's, for PNG
POINTS = 72  # per inch: dot's unit

LINE = 1.2  # a line of text is 1.2 times its font size
CHAR = 0.55  # an average character of Helvetica, in font sizes
RANK_GAP = 0.28 * POINTS  # GRAPH_STYLE's ranksep
NODE_GAP = 0.3 * POINTS  # its nodesep
LABEL = 9 * LINE  # an arrow's shape label, at EDGE_STYLE's font size
CLUSTER = 2 * 12 + 11 * LINE  # a stage cluster's margins and title
CAPTION = 2 * 13 * LINE + 24  # the network's name and figures, with the frame's margins


@dataclass(frozen=True)
class Size:
    width: float  # pixels
    height: float

    def longest(self) -> float:
        return max(self.width, self.height)

    def text(self) -> str:
        return f"{self.width:,.0f} x {self.height:,.0f} px"


def _box(box: Box, small: bool) -> tuple[float, float]:
    """A box's width and height in points, as NODE_STYLE draws its label (a block's branches
    side by side: as wide as they are together, as tall as the longest)."""
    size = 9 if small else 11
    lines = box.label.split("\n")
    chars, count = max(len(line) for line in lines), len(lines)
    if box.rows is not None:
        branches = [row for row in box.rows if isinstance(row, list)]
        count = 1 + sum(max(map(len, row)) if isinstance(row, list) else 1 for row in box.rows)
        chars = max([len(lines[0]), *(sum(max(map(len, b)) + 2 for b in row) for row in branches),
                     *(len(row) for row in box.rows if isinstance(row, str))])
    width = chars * size * CHAR + 0.2 * POINTS
    height = max(count * size * LINE + 0.08 * POINTS, (0.2 if small else 0.3) * POINTS)
    return width, height


def _extent(d: Drawing, direction: str) -> tuple[float, float]:
    """(along the flow, across it) in points: the longest path of boxes with the gaps between
    them, and the widest box with room for the arcs beside it, or the caption if wider."""
    from ..netgraph.ops import OPS

    along = 1 if direction == "TB" else 0  # which of a box's (width, height) lies along the flow
    sizes = {}
    for box in d.boxes:
        op = OPS.get(box.kind)
        sizes[box.key] = _box(box, op is not None and op.minor)
    flow = nx.DiGraph()
    flow.add_nodes_from(sizes)
    flow.add_edges_from((a.tail, a.head) for a in d.arrows if a.tail != a.head)
    labelled = {a.tail for a in d.arrows if a.label.strip() and a.tail != a.head}
    # a shape label takes a rank of its own: a line of text top to bottom, its width left to right
    label = LABEL if direction == "TB" else len(" 256x14x14") * 9 * CHAR
    reach: dict[str, float] = {}
    rank: dict[str, int] = {}  # boxes of one rank lie side by side (parallel branches)
    for key in nx.topological_sort(flow):
        here = sizes[key][along] + RANK_GAP + (label + RANK_GAP if key in labelled else 0)
        reach[key] = here + max((reach[p] for p in flow.predecessors(key)), default=0)
        rank[key] = 1 + max((rank[p] for p in flow.predecessors(key)), default=-1)
    stages = len({box.stage for box in d.boxes if box.stage is not None})
    length = max(reach.values(), default=0) + stages * CLUSTER
    beside: dict[int, float] = {}
    for key, r in rank.items():
        beside[r] = beside.get(r, 0) + sizes[key][1 - along] + NODE_GAP
    widest = max((s[1 - along] for s in sizes.values()), default=0) * 1.5  # an arc beside it
    across = max(widest, *beside.values()) + CLUSTER
    caption = max(len(line) for line in d.caption.split("\n")) * 13 * CHAR + 24
    if direction == "TB":
        return length + CAPTION, max(across, caption)
    return max(length, caption), across + CAPTION


def estimate(drawings: list[Drawing], direction: str = "TB", dpi: int | None = None) -> Size:
    """About how many pixels a picture of these drawings will take, side by side."""
    scale = (dpi or DEFAULT_DPI) / POINTS
    extents = [_extent(d, direction) for d in drawings]
    length = max((e[0] for e in extents), default=0)
    across = sum(e[1] for e in extents)
    if direction == "TB":
        return Size(across * scale, length * scale)
    return Size(length * scale, across * scale)


class PictureTooLarge(ResdslError):
    """A PNG past Graphviz's bitmap limit, refused before any layout (E1070)."""

    code = "E1070"


def check_png(graphs: list, level: str, *, fold: bool = False, stage: str | None = None,
              direction: str = "TB", dpi: int | None = None) -> Size:
    """The PNG's estimated size, for typed graphs drawn side by side; PictureTooLarge, with the
    options that would fit, if it is past PNG_LIMIT pixels a side (where Graphviz would shrink
    it to an unreadable strip)."""
    from .diagram import drawings

    drawn = drawings(graphs, level, fold=fold, stage=stage)
    size = estimate(drawn, direction, dpi)
    if size.longest() <= PNG_LIMIT:
        return size
    fits = []
    for option, kwargs in _alternatives(level, fold, stage):
        if estimate(drawings(graphs, **kwargs), direction, dpi).longest() <= PNG_LIMIT:
            fits.append(option)
    if stage is None and level != "stage":
        worst = _largest_stage(graphs, drawn, direction, dpi)
        if worst is not None:
            fits.append(f"--stage {worst} (one stage, here the largest)")
    fits.append("write SVG or PDF (-o NAME.svg), which have no such limit")
    raise PictureTooLarge(
        f"the PNG would be about {size.text()}, past the {PNG_LIMIT:,} pixels a side Graphviz can "
        "draw: it would shrink the whole picture until every label is a smudge",
        hint="draw fewer boxes: " + "; ".join(fits))


def _alternatives(level: str, fold: bool, stage: str | None) -> list[tuple[str, dict]]:
    """Smaller pictures of the same networks: coarser levels, BN and ReLU folded into convs."""
    out = []
    if level == "layer" and not fold:
        out.append(("--fold (BN and ReLU inside their conv's box)",
                    {"level": "layer", "fold": True, "stage": stage}))
    if level == "layer":
        out.append(("--level block", {"level": "block", "stage": stage}))
    if level != "stage" and stage is None:
        out.append(("--level stage", {"level": "stage"}))
    return out


def _largest_stage(graphs: list, drawn: list[Drawing], direction: str, dpi: int | None) -> str | None:
    """The name of the stage whose picture alone is largest, if that picture fits."""
    from .stage import one_stage

    best, most = None, 0.0
    for stage in graphs[0].graph["stages"]:
        if not all(stage.name in d.stage_titles for d in drawn):  # a stage only some networks have
            continue
        size = estimate([one_stage(d, stage.name) for d in drawn], direction, dpi).longest()
        if most < size <= PNG_LIMIT:
            best, most = stage.name, size
    return best
