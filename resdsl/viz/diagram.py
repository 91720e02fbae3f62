"""Diagrams: drawings (drawing.py) written as Graphviz DOT, styled, one network per column.

Pure: `diagram` builds a `graphviz.Digraph` and never runs Graphviz's `dot` program (dot.py does).
Shortcuts are drawn as in the paper's Figure 3: solid for identity, dotted where a projection or
zero-padding changes dimensions; networks side by side line up row by row (columns.py).
"""

from __future__ import annotations

import itertools

import graphviz
import networkx as nx

from ..core.escape import dot_label
from ..core.units import human
from ..netgraph.ops import OPS
from .branch_table import branch_table
from .columns import counterparts
from .drawing import LEVELS, Arrow, Box, Drawing, drawing
from .stage import find_stage, one_stage

__all__ = ["diagram", "drawing", "LEVELS", "Arrow", "Box", "Drawing"]

# DenseNet's concatenation keeps its input beside the new features: bold, unlike a sum's shortcut
SHORTCUT_STYLE = {"identity": "solid", "projection": "dotted", "padding": "dotted", "concat": "bold"}



# A font list, not the bare PostScript name: Graphviz maps a bare "Helvetica" to its own pick
# (DejaVu Sans on Debian), whose deep underscore its line spacing (1.1 x the size) cannot hold,
# so in a PNG at 80 dpi or less `conv2_x` touched the line below; the list goes to fontconfig
# (Liberation Sans, Helvetica's metrics, where Graphviz's recommended fonts are installed) and
# stays a CSS font list in SVG.
FONT = "Helvetica,Arial,sans-serif"
GRAPH_STYLE = {"rankdir": "TB", "newrank": "true", "nodesep": "0.3", "ranksep": "0.28",
               "fontname": FONT}
NODE_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "white", "fontname": FONT,
              "fontsize": "11", "height": "0.3", "margin": "0.1,0.04"}
EDGE_STYLE = {"fontname": FONT, "fontsize": "9", "fontcolor": "#4d4d4d", "arrowsize": "0.6"}
BLUE, GREEN, GREY = "#dce9f7", "#e4f1d9", "#eeeeee"
SMALL = {"fontsize": "9", "height": "0.2", "color": "#8c8c8c", "fontcolor": "#4d4d4d"}
SHADES = 9  # Graphviz's oranges9 colour scheme: 1 lightest ... 9 darkest
TITLE_SIZE = "11"  # a stage's title


def _box_style(box: Box) -> dict:
    """Weighted layers and blocks blue, pooling green, shape-keeping layers small."""
    op = OPS.get(box.kind)
    if box.kind in ("input", "output"):
        return {"shape": "plaintext", "style": "", "fontsize": "12"}
    if box.kind in ("block", "stage"):
        return {"fillcolor": BLUE}
    if op is None:
        return {"fillcolor": GREY}
    if op.arity == -1 and box.label == "+":
        return {"shape": "circle", "width": "0.28", "fixedsize": "true", "fontsize": "14"}
    if box.kind == "concat":  # not a sum: a doubled box, beside the sum's circle
        return {"peripheries": "2", "fontsize": "9", "height": "0.2"}
    if op.weighted:
        return {"fillcolor": BLUE}
    if op.role == "pool":
        return {"fillcolor": GREEN}
    if op.role == "shortcut":  # option A's zero-padding, made by the compiler
        return {"style": "rounded,dashed"}
    if op.minor:  # norms, activations, dropout: they keep the tensor's shape
        return SMALL
    return {}


def _cost_style(box: Box, most: int) -> dict:
    """Shade by multiply-adds against the costliest box of the whole picture."""
    if not box.macs or not most:
        return {"fillcolor": "white"}
    shade = 1 + round((SHADES - 1) * box.macs / most)
    return {"fillcolor": f"/oranges9/{shade}", "fontcolor": "white" if shade >= 7 else "black"}


