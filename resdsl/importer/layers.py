"""What an import reads from a model before any structure is recovered: its layers, each an op of
the table with its arguments, in the order the model computes them, under their module paths."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Layer:
    id: str  # the module path (`layer1.0.conv1`); for a function, the name the compiler gives it
    op: str
    args: dict  # the table's arguments, as the op's defaults complete them
    inputs: list[str]  # the ids of the values it reads, in order
    scope: str  # the module whose forward computes it ("" for the network's own)
    module: bool  # a module of the source (its path is kept) or a function call
    out_shape: tuple[int, ...] = ()

    @property
    def name(self) -> str:
        """Its name in its scope: `conv1` for `layer1.0.conv1` in `layer1.0`."""
        return self.id[len(self.scope) + 1:] if self.scope else self.id


@dataclass
class Imported:
    """A model's layers, in the order it computes them (a topological order)."""

    name: str
    input_shape: tuple[int, ...]
    layers: dict[str, Layer] = field(default_factory=dict)
    output: str = ""
    # several values returned: (the name it is returned under, or None in a tuple; the layer id)
    outputs: list[tuple[str | None, str]] = field(default_factory=list)
    auxiliary: list[str] = field(default_factory=list)  # the ids returned in training only
    classes: dict[str, str] = field(default_factory=dict)  # module path -> its class name
    weights: dict[str, str] = field(default_factory=dict)  # a state_dict key -> its name in a file

    def add(self, layer: Layer) -> None:
        self.layers[layer.id] = layer

    def free_id(self, scope: str, op: str) -> str:
        """The first id the compiler would give an unnamed `op` in `scope` that no layer has
        (`relu`, `relu_1`, ...)."""
        n = 0
        while True:
            name = op if n == 0 else f"{op}_{n}"
            full = f"{scope}.{name}" if scope else name
            if full not in self.layers:
                return full
            n += 1

    def returned(self) -> set[str]:
        """The ids of the values the model returns."""
        return {self.output, *(i for _, i in self.outputs), *self.auxiliary} - {""}

    def readers(self) -> dict[str, list[str]]:
        """id -> the ids of the layers that read it."""
        found: dict[str, list[str]] = {i: [] for i in self.layers}
        for layer in self.layers.values():
            for source in layer.inputs:
                found[source].append(layer.id)
        return found

    def fold_flattens(self) -> None:
        """Drop a flatten call that only feeds an fc: the fc flattens a feature map itself."""
        readers = self.readers()
        for layer in list(self.layers.values()):
            if layer.op != "flatten" or layer.module or len(readers[layer.id]) != 1:
                continue
            reader = self.layers[readers[layer.id][0]]
            if reader.op == "fc":
                reader.inputs = [layer.inputs[0] if i == layer.id else i for i in reader.inputs]
                del self.layers[layer.id]
