"""Finding the blocks: the numbered items of a container (`layer1.0`, `layer1.1`, ...) that read
one value from outside and give one."""

from __future__ import annotations

from .layers import Imported, Layer
from .parts import Instance


def find_instances(imported: Imported) -> list[Instance]:
    regions = _Regions(imported)
    children: dict[str, set[str]] = {}  # a path -> its items' names, containers and layers alike
    for p in [*regions.members, *imported.layers]:
        parent, _, last = p.rpartition(".")
        children.setdefault(parent, set()).add(last)
    numbered = {parent for parent, names in children.items() if all(n.isdigit() for n in names)}
    found: list[Instance] = []
    for path in sorted(regions.members, key=lambda p: (p.count("."), regions.first(p))):
        parent = path.rpartition(".")[0]
        if parent not in numbered or not parent or any(path.startswith(f.path + ".") for f in found):
            continue
        if any(all(regions.single(f"{q}.{c}") for c in children[q])
               for q in numbered if q == path or q.startswith(path + ".")):
            continue  # a container of blocks (torchvision's `features.2`): its items are the blocks
            # (where some items are single layers, as MobileNetV2's `conv`, the blocks are above)
        single = regions.single(path)
        if single is not None:
            found.append(Instance(path, single[0], [], regions.members[path], single[1]))
    return sorted(found, key=lambda i: regions.first(i.path))


class _Regions:
    """Every module path's layers, gathered in one pass over the layers (a region's layers are
    looked up, never searched for: the time stays linear in the depth)."""

    def __init__(self, imported: Imported):
        self.imported = imported
        self.members: dict[str, list[str]] = {}  # path -> the ids of the layers within it, in order
        self.order = {lid: k for k, lid in enumerate(imported.layers)}
        for layer in imported.layers.values():
            for p in _prefixes(layer.id):
                if within(layer, p):
                    self.members.setdefault(p, []).append(layer.id)
        self.readers = imported.readers()
        self.returned = imported.returned()
        self._single: dict[str, tuple[str, str] | None] = {}

    def first(self, path: str) -> int:
        return self.order[self.members[path][0]] if path in self.members else len(self.order)

    def single(self, path: str) -> tuple[str, str] | None:
        """(the one value a region reads from outside it, the one layer whose value leaves it),
        where it has layers and reads and gives one value each."""
        if path not in self._single:
            self._single[path] = self._find_single(path)
        return self._single[path]

    def _find_single(self, path: str) -> tuple[str, str] | None:
        inside = set(self.members.get(path, ()))
        if len(inside) < 2:
            return None
        layers = self.imported.layers
        sources = {i for lid in inside for i in layers[lid].inputs if i not in inside}
        leaving = [lid for lid in self.members[path]
                   if lid in self.returned or any(r not in inside for r in self.readers[lid])]
        return (next(iter(sources)), leaving[0]) if len(sources) == 1 and len(leaving) == 1 else None


def _prefixes(node_id: str) -> list[str]:
    parts = node_id.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def within(layer: Layer, path: str) -> bool:
    return layer.id.startswith(path + ".") and (layer.scope == path or layer.scope.startswith(path + ".")
                                                or layer.module)
