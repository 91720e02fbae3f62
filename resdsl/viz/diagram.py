"""Diagrams: typed graphs as Graphviz DOT, one box per layer, per block or per stage.

Pure: `diagram` builds a `graphviz.Digraph` and never runs Graphviz's `dot` program (resdsl/dot.py
does). A drawing is a quotient of the layer graph: each box stands for some graph nodes (a layer,
a block or a run of identical blocks, a stage, a run of layers outside stages), and an arrow joins
two boxes wherever a graph edge joins what they stand for. Shortcuts are drawn as in the paper's
Figure 3: solid for identity, dotted where a projection or zero-padding changes dimensions. At the
block level a block's shortcut is an arc beside its box, from its top (the block's input) to its
bottom (the sum).
"""

from __future__ import annotations

import difflib
import itertools
from dataclasses import dataclass, field, replace

import graphviz
import networkx as nx

from ..core.escape import dot_label
from ..core.units import human
from ..netgraph.builder import inputs_of, layer_nodes
from ..netgraph.infer import totals
from ..netgraph.meta import Stage
from ..netgraph.ops import OPS, fmt

LEVELS = ("stage", "block", "layer")
# DenseNet's concatenation keeps its input beside the new features: bold, unlike a sum's shortcut
SHORTCUT_STYLE = {"identity": "solid", "projection": "dotted", "padding": "dotted", "concat": "bold"}
TIMES = "\u00d7"


@dataclass
class Box:
    """One drawn node, standing for `nodes` of the graph."""

    key: str  # the module path it stands for: `layer2.0.conv1`, `layer2.0`, `layer2.1-3`, `layer2`
    label: str
    nodes: list[str]
    kind: str  # an op name for a layer; "block", "stage", or "layers" for a run outside stages
    stage: str | None = None  # the stage cluster it is drawn in
    blocks: int = 1  # how many identical blocks it stands for
    arcs: list["Arrow"] = field(default_factory=list)  # a block's shortcuts, drawn beside it
    macs: int = 0
    params: int = 0
    out_shape: tuple = ()


@dataclass
class Arrow:
    """An edge of the drawing: on the main path, a shortcut (`shortcut` names its kind), an edge
    on a shortcut's path (into a projection or padding layer), or to an output's name."""

    tail: str
    head: str  # == tail for a block's shortcut arc
    shape: tuple
    label: str = ""
    role: str = "main"  # main | shortcut | shortcut-path | output
    shortcut: str | None = None  # identity | projection | padding


@dataclass
class Drawing:
    """One network at one level, ready to be written as DOT."""

    name: str
    caption: str
    boxes: list[Box]
    arrows: list[Arrow]
    stage_titles: dict[str, str] = field(default_factory=dict)
    margins: dict[str, str] = field(default_factory=dict)  # box key -> text beside it


# -- shortcuts -----------------------------------------------------------------------------------

def _shortcut_path(graph: nx.DiGraph, merge: str) -> list[str]:
    """The layers between a block's input and a merge on the shortcut side, input first."""
    source = next(u for u, _, role in graph.in_edges(merge, data="role") if role == "shortcut")
    path = []
    while graph.nodes[source]["scope"].get("branch") == "shortcut":
        path.append(source)
        source = inputs_of(graph, source)[0]
    return path[::-1]


def merges(graph: nx.DiGraph, nodes: list[str]) -> list[str]:
    """The nodes that take a shortcut (`add`, `concat`, ...)."""
    return [n for n in nodes if any(role == "shortcut" for _, _, role in graph.in_edges(n, data="role"))]


def shortcut_kind(graph: nx.DiGraph, merge: str) -> str:
    """What a merge's shortcut carries: identity, a projection or zero-padding (option A); or the
    input itself concatenated (DenseNet)."""
    ops = {graph.nodes[n]["op"] for n in _shortcut_path(graph, merge)}
    if "conv" in ops:
        return "projection"
    if "pad_shortcut" in ops:
        return "padding"
    return "concat" if graph.nodes[merge]["op"] == "concat" else "identity"