def _tooltip(box: Box) -> str:
    if box.kind == "output":
        return f"output {box.label}"
    if not box.nodes:  # where a stage drawn alone starts
        return box.label
    layers = len(box.nodes)
    blocks = f"{box.blocks} blocks, " if box.blocks > 1 else ""
    return (f"{box.key}: {blocks}{layers} layer{'s' if layers > 1 else ''}, "
            f"{box.macs:,} multiply-adds, {box.params:,} params")


def _text(text: str) -> str:
    """A DOT label showing `text` as written (core.escape: the one escape for generated code)."""
    return graphviz.nohtml(dot_label(text))


def _title_spacer(cluster: graphviz.Digraph, prefix: str, stage: str, title: str, beside: str) -> None:
    """Room for a stage's title left of its main path (top to bottom): dot draws a cluster's
    title in a band at its top-left, and the arrow into the cluster crosses that band where the
    main path runs; an invisible copy of the title, held left of a box of the path by a flat
    edge, widens the cluster to the left by the title's own width, so the title ends before
    the arrow."""
    spacer = f"{prefix}{stage} (title)"
    cluster.node(spacer, _text(title), shape="plaintext", style="invis", width="0", height="0",
                 margin="0", fontsize=TITLE_SIZE)
    with cluster.subgraph() as row:
        row.attr(rank="same")
        row.node(spacer)
        row.node(prefix + beside)
    cluster.edge(spacer, prefix + beside, style="invis")


def _add_network(dot: graphviz.Digraph, d: Drawing, prefix: str, most: int | None, framed: bool,
                 direction: str = "TB") -> None:
    def add_box(g: graphviz.Digraph, box: Box) -> None:
        style = _box_style(box)
        extra = []
        if most is not None:
            style = {**style, **_cost_style(box, most)}
            if box.kind in ("input", "output"):
                style.pop("fillcolor")
            if box.macs:
                extra.append(f"{human(box.macs)} MACs")
        if box.key not in off_main_path:
            style["group"] = prefix  # one group per network: dot keeps its main path straight
        if box.key in d.margins:
            style["xlabel"] = _text(d.margins[box.key])
        label = (_text("\n".join([box.label, *extra])) if box.rows is None
                 else branch_table(box.label.split("\n")[0], box.rows, extra))
        g.node(prefix + box.key, label, tooltip=_text(_tooltip(box)), **style)

    off_main_path = {a.head for a in d.arrows if a.role in ("shortcut-path", "output")}
    with dot.subgraph(name=f"cluster_{prefix}") as net:
        net.attr(label=_text(d.caption), labelloc="t", fontsize="13", style="rounded",
                 margin="12", color="#cccccc" if framed else "white")
        for stage, same in itertools.groupby(d.boxes, key=lambda b: b.stage):
            run = list(same)
            if stage is None:
                for box in run:
                    add_box(net, box)
                continue
            with net.subgraph(name=f"cluster_{prefix}{stage}") as cluster:
                title = d.stage_titles.get(stage, stage)
                cluster.attr(label=_text(title), labeljust="l", fontsize=TITLE_SIZE,
                             style="rounded,filled", fillcolor="#f7f7f7", color="#b3b3b3")
                for box in run:
                    add_box(cluster, box)
                on_path = [b.key for b in run if b.key not in off_main_path]
                if direction == "TB" and on_path:  # left to right, the title sits above the path
                    quiet = [k for k in on_path if k not in d.margins]  # an output-size margin is drawn on its left
                    _title_spacer(cluster, prefix, stage, title, (quiet or on_path)[0])

    wide = {box.key for box in d.boxes if box.rows is not None}  # branches side by side
    for arrow in d.arrows:
        style = _arrow_style(arrow, direction)
        if arrow.tail == arrow.head and arrow.tail in wide and direction == "TB":
            style.update(tailport="ne", headport="se")  # from its top centre it would cut a corner
        dot.edge(prefix + arrow.tail, prefix + arrow.head, _text(arrow.label), **style)


