"""Figure 3's rows: which boxes of networks drawn side by side in columns sit level with each
other (the same layer of plain34 and resnet34, or the first box of each output size)."""

from __future__ import annotations

import difflib

from .drawing import Drawing


def counterparts(left: Drawing, right: Drawing) -> list[tuple[str, str]]:
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