def layer_label(graph: nx.DiGraph, node: str) -> str:
    """The op table's description: '3x3 conv, 128, /2'."""
    data = graph.nodes[node]
    return OPS[data["op"]].describe(data["args"])


def _shortcut_arcs(graph: nx.DiGraph, box: Box) -> list[Arrow]:
    """A block's shortcuts as arcs beside its box, labelled with any layers they hold."""
    arcs = []
    for merge in merges(graph, box.nodes):
        layers = [layer_label(graph, n) for n in _shortcut_path(graph, merge)
                  if graph.nodes[n]["op"] != "bn"]
        label = " " + "\n".join(layers) if layers else ""
        if graph.nodes[merge]["op"] == "concat":
            label = label or " concat"
        arcs.append(Arrow(box.key, box.key, graph.nodes[merge]["out_shape"], label, "shortcut",
                          shortcut_kind(graph, merge)))
    return arcs


# -- boxes at each level -------------------------------------------------------------------------

def _layer_box(graph: nx.DiGraph, node: str) -> Box:
    data = graph.nodes[node]
    return Box(node, layer_label(graph, node), [node], data["op"], data["scope"].get("stage"))


def _boxes_by_layer(graph: nx.DiGraph, order: list[str], collapse: bool) -> list[Box]:
    return [_layer_box(graph, n) for n in order]


FOLDED = ("bn", "relu", "sigmoid", "dropout")  # drawn inside the conv or fc box they follow


def fold_layers(graph: nx.DiGraph, boxes: list[Box]) -> list[Box]:
    """The paper's Figure 3: a BN or ReLU that reads a weighted layer's box or a merge (and
    nothing else reads what that box ends with) joins it, so the box reads "3x3 conv, 64" alone
    and a block ends at its "+"."""
    folded: list[Box] = []
    for box in boxes:
        last = folded[-1] if folded else None
        node = box.nodes[0]
        if (last is not None and box.kind in FOLDED and OPS.get(last.kind) is not None
                and (OPS[last.kind].weighted or OPS[last.kind].arity == -1)  # conv, fc, a merge
                and last.stage == box.stage
                and inputs_of(graph, node) == [last.nodes[-1]]
                and graph.out_degree(last.nodes[-1]) == 1):
            last.nodes.append(node)
            continue
        folded.append(box)
    return folded


def _size_margins(boxes: list[Box], graph: nx.DiGraph) -> dict[str, str]:
    """'output size: 56' beside the first box of each output size, as Figure 3's left margin."""
    margins, size = {}, None
    for box in boxes:
        if box.kind in ("input", "output") or not box.nodes:
            continue
        shape = graph.nodes[box.nodes[-1]]["out_shape"]
        now = shape[1] if len(shape) == 3 else 1  # a vector is 1x1: the figure's "output size: 1" for fc
        if now != size:
            margins[box.key] = f"output size: {now}"
            size = now
    return margins


def _block_ends(graph: nx.DiGraph, nodes: list[str]) -> tuple[tuple, tuple]:
    """The shapes going into and coming out of a block (or stage)."""
    inside = set(nodes)
    first = next(n for n in nodes if any(u not in inside for u in graph.predecessors(n)))
    return graph.nodes[first]["in_shapes"][0], graph.nodes[nodes[-1]]["out_shape"]


def _stride_text(before: tuple, after: tuple) -> str:
    if len(before) == 3 and len(after) == 3 and before[1] > after[1]:
        return f", /{round(before[1] / after[1])}"
    return ""


