"""Cost rows: multiply-adds, parameters and activations of a typed graph, by stage, block or layer.

Everything here is arithmetic on the node attributes `infer` filled in (no torch, no forward pass).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import networkx as nx

from ..netgraph.builder import layer_nodes
from ..netgraph.ops import OPS

BYTES_PER_ELEMENT = 4  # fp32
LEVELS = ("stage", "block", "layer")


@dataclass
class Row:
    """A group of consecutive nodes: the stem, a stage, a block, a layer or the head."""

    name: str
    kind: str  # stem | stage | block | layer | head | layers
    title: str | None
    structure: str
    nodes: list[str] = field(repr=False)
    output: tuple[int, ...] = ()
    macs: int = 0
    params: int = 0
    shortcut_macs: int = 0
    shortcut_params: int = 0
    activations: int = 0  # output elements of every node in the row, for one sample


def _row(nodes: dict, name: str, kind: str, title: str | None, structure: str,
         members: list[str]) -> Row:
    row = Row(name, kind, title, structure, members, nodes[members[-1]]["out_shape"])
    for node in members:
        data = nodes[node]
        row.macs += data["macs"]
        row.params += data["params"]
        row.activations += math.prod(data["out_shape"])
        if data["scope"].get("branch") == "shortcut":
            row.shortcut_macs += data["macs"]
            row.shortcut_params += data["params"]
    return row


# -- grouping ------------------------------------------------------------------------------------

@dataclass
class Part:
    """Consecutive nodes (in execution order) in one stage, in one block the network calls outside
    any stage (`features.1: inverted_residual ...`), or outside both."""

    stage: str | None
    call: str | None = None  # the block's module path, for a block called outside stages
    nodes: list[str] = field(default_factory=list)
    blocks: dict[str, list[str]] = field(default_factory=dict)  # module path (`layer1.0`) -> nodes

    @property
    def loose(self) -> bool:
        """Layers the network writes itself, in no stage and no block."""
        return self.stage is None and self.call is None


@dataclass
class Grouped:
    """A typed graph's nodes grouped once, for the functions below to share."""

    nodes: dict[str, dict]  # node -> attributes
    order: list[str]  # execution order, the input included
    parts: list[Part]


def group(graph: nx.DiGraph) -> Grouped:
    nodes = dict(graph.nodes(data=True))
    order = layer_nodes(graph)
    parts: list[Part] = []
    for node in order:
        data = nodes[node]
        if data["op"] == "input":
            continue
        scope = data["scope"]
        stage = scope.get("stage")
        call = scope.get("block_path") if stage is None else None
        if not parts or (parts[-1].stage, parts[-1].call) != (stage, call):
            parts.append(Part(stage, call))
        parts[-1].nodes.append(node)
        if stage is not None:
            parts[-1].blocks.setdefault(f"{stage}.{scope['block']}", []).append(node)
        elif call is not None:
            parts[-1].blocks.setdefault(call, []).append(node)
    return Grouped(nodes, order, parts)


def _outside_name(parts: list[Part], index: int) -> tuple[str, str]:
    """What a run of loose nodes is called: the stem, the head, or its first node."""
    built = [i for i, part in enumerate(parts) if not part.loose]
    if not built:
        return "layers", "layers"
    if index < built[0]:
        return "stem", "stem"
    if index > built[-1]:
        return "head", "head"
    return parts[index].nodes[0], "layers"


def _stage_view(parts: list[Part]) -> list[Part]:
    """The parts as stages see them: in a network with stages, blocks called before the first
    stage belong to the stem and those after the last to the head (Table 1's conv1 and its
    classifier); the blocks between stages keep rows of their own."""
    staged = [i for i, part in enumerate(parts) if part.stage is not None]
    if not staged:
        return parts
    view: list[Part] = []
    for index, part in enumerate(parts):
        if part.call is not None and not staged[0] < index < staged[-1]:
            part = Part(None, None, part.nodes)
        if view and view[-1].loose and part.loose:
            view[-1] = Part(None, None, view[-1].nodes + part.nodes)
        else:
            view.append(part)
    return view


def _block_runs(nodes: dict, parts: list[Part], index: int) -> int:
    """How many blocks from `parts[index]` on form one run, as a stage would: the same block,
    each after the first keeping its input's shape (MobileNetV2's rows of Table 2)."""
    first = parts[index]
    kind = nodes[first.nodes[0]]["scope"].get("block_type")
    end = index + 1
    while (end < len(parts) and parts[end].call is not None
           and nodes[parts[end].nodes[0]]["scope"].get("block_type") == kind
           and nodes[parts[end].nodes[-1]]["out_shape"] == nodes[parts[end - 1].nodes[-1]]["out_shape"]):
        end += 1
    return end - index


def _run_name(first: str, last: str) -> str:
    """`features.2-3`: the first block's path and the last one's number, when they share a parent."""
    parent, _, _ = first.rpartition(".")
    last_parent, _, tail = last.rpartition(".")
    return f"{first}-{tail}" if parent and parent == last_parent else f"{first}-{last}"


def stage_blocks(graph: nx.DiGraph, stage: str, grouped: Grouped | None = None) -> dict[str, list[str]]:
    """A stage's blocks: module path (`layer1.0`) -> nodes."""
    grouped = grouped or group(graph)
    return {block: members for part in grouped.parts if part.stage == stage
            for block, members in part.blocks.items()}


# -- structure strings, as Table 1 writes them --------------------------------------------------

def kernel_text(args: dict) -> str:
    return "x".join(map(str, args["kernel"]))


