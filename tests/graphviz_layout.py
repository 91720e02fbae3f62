"""Where Graphviz's dot puts things: the positions it computes (`dot -Tjson`), read back for tests
that check a picture's geometry rather than its DOT source. Points, y upwards (Graphviz's own)."""

import json
from dataclasses import dataclass, field

import graphviz

Box = tuple[float, float, float, float]  # left, bottom, right, top


@dataclass
class Layout:
    nodes: dict = field(default_factory=dict)  # name -> (x, y, width, height, attributes)
    titles: dict = field(default_factory=dict)  # cluster name -> the box of its label
    edges: list = field(default_factory=list)  # (tail, head, attributes, points along it)

    def node_box(self, name: str) -> Box:
        x, y, w, h, _ = self.nodes[name]
        return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)

    def edges_of_class(self, word: str) -> list:
        return [e for e in self.edges if word in e[2].get("class", "").split()]


def _bezier(points: list, steps: int = 32) -> list:
    """Points along a piecewise cubic Bezier (dot's splines: 1 + 3k control points)."""
    out = [tuple(points[0])]
    for i in range(0, len(points) - 3, 3):
        p0, p1, p2, p3 = points[i:i + 4]
        for k in range(1, steps + 1):
            t = k / steps
            a, b, c, d = (1 - t) ** 3, 3 * t * (1 - t) ** 2, 3 * t * t * (1 - t), t ** 3
            out.append((a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0],
                        a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]))
    return out


def _spline(pos: str) -> list:
    """An edge's `pos` ("e,x,y x1,y1 ...") as points along its curve, the arrow's tip included."""
    start = end = None
    control = []
    for item in pos.split():
        parts = item.split(",")
        if parts[0] == "e":
            end = (float(parts[1]), float(parts[2]))
        elif parts[0] == "s":
            start = (float(parts[1]), float(parts[2]))
        else:
            control.append((float(parts[0]), float(parts[1])))
    points = _bezier(control)
    return ([start] if start else []) + points + ([end] if end else [])


def _line(a: tuple, b: tuple, steps: int = 16) -> list:
    return [(a[0] + (b[0] - a[0]) * k / steps, a[1] + (b[1] - a[1]) * k / steps) for k in range(steps + 1)]


def layout(dot: graphviz.Digraph) -> Layout:
    """Run dot on a drawing and read back its nodes, cluster titles and edges."""
    data = json.loads(dot.pipe(format="json"))
    out = Layout()
    names = {}
    for obj in data.get("objects", []):
        names[obj["_gvid"]] = obj["name"]
        if "pos" in obj:  # a node
            x, y = map(float, obj["pos"].split(","))
            out.nodes[obj["name"]] = (x, y, float(obj["width"]) * 72, float(obj["height"]) * 72, obj)
        elif "lp" in obj and obj.get("label"):  # a cluster with a title
            x, y = map(float, obj["lp"].split(","))
            w, h = float(obj["lwidth"]) * 72, float(obj["lheight"]) * 72
            out.titles[obj["name"]] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
    for edge in data.get("edges", []):
        points = _spline(edge["pos"]) if "pos" in edge else []
        # between sampled points of a curve, straight pieces: check those too
        dense = [p for a, b in zip(points, points[1:]) for p in _line(a, b)]
        out.edges.append((names[edge["tail"]], names[edge["head"]], edge, dense))
    return out


def inside(point: tuple, box: Box) -> bool:
    return box[0] < point[0] < box[2] and box[1] < point[1] < box[3]


def crossings(lay: Layout, word: str = "main") -> list:
    """(edge tail, head, cluster) for each edge of a class that runs through a cluster's title."""
    return [(t, h, name) for t, h, _, points in lay.edges_of_class(word)
            for name, box in lay.titles.items() if any(inside(p, box) for p in points)]


# -- a PNG's pixels: which rows of a node's label hold ink ------------------------------------------

PAD = 4  # points dot leaves around a drawing (its `pad`)


def ink_rows(source: str, dpi: int, names: list[str], darker_than: int = 215) -> dict[str, set[int]]:
    """Per node: the pixel rows of its PNG (drawn from DOT `source` at `dpi`) where some pixel
    within its label's width and inside its border is darker than the lightest fill (boxes are
    white or light blue), i.e. holds text."""
    import io

    from PIL import Image

    dot = graphviz.Source(source)
    data = json.loads(dot.pipe(format="json"))
    height = float(data["bb"].split(",")[3])
    image = Image.open(io.BytesIO(dot.pipe(format="png"))).convert("L")
    scale = dpi / 72
    out = {}
    for obj in data["objects"]:
        if obj.get("name") not in names:
            continue
        x, y = map(float, obj["pos"].split(","))
        half = float(obj["height"]) * 36 - 1.5  # inside the border
        width = max(op["width"] for op in obj["_ldraw_"] if op["op"] == "T")
        left, right = round((x - width / 2 + PAD) * scale), round((x + width / 2 + PAD) * scale)
        top, bottom = round((height - y - half + PAD) * scale), round((height - y + half + PAD) * scale)
        out[obj["name"]] = {row for row in range(top, bottom)
                            if any(image.getpixel((col, row)) < darker_than for col in range(left, right))}
    return out


def runs(rows: set[int]) -> list[list[int]]:
    """Consecutive rows as [first, last] runs, top first."""
    out: list[list[int]] = []
    for row in sorted(rows):
        if out and row == out[-1][1] + 1:
            out[-1][1] = row
        else:
            out.append([row, row])
    return out


def underscores_in_place(drawn: set[int], without: set[int]) -> bool:
    """Whether a label's underscores show as their own ink, apart from the line below: `drawn`
    are its ink rows, `without` those of the same label with '-' for '_' (its lines' bodies).
    An underscore that sinks onto the next line either leaves no row of its own or joins that
    line's ink from above."""
    if not drawn - without:
        return False
    spans = runs(drawn)
    for first, _ in runs(without)[1:]:  # each line after the first: does its ink start where it did?
        if next(s for s in spans if s[0] <= first <= s[1])[0] < first:
            return False
    return True