def _block_label(graph: nx.DiGraph, nodes: list[str], repeat: int = 1) -> str:
    """'basic 128, /2' (its type, output width and stride), then its branch's weighted layers."""
    before, after = _block_ends(graph, nodes)
    width = f"{after[0]}"
    if graph.nodes[nodes[-1]]["op"] == "concat" and len(before) == 3 and before[1:] == after[1:]:
        # a dense layer adds its growth to whatever comes in: that is what it looks like, so
        # the layers of a dense block collapse ("dense_layer +32 x 6")
        width = f"+{after[0] - before[0]}"
    head = f"{graph.nodes[nodes[0]]['scope']['block_type']} {width}{_stride_text(before, after)}"
    if repeat > 1:
        head += f" {TIMES} {repeat}"
    layers = [layer_label(graph, n) for n in nodes
              if OPS[graph.nodes[n]["op"]].weighted and graph.nodes[n]["scope"].get("branch") != "shortcut"]
    return "\n".join([head, *layers])


def _boxes_by_block(graph: nx.DiGraph, order: list[str], collapse: bool) -> list[Box]:
    boxes: list[Box] = []
    blocks: dict[str, Box] = {}
    for node in order:
        scope = graph.nodes[node]["scope"]
        if "stage" not in scope:
            boxes.append(_layer_box(graph, node))
            continue
        key = f"{scope['stage']}.{scope['block']}"
        if key not in blocks:
            blocks[key] = Box(key, "", [], "block", scope["stage"])
            boxes.append(blocks[key])
        blocks[key].nodes.append(node)
    for box in blocks.values():
        box.label = _block_label(graph, box.nodes)
        box.arcs = _shortcut_arcs(graph, box)
    return _collapse_repeats(graph, boxes) if collapse else boxes


def _looks(box: Box) -> tuple:
    """What a block box shows; blocks that look the same in a row are drawn once."""
    return box.stage, box.label, [(a.label, a.shortcut) for a in box.arcs]


def _collapse_repeats(graph: nx.DiGraph, boxes: list[Box]) -> list[Box]:
    """Runs of identical consecutive blocks become one box: 'basic 256 x 5'."""
    out: list[Box] = []
    for _, run in itertools.groupby(boxes, key=lambda b: _looks(b) if b.kind == "block" else id(b)):
        run = list(run)
        if len(run) == 1:
            out.append(run[0])
            continue
        first, last = run[0], run[-1]
        key = f"{first.key}-{last.key.rsplit('.', 1)[-1]}"
        out.append(Box(key,
                       _block_label(graph, first.nodes, len(run)),
                       [n for box in run for n in box.nodes], "block", first.stage, len(run),
                       [replace(arc, tail=key, head=key) for arc in first.arcs]))
    return out


def _boxes_by_stage(graph: nx.DiGraph, order: list[str], collapse: bool) -> list[Box]:
    """One box per stage; the layers between stages (stem, head) as one box per run."""
    boxes: list[Box] = []
    for node in order:
        data = graph.nodes[node]
        stage = data["scope"].get("stage")
        last = boxes[-1] if boxes else None
        if stage is not None:
            if last is not None and last.kind == "stage" and last.key == stage:
                last.nodes.append(node)
            else:
                boxes.append(Box(stage, "", [node], "stage"))
        elif data["op"] == "input" or last is None or last.kind != "layers":
            boxes.append(Box(node, layer_label(graph, node), [node],
                             "input" if data["op"] == "input" else "layers"))
        else:
            last.nodes.append(node)
            last.label += "\n" + layer_label(graph, node)
    stages = {s.name: s for s in graph.graph["stages"]}
    for box in boxes:
        if box.kind == "stage":
            box.label = _stage_label(graph, stages[box.key], box.nodes)
            box.blocks = stages[box.key].repeat
    return boxes


def _stage_label(graph: nx.DiGraph, stage: Stage, nodes: list[str]) -> str:
    """'conv3_x', then 'basic 128 x 4, /2'."""
    before, after = _block_ends(graph, nodes)
    repeat = f" {TIMES} {stage.repeat}" if stage.repeat > 1 else ""
    return f"{stage.title or stage.name}\n{stage.block} {after[0]}{repeat}{_stride_text(before, after)}"