def _weighted_text(data: dict, strides: bool) -> str:
    """`3x3, 64` for a conv (`3x3, 64, /2` with strides), `fc, 1000` for a fully connected layer."""
    args = data["args"]
    if data["op"] != "conv":
        return f"{data['op']}, {args['out']}"
    text = f"{kernel_text(args)}, {args['out']}"
    if args["groups"] > 1:
        text += f", groups {args['groups']}"
    if strides and max(args["stride"]) > 1:
        text += f", /{args['stride'][0]}"
    return text


def branch_nodes(nodes: dict, members: list[str]) -> list[str]:
    """A block's residual branch: its nodes outside the shortcut."""
    return [n for n in members if nodes[n]["scope"].get("branch") != "shortcut"]


def block_structure(graph: nx.DiGraph, members: list[str], strides: bool = False) -> str:
    """`[1x1, 64; 3x3, 64; 1x1, 256]`: the weighted layers of a block's residual branch."""
    nodes = graph.nodes
    return "[" + "; ".join(_weighted_text(nodes[n], strides) for n in branch_nodes(nodes, members)
                           if OPS[nodes[n]["op"]].weighted) + "]"


def stage_structure(graph: nx.DiGraph, blocks: dict[str, list[str]]) -> str:
    """`[3x3, 64; 3x3, 64] x 3`; blocks of different shapes are listed run by run."""
    runs: list[list] = []
    for members in blocks.values():
        text = block_structure(graph, members)
        if runs and runs[-1][0] == text:
            runs[-1][1] += 1
        else:
            runs.append([text, 1])
    return ", ".join(f"{text} x {count}" for text, count in runs)


def _plain_structure(nodes: dict, members: list[str]) -> str:
    """The stem's or head's convolutions, pools and fully connected layers, by their labels."""
    shown = [nodes[n] for n in members if OPS[nodes[n]["op"]].weighted or "pool" in nodes[n]["op"]]
    return "; ".join(OPS[d["op"]].describe(d["args"]) for d in shown)


# -- rows ----------------------------------------------------------------------------------------

def cost_rows(graph: nx.DiGraph, by: str = "stage", grouped: Grouped | None = None) -> list[Row]:
    """Rows of multiply-adds and parameters by stage, block or layer; stem and head rows for the
    nodes outside stages and blocks."""
    if by not in LEVELS:
        raise ValueError(f"by must be one of {LEVELS}, not {by!r}")
    grouped = grouped or group(graph)
    nodes = grouped.nodes
    if by == "layer":
        return [_row(nodes, node, "layer", None, OPS[nodes[node]["op"]].describe(nodes[node]["args"]),
                     [node]) for part in grouped.parts for node in part.nodes]
    titles = {s.name: s.title for s in graph.graph.get("stages", [])}
    parts = _stage_view(grouped.parts) if by == "stage" else grouped.parts
    rows: list[Row] = []
    index = 0
    while index < len(parts):
        part, taken = parts[index], 1
        if part.loose:
            name, kind = _outside_name(parts, index)
            rows.append(_row(nodes, name, kind, None, _plain_structure(nodes, part.nodes), part.nodes))
        elif by == "block":
            rows += [_row(nodes, name, "block", None, block_structure(graph, members, strides=True),
                          members) for name, members in part.blocks.items()]
        elif part.stage is not None:
            rows.append(_row(nodes, part.stage, "stage", titles.get(part.stage),
                             stage_structure(graph, part.blocks), part.nodes))
        else:
            taken = _block_runs(nodes, parts, index)
            rows.append(_run_row(graph, nodes, parts[index:index + taken]))
        index += taken
    return rows


def _run_row(graph: nx.DiGraph, nodes: dict, run: list[Part]) -> Row:
    """A stage's row for blocks the network calls one by one: one block, or a run of alike ones."""
    if len(run) == 1:
        (name, members), = run[0].blocks.items()
        return _row(nodes, name, "block", None, block_structure(graph, members, strides=True), members)
    blocks = {name: members for part in run for name, members in part.blocks.items()}
    return _row(nodes, _run_name(run[0].call or "", run[-1].call or ""), "stage", None,
                stage_structure(graph, blocks), [n for part in run for n in part.nodes])


# -- activation memory ---------------------------------------------------------------------------

def activation_memory(graph: nx.DiGraph, batch: int = 1, grouped: Grouped | None = None) -> dict:
    """Activation elements and fp32 bytes of one forward pass of `batch` samples.

    `elements`: the sum of every node's output tensor (the input left out), as if each were kept,
    which is what training keeps for the backward pass at most. `peak_elements`: the most that is
    alive at once in inference when the nodes run in order and each tensor is freed after its last
    reader (the input counted, network outputs kept to the end, no in-place ops, no workspaces).
    """
    grouped = grouped or group(graph)
    size = {n: math.prod(grouped.nodes[n]["out_shape"]) * batch for n in grouped.order}
    readers = {n: len(graph.succ[n]) for n in grouped.order}
    outputs = {o.node for o in graph.graph["outputs"]}
    live = peak = 0
    for node in grouped.order:
        live += size[node]
        peak = max(peak, live)
        for source in graph.pred[node]:
            readers[source] -= 1
            if readers[source] == 0 and source not in outputs:
                live -= size[source]
    inputs = sum(s for n, s in size.items() if grouped.nodes[n]["op"] == "input")
    total = sum(size.values()) - inputs
    return {"batch": batch, "dtype": "float32", "bytes_per_element": BYTES_PER_ELEMENT,
            "input_elements": inputs, "elements": total, "bytes": total * BYTES_PER_ELEMENT,
            "peak_elements": peak, "peak_bytes": peak * BYTES_PER_ELEMENT}
