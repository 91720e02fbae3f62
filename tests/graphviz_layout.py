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


# -- what a reader sees: boxes, texts and curves that must keep clear of each other ----------------

SLACK = 1.5  # points: a line touching a box's border, or texts a hair apart, are not a clash


def _texts(obj: dict) -> list:
    """The boxes of the texts an object draws (its label, a node's xlabel), from dot's draw ops:
    a text's baseline point, its width and alignment, and its font size."""
    out, size = [], 14.0
    for key in ("_ldraw_", "_tldraw_", "_hldraw_"):
        for op in obj.get(key, []):
            if op["op"] == "F":
                size = float(op["size"])
            elif op["op"] == "T" and op["text"].strip():
                x, y = op["pt"]
                w = float(op["width"])
                left = {"l": x, "r": x - w}.get(op["align"], x - w / 2)
                out.append((left, y - 0.25 * size, left + w, y + 0.95 * size))  # the line dot keeps for it
    return out


def _shrink(box: Box, by: float = SLACK) -> Box:
    return (box[0] + by, box[1] + by, box[2] - by, box[3] - by)


def _meet(a: Box, b: Box) -> bool:
    a, b = _shrink(a, SLACK / 2), _shrink(b, SLACK / 2)
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def clashes(dot: graphviz.Digraph) -> list[str]:
    """Everything a reader would see drawn over something else, as sentences: boxes overlapping,
    texts (box labels, arrow labels, stage titles) over boxes or each other, and arrows running
    through a box or over a text that is not their own. Invisible helpers do not count."""
    data = json.loads(dot.pipe(format="json"))
    names = {o["_gvid"]: o["name"] for o in data.get("objects", [])}
    boxes, texts = {}, []  # name -> box; (owner, box)
    for obj in data.get("objects", []):
        if "invis" in obj.get("style", ""):
            continue
        if "pos" in obj:
            x, y = map(float, obj["pos"].split(","))
            w, h = float(obj["width"]) * 72, float(obj["height"]) * 72
            if obj.get("shape") != "plaintext":  # else only its text is seen
                boxes[obj["name"]] = (x - w / 2, y - h / 2, x + w / 2, y + h / 2)
            # a box's own label stays inside it; an xlabel beside it is a text of its own
            texts += [(obj["name"], t) for t in _texts(obj) if not _inside_box(t, boxes.get(obj["name"]))]
        else:
            texts += [(obj["name"], t) for t in _texts(obj)]  # a cluster's title
    curves = []
    for edge in data.get("edges", []):
        if "invis" in edge.get("style", "") or "pos" not in edge:
            continue
        owner = f"{names[edge['tail']]} -> {names[edge['head']]}"
        texts += [(owner, t) for t in _texts(edge)]
        points = _spline(edge["pos"]) + [tuple(p) for op in edge.get("_hdraw_", []) for p in op.get("points", [])]
        curves.append((owner, [p for a, b in zip(points, points[1:]) for p in _line(a, b, 4)]))
    found = []
    items = sorted(boxes.items())
    for i, (a, box_a) in enumerate(items):
        found += [f"box {a} overlaps box {b}" for b, box_b in items[i + 1:] if _meet(box_a, box_b)]
    for i, (owner, text) in enumerate(texts):
        found += [f"text of {owner} over box {name}" for name, box in items
                  if name != owner and _meet(text, box)]
        found += [f"text of {owner} over text of {other}" for other, t in texts[i + 1:]
                  if other != owner and _meet(text, t)]
    for owner, points in curves:
        for name, box in items:
            inner = _shrink(box, 2 * SLACK)
            if any(inside(p, inner) for p in points):
                found.append(f"arrow {owner} through box {name}")
        for other, text in texts:
            if other != owner and any(inside(p, text) for p in points):
                found.append(f"arrow {owner} over text of {other}")
    return found


def _inside_box(text: Box, box: Box | None) -> bool:
    return box is not None and box[0] - SLACK <= text[0] and text[2] <= box[2] + SLACK \
        and box[1] - SLACK <= text[1] and text[3] <= box[3] + SLACK