BOXES = {"layer": _boxes_by_layer, "block": _boxes_by_block, "stage": _boxes_by_stage}


# -- arrows --------------------------------------------------------------------------------------

def _arrows(graph: nx.DiGraph, boxes: list[Box], level: str) -> list[Arrow]:
    """One arrow per pair of boxes that graph edges join; at the layer level, shortcut edges
    carry their kind."""
    owner = {n: box.key for box in boxes for n in box.nodes}
    arrows: dict[tuple[str, str], Arrow] = {}
    for head in (n for box in boxes for n in box.nodes):
        for tail in inputs_of(graph, head):
            pair = (owner[tail], owner[head])
            if pair[0] == pair[1] or pair in arrows:
                continue
            data = graph.edges[tail, head]
            arrow = arrows[pair] = Arrow(*pair, data["shape"])
            if level == "layer" and data.get("role") == "shortcut":
                arrow.role, arrow.shortcut = "shortcut", shortcut_kind(graph, head)
            elif level == "layer" and graph.nodes[head]["scope"].get("branch") == "shortcut":
                arrow.role = "shortcut-path"
    return list(arrows.values())


def _label_shapes(arrows: list[Arrow]) -> None:
    """Tensor shapes on edges where a box changes the shape (once per box), so that long chains
    stay readable; the input box states its own."""
    shape_in: dict[str, tuple] = {}
    for arrow in arrows:
        shape_in.setdefault(arrow.head, arrow.shape)
    labelled = set()
    for arrow in arrows:
        if arrow.tail in labelled or shape_in.get(arrow.tail, arrow.shape) == arrow.shape:
            continue
        labelled.add(arrow.tail)
        arrow.label = " " + fmt(arrow.shape)


def drawing(graph: nx.DiGraph, level: str = "block", collapse: bool = True,
            fold: bool = False) -> Drawing:
    """The boxes and arrows of one typed graph at a level (stage, block or layer); `collapse`
    draws identical consecutive blocks once; `fold` (layer level) draws BN and ReLU inside
    their conv's box, with the output size in a margin (the paper's Figure 3)."""
    if level not in LEVELS:
        raise ValueError(f"level is one of {', '.join(LEVELS)}, not {level!r}")
    boxes = BOXES[level](graph, layer_nodes(graph), collapse)
    if fold and level == "layer":
        boxes = fold_layers(graph, boxes)
    for box in boxes:
        box.macs = sum(graph.nodes[n]["macs"] for n in box.nodes)
        box.params = sum(graph.nodes[n]["params"] for n in box.nodes)
        box.out_shape = graph.nodes[box.nodes[-1]]["out_shape"]
    arrows = _arrows(graph, boxes, level)
    _label_shapes(arrows)
    arrows += [arc for box in boxes for arc in box.arcs]
    if len(graph.graph["outputs"]) > 1:  # taps (a detection backbone): name each
        owner = {n: box.key for box in boxes for n in box.nodes}
        for output in graph.graph["outputs"]:
            shape = graph.nodes[output.node]["out_shape"]
            tap = Box(f"{output.name} (output)", f"{output.name}: {fmt(shape)}", [], "output",
                      out_shape=shape)
            boxes.append(tap)
            arrows.append(Arrow(owner[output.node], tap.key, shape, role="output"))
    figures = totals(graph)
    caption = (f"{graph.graph['name']}\n{figures['depth']} weighted layers, "
               f"{human(figures['macs'])} multiply-adds, {human(figures['params'])} params")
    titles = {s.name: f"{s.title} ({s.name})" if s.title else s.name
              for s in graph.graph["stages"]}
    margins = _size_margins(boxes, graph) if fold and level == "layer" else {}
    return Drawing(graph.graph["name"], caption, boxes, arrows, titles, margins)


# -- DOT -----------------------------------------------------------------------------------------

