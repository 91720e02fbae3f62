"""Drawings: a typed graph as boxes and arrows, one box per layer, per block or per stage.

A drawing is a quotient of the layer graph: each box stands for some graph nodes (a layer, a block
or a run of identical blocks, a stage, a run of layers outside stages), and an arrow joins two
boxes wherever a graph edge joins what they stand for. Shortcuts carry their kind, as in the
paper's Figure 3: identity, projection, zero-padding, or a concatenated input (DenseNet). At the
block level a block's shortcut is an arc beside its box, from its top (the block's input) to its
bottom (the sum). diagram.py writes a drawing as DOT.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace

import networkx as nx

from ..core.units import human
from ..netgraph.builder import inputs_of, layer_nodes
from ..netgraph.infer import totals
from ..netgraph.meta import Stage
from ..netgraph.ops import OPS, fmt
from .branches import rows

LEVELS = ("stage", "block", "layer")
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
    rows: list | None = None  # a block with parallel branches: its lines and branches (branches.py)
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
    roles = {OPS[graph.nodes[n]["op"]].role for n in _shortcut_path(graph, merge)}
    if "conv" in roles:
        return "projection"
    if "shortcut" in roles:  # made by the compiler: option A's zero-padding
        return "padding"
    return "concat" if graph.nodes[merge]["op"] == "concat" else "identity"


def layer_label(graph: nx.DiGraph, node: str) -> str:
    """The op table's description: '3x3 conv, 128, /2'."""
    data = graph.nodes[node]
    return OPS[data["op"]].describe(data["args"])


def _shortcut_arcs(graph: nx.DiGraph, box: Box) -> list[Arrow]:
    """A block's shortcuts as arcs beside its box, labelled with any layers they hold but
    their norms (a projection is "1x1 conv, 128, /2")."""
    arcs = []
    for merge in merges(graph, box.nodes):
        layers = [layer_label(graph, n) for n in _shortcut_path(graph, merge)
                  if OPS[graph.nodes[n]["op"]].role != "norm"]
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


def _boxes_by_layer(graph: nx.DiGraph, order: list[str], _collapse: bool) -> list[Box]:
    return [_layer_box(graph, n) for n in order]


def fold_layers(graph: nx.DiGraph, boxes: list[Box]) -> list[Box]:
    """The paper's Figure 3: a norm, an activation or dropout (the op table's minor ops) that
    reads a weighted layer's box or a merge (and nothing else reads what that box ends with)
    joins it, so the box reads "3x3 conv, 64" alone and a block ends at its "+"."""
    folded: list[Box] = []
    for box in boxes:
        last = folded[-1] if folded else None
        node = box.nodes[0]
        if (last is not None and OPS[box.kind].minor and OPS.get(last.kind) is not None
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
    if len(before) == 3 and len(after) == 3 and round(before[1] / after[1]) > 1:
        return f", /{round(before[1] / after[1])}"
    return ""  # the same size, or a few pixels less (a 3x3 conv without padding: 149 to 147)


def _block_label(graph: nx.DiGraph, nodes: list[str], repeat: int = 1) -> str:
    """'basic 128, /2' (its type, output width and stride), then its branch's weighted layers."""
    before, after = _block_ends(graph, nodes)
    width = f"{after[0]}"
    if (graph.nodes[nodes[-1]]["op"] == "concat" and merges(graph, nodes[-1:])  # it keeps its input
            and len(before) == 3 and before[1:] == after[1:]):
        # a dense layer adds its growth to whatever comes in: that is what it looks like, so
        # the layers of a dense block collapse ("dense_layer +32 x 6")
        width = f"+{after[0] - before[0]}"
    head = f"{graph.nodes[nodes[0]]['scope']['block_type']} {width}{_stride_text(before, after)}"
    if repeat > 1:
        head += f" {TIMES} {repeat}"
    layers = [layer_label(graph, n) for n in nodes
              if _shown_in_block(graph, n) and graph.nodes[n]["scope"].get("branch") != "shortcut"]
    return "\n".join([head, *layers])


def _shown_in_block(graph: nx.DiGraph, node: str) -> bool:
    """Whether a block's box names a layer: a weighted one (conv, fc), or any other that learns
    weights but a norm, an activation or dropout (squeeze-and-excitation, ECA, a highway gate)."""
    op = OPS[graph.nodes[node]["op"]]
    return op.weighted or (not op.minor and graph.nodes[node]["params"] > 0)


def block_key(scope: dict) -> str | None:
    """The block a layer belongs to, as a box key: `layer2.0` for a stage's block, the block's
    own path for one called outside stages (MobileNetV2's `features.3`, a deep stem); None for a
    layer of no block."""
    if "stage" in scope:
        return f"{scope['stage']}.{scope['block']}"
    return scope.get("block_path")


def _boxes_by_block(graph: nx.DiGraph, order: list[str], collapse: bool) -> list[Box]:
    boxes: list[Box] = []
    blocks: dict[str, Box] = {}
    for node in order:
        scope = graph.nodes[node]["scope"]
        key = block_key(scope)
        if key is None:
            boxes.append(_layer_box(graph, node))
            continue
        if key not in blocks:
            blocks[key] = Box(key, "", [], "block", scope.get("stage"))
            boxes.append(blocks[key])
        blocks[key].nodes.append(node)
    for box in blocks.values():
        box.label = _block_label(graph, box.nodes)
        box.arcs = _shortcut_arcs(graph, box)
        box.rows = _block_rows(graph, box.nodes)
    return _collapse_repeats(graph, boxes) if collapse else boxes


def _block_rows(graph: nx.DiGraph, nodes: list[str]) -> list | None:
    """A block's lines with its parallel branches side by side, after its head line; None for
    a block whose layers run one after another (its label says it all)."""
    return rows(graph, nodes, lambda n: _shown_in_block(graph, n), lambda n: layer_label(graph, n))


def _looks(box: Box) -> tuple:
    """What a block box shows; blocks that look the same in a row are drawn once."""
    return box.stage, box.label, [(a.label, a.shortcut) for a in box.arcs]


def _collapse_repeats(graph: nx.DiGraph, boxes: list[Box]) -> list[Box]:
    """Runs of identical consecutive blocks become one box: 'basic 256 x 5'."""
    out: list[Box] = []
    for _, same in itertools.groupby(boxes, key=lambda b: _looks(b) if b.kind == "block" else id(b)):
        run = list(same)
        if len(run) == 1:
            out.append(run[0])
            continue
        first, last = run[0], run[-1]
        key = f"{first.key}-{last.key.rsplit('.', 1)[-1]}"
        out.append(Box(key,
                       _block_label(graph, first.nodes, len(run)),
                       [n for box in run for n in box.nodes], "block", first.stage, len(run),
                       [replace(arc, tail=key, head=key) for arc in first.arcs], first.rows))
    return out


def _boxes_by_stage(graph: nx.DiGraph, order: list[str], _collapse: bool) -> list[Box]:
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
        elif "block_path" in data["scope"]:  # a block outside stages: a box of its own
            key = data["scope"]["block_path"]
            if last is not None and last.kind == "block" and last.key == key:
                last.nodes.append(node)
            else:
                boxes.append(Box(key, "", [node], "block"))
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
        elif box.kind == "block":
            box.label = _block_label(graph, box.nodes)
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