# A block's shortcut arc, round one side of its box from the input's side to the sum's: right
# of it top to bottom, below it left to right, away from the shape labels dot puts right of or
# above the arrows; top to bottom it ends at a corner, clear of the label of the arrow leaving.
ARC_PORTS = {"TB": {"tailport": "n", "headport": "s"}, "LR": {"tailport": "sw", "headport": "e"}}


def _arrow_style(arrow: Arrow, direction: str = "TB") -> dict[str, str]:
    attrs = {"class": arrow.role, "weight": "8" if arrow.role == "main" else "1"}
    if arrow.role == "shortcut":
        attrs.update({"class": f"shortcut {arrow.shortcut}", "style": SHORTCUT_STYLE[arrow.shortcut]})
    elif arrow.role == "shortcut-path":
        attrs["style"] = "dotted"
    elif arrow.role == "output":
        attrs["style"] = "dashed"
    if arrow.tail == arrow.head:  # an arc beside the box
        attrs.update(ARC_PORTS[direction])
    return attrs


def drawings(graphs, level: str = "block", *, collapse: bool = True, fold: bool = False,
             stage: str | None = None) -> list[Drawing]:
    """The drawings of one network or several (typed graphs, or compiled modules, which carry
    theirs as `.graph`), each cut to one stage if `stage` names one (its name or its title)."""
    # a compiled module (resdsl.load) carries its graph
    graphs = [graphs] if isinstance(graphs, nx.DiGraph) or hasattr(graphs, "graph") else list(graphs)
    graphs = [getattr(g, "graph", g) if not isinstance(g, nx.DiGraph) else g for g in graphs]
    out = [drawing(g, level, collapse, fold) for g in graphs]
    if stage is not None:
        out = [one_stage(d, find_stage(g, stage)) for d, g in zip(out, graphs)]
    return out


def diagram(graphs, level: str = "block", *, cost: bool = False, collapse: bool = True,
            fold: bool = False, direction: str = "TB", dpi: int | None = None,
            stage: str | None = None) -> graphviz.Digraph:
    """DOT for one network, or for several side by side in columns (the paper's Figure 3): typed
    graphs or compiled modules (`resdsl.load`), which carry theirs as `.graph`.
    `cost` adds each box's multiply-adds and shades boxes by them, on one scale for all; `fold`
    draws BN and ReLU inside their conv's box (layer level); `direction` "LR" lays the network
    out left to right; `dpi` sets the resolution of PNG output; `stage` draws that stage alone."""
    drawings_ = drawings(graphs, level, collapse=collapse, fold=fold, stage=stage)
    return _dot(drawings_, cost, fold, direction, dpi)


def _dot(drawings: list[Drawing], cost: bool, fold: bool, direction: str, dpi: int | None) -> graphviz.Digraph:
    if direction not in ("TB", "LR"):
        raise ValueError(f"direction is TB or LR, not {direction!r}")
    graph_style = {**GRAPH_STYLE, "rankdir": direction}
    if dpi is not None:
        graph_style["dpi"] = str(dpi)
    if fold:
        graph_style["forcelabels"] = "true"  # the output-size margins
    dot = graphviz.Digraph("resdsl", graph_attr=graph_style, node_attr=NODE_STYLE, edge_attr=EDGE_STYLE)
    most = max((b.macs for d in drawings for b in d.boxes), default=0) if cost else None
    if most is not None:
        dot.attr(label=f"shading: multiply-adds per box, darkest {human(most)}", labelloc="b",
                 fontsize="10")
    names = [d.name for d in drawings]
    prefixes = [f"{d.name}/" if names.count(d.name) == 1 else f"{d.name}#{i}/" for i, d in enumerate(drawings)]
    for d, prefix in zip(drawings, prefixes):
        _add_network(dot, d, prefix, most, framed=len(drawings) > 1, direction=direction)
    for (left, p), (right, q) in itertools.pairwise(zip(drawings, prefixes)):
        for a, b in counterparts(left, right):
            with dot.subgraph() as row:
                row.attr(rank="same")
                row.node(p + a)
                row.node(q + b)
    return dot