# A font list, not the bare PostScript name: Graphviz maps a bare "Helvetica" to its own pick
# (DejaVu Sans on Debian), whose deep underscore its line spacing (1.1 x the size) cannot hold,
# so in a PNG at 80 dpi or less `conv2_x` touched the line below; the list goes to fontconfig
# (Liberation Sans, Helvetica's metrics, where Graphviz's recommended fonts are installed) and
# stays a CSS font list in SVG.
FONT = "Helvetica,Arial,sans-serif"
GRAPH_STYLE = {"rankdir": "TB", "newrank": "true", "nodesep": "0.3", "ranksep": "0.22",
               "fontname": FONT}
NODE_STYLE = {"shape": "box", "style": "rounded,filled", "fillcolor": "white", "fontname": FONT,
              "fontsize": "11", "height": "0.3", "margin": "0.1,0.04"}
EDGE_STYLE = {"fontname": FONT, "fontsize": "9", "fontcolor": "#4d4d4d", "arrowsize": "0.6"}
BLUE, GREEN, GREY = "#dce9f7", "#e4f1d9", "#eeeeee"
SMALL_OPS = ("bn", "relu", "sigmoid", "dropout")  # drawn small: they keep the tensor's shape
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
    if box.kind.endswith("pool"):
        return {"fillcolor": GREEN}
    if box.kind == "pad_shortcut":
        return {"style": "rounded,dashed"}
    if box.kind in SMALL_OPS:
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
        label = box.label
        if most is not None:
            style = {**style, **_cost_style(box, most)}
            if box.kind in ("input", "output"):
                style.pop("fillcolor")
            if box.macs:
                label += f"\n{human(box.macs)} MACs"
        if box.key not in off_main_path:
            style["group"] = prefix  # one group per network: dot keeps its main path straight
        if box.key in d.margins:
            style["xlabel"] = _text(d.margins[box.key])
        g.node(prefix + box.key, _text(label), tooltip=_text(_tooltip(box)), **style)

    off_main_path = {a.head for a in d.arrows if a.role in ("shortcut-path", "output")}
    with dot.subgraph(name=f"cluster_{prefix}") as net:
        net.attr(label=_text(d.caption), labelloc="t", fontsize="13", style="rounded",
                 margin="12", color="#cccccc" if framed else "white")
        for stage, run in itertools.groupby(d.boxes, key=lambda b: b.stage):
            if stage is None:
                for box in run:
                    add_box(net, box)
                continue
            with net.subgraph(name=f"cluster_{prefix}{stage}") as cluster:
                title = d.stage_titles.get(stage, stage)
                cluster.attr(label=_text(title), labeljust="l", fontsize=TITLE_SIZE,
                             style="rounded,filled", fillcolor="#f7f7f7", color="#b3b3b3")
                run = list(run)
                for box in run:
                    add_box(cluster, box)
                on_path = [b.key for b in run if b.key not in off_main_path]
                if direction == "TB" and on_path:  # left to right, the title sits above the path
                    quiet = [k for k in on_path if k not in d.margins]  # an output-size margin is drawn on its left
                    _title_spacer(cluster, prefix, stage, title, (quiet or on_path)[0])

    for arrow in d.arrows:
        attrs = {"class": arrow.role, "weight": "8" if arrow.role == "main" else "1"}
        if arrow.role == "shortcut":
            attrs.update({"class": f"shortcut {arrow.shortcut}", "style": SHORTCUT_STYLE[arrow.shortcut]})
        elif arrow.role == "shortcut-path":
            attrs["style"] = "dotted"
        elif arrow.role == "output":
            attrs["style"] = "dashed"
        if arrow.tail == arrow.head:  # an arc beside the box, from its top to its bottom
            attrs.update(tailport="n", headport="s")
        dot.edge(prefix + arrow.tail, prefix + arrow.head, _text(arrow.label), **attrs)


