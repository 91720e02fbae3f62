"""Finding the blocks: the numbered items of a container (`layer1.0`, `layer1.1`, ...) that read
one value from outside and give one."""

from __future__ import annotations

from .layers import Imported, Layer
from .parts import Instance


def find_instances(imported: Imported) -> list[Instance]:
    paths = {p for layer in imported.layers.values() for p in _prefixes(layer.id)}
    children: dict[str, set[str]] = {}
    for p in paths:
        parent, _, last = p.rpartition(".")
        children.setdefault(parent, set()).add(last)
    numbered = {parent for parent, names in children.items() if all(n.isdigit() for n in names)}
    found: list[Instance] = []
    for path in sorted(paths, key=lambda p: (p.count("."), _order(imported, p))):
        parent = path.rpartition(".")[0]
        if parent not in numbered or not parent or any(path.startswith(f.path + ".") for f in found):
            continue
        if any(_single_source(imported, f"{q}.{c}") for q in numbered if q == path or q.startswith(path + ".")
               for c in children[q]):
            continue  # a container of blocks (torchvision's `features.2`): its items are the blocks
        source = _single_source(imported, path)
        if source is not None:
            found.append(Instance(path, source, []))
    return sorted(found, key=lambda i: _order(imported, i.path))


def _prefixes(node_id: str) -> list[str]:
    parts = node_id.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _order(imported: Imported, path: str) -> int:
    return next(i for i, layer in enumerate(imported.layers.values()) if within(layer, path))


def within(layer: Layer, path: str) -> bool:
    return layer.id.startswith(path + ".") and (layer.scope == path or layer.scope.startswith(path + ".")
                                                or layer.module)


def _single_source(imported: Imported, path: str) -> str | None:
    """The one value a region reads from outside it, where it gives one value and has layers."""
    inside = {layer.id for layer in imported.layers.values() if within(layer, path)}
    if len(inside) < 2:
        return None
    sources = {i for lid in inside for i in imported.layers[lid].inputs if i not in inside}
    readers = imported.readers()
    leaving = {lid for lid in inside
               if lid == imported.output or any(r not in inside for r in readers[lid])}
    return next(iter(sources)) if len(sources) == 1 and len(leaving) == 1 else None


def ends(imported: Imported, instances: list[Instance]) -> set[str]:
    readers = imported.readers()
    ends = set()
    for inst in instances:
        inside = {layer.id for layer in imported.layers.values() if within(layer, inst.path)}
        ends |= {i for i in inside if i == imported.output or any(r not in inside for r in readers[i])}
    return ends
