"""Source lines on the diagram's boxes, so that a click on a box can show where it is written.

The graph records where each layer comes from (a node's `span`), where each stage statement is
(`stage_spans`) and where the network is built (`span`). A box stands for some nodes: a layer box
goes to its layer's line when that is in the text, a block or stage box to its stage statement;
either falls back to the other, then to the network's line. Lines in other files (a `use`d or
bundled block) are not lines of the text, and are passed over.
"""

from __future__ import annotations

import html
import re

_NODE = re.compile(r'<g id="(node\d+)" class="node">(\s*<title>)(.*?)(</title>)')


def _line(span, source: str) -> int | None:
    return span.line if span is not None and span.file == source else None


def box_lines(graph, boxes, source: str) -> dict[str, int]:
    """Each box's key -> the line of the text `source` it comes from (boxes from nowhere in the
    text are left out)."""
    stage_spans = graph.graph.get("stage_spans") or {}
    network = _line(graph.graph.get("span"), source)
    lines = {}
    for box in boxes:
        own = [line for node in box.nodes
               if (line := _line(graph.nodes[node].get("span"), source)) is not None]
        layer = min(own) if own else None
        stage = _line(stage_spans.get(box.stage), source) if box.stage else None
        first = (stage, layer) if box.kind in ("block", "stage") else (layer, stage)
        found = next((line for line in (*first, network) if line is not None), None)
        if found is not None:
            lines[box.key] = found
    return lines


def mark_boxes(svg: str, lines: dict[str, int]) -> str:
    """Graphviz's SVG with `data-line` (and `data-box`) on each node group whose title (the DOT
    node name) has a line; the XML prologue is dropped, so the SVG can be put inside a page."""
    def mark(m: re.Match) -> str:
        key = html.unescape(m.group(3))
        line = lines.get(key)
        extra = f' data-box="{html.escape(key)}"' + (f' data-line="{line}"' if line else "")
        return f'<g id="{m.group(1)}" class="node"{extra}>{m.group(2)}{m.group(3)}{m.group(4)}'

    start = svg.find("<svg")
    return _NODE.sub(mark, svg[start:] if start >= 0 else svg)