def diagram(graphs, level: str = "block", *, cost: bool = False, collapse: bool = True,
            fold: bool = False, direction: str = "TB", dpi: int | None = None) -> graphviz.Digraph:
    """DOT for one network, or for several side by side in columns (the paper's Figure 3): typed
    graphs or compiled modules (`resdsl.load`), which carry theirs as `.graph`.
    `cost` adds each box's multiply-adds and shades boxes by them, on one scale for all; `fold`
    draws BN and ReLU inside their conv's box (layer level); `direction` "LR" lays the network
    out left to right; `dpi` sets the resolution of PNG output."""
    # a compiled module (resdsl.load) carries its graph
    graphs = [graphs] if isinstance(graphs, nx.DiGraph) or hasattr(graphs, "graph") else list(graphs)
    graphs = [getattr(g, "graph", g) if not isinstance(g, nx.DiGraph) else g for g in graphs]
    drawings = [drawing(g, level, collapse, fold) for g in graphs]
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
        for a, b in _counterparts(left, right):
            with dot.subgraph() as row:
                row.attr(rank="same")
                row.node(p + a)
                row.node(q + b)
    return dot


def _counterparts(left: Drawing, right: Drawing) -> list[tuple[str, str]]:
    """Boxes of two columns to draw level with each other, as in Figure 3. Columns that are
    mostly one network (plain34 and resnet34) line up box by box: the same module path with the
    same output. Others line up at the first box of each output size both reach (112, 56, ...)."""
    same = _matches([(b.key, b.out_shape) for b in left.boxes], [(b.key, b.out_shape) for b in right.boxes])
    if 2 * len(same) >= min(len(left.boxes), len(right.boxes)):
        return [(left.boxes[i].key, right.boxes[j].key) for i, j in same]
    a, b = _first_at_each_size(left), _first_at_each_size(right)
    pairs = [(a[i][1], b[j][1]) for i, j in _matches([s for s, _ in a], [s for s, _ in b])]
    return pairs + _heads(left, right, pairs)


def _head(d: Drawing) -> list[int]:
    """Indices of a column's classifier head: the first box past the last feature map (VGG's
    first fc, a ResNet's global average pool) and the last box (the final fc); [] without one."""
    boxes = [i for i, box in enumerate(d.boxes) if box.kind != "output"]

    def flat(i: int) -> bool:  # a vector, or a map pooled to 1x1
        shape = d.boxes[i].out_shape
        return len(shape) != 3 or shape[1:] == (1, 1)

    if not boxes or not flat(boxes[-1]):
        return []
    first = next((k for k in range(len(boxes) - 1, -1, -1) if not flat(boxes[k])), -1) + 1
    return sorted({boxes[first], boxes[-1]})


def _heads(left: Drawing, right: Drawing, pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Figure 3's bottom rows: VGG's first fc beside the ResNets' average pool, and the last fc
    beside the last fc, below every row already paired."""
    a, b = _head(left), _head(right)
    if not a or not b:
        return []
    if len(a) != len(b):  # one head is a single box: only the last boxes pair
        a, b = a[-1:], b[-1:]
    at_a = {box.key: i for i, box in enumerate(left.boxes)}
    at_b = {box.key: i for i, box in enumerate(right.boxes)}
    done_a = max((at_a[k] for k, _ in pairs), default=-1)
    done_b = max((at_b[k] for _, k in pairs), default=-1)
    return [(left.boxes[i].key, right.boxes[j].key) for i, j in zip(a, b) if i > done_a and j > done_b]


def _matches(a: list, b: list) -> list[tuple[int, int]]:
    """Index pairs of equal items, in order in both lists."""
    blocks = difflib.SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    return [(m.a + k, m.b + k) for m in blocks for k in range(m.size)]


def _first_at_each_size(d: Drawing) -> list[tuple[tuple, str]]:
    """(height x width, box key) of the first box giving each feature-map size."""
    seen, marks = set(), []
    for box in d.boxes:
        size = box.out_shape[1:]
        if len(box.out_shape) == 3 and size not in seen:
            seen.add(size)
            marks.append((size, box.key))
    return marks
