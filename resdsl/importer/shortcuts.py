"""Which shortcut option a model's residual sums follow, so that its blocks can say `add shortcut`
and leave their projections to the option, as the bundled files do."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..netgraph.ops import OPS
from .layers import Imported, Layer
from .parts import Instance


@dataclass
class Policy:
    option: str = "B"  # the network's `shortcuts` line
    options: list[str] = field(default_factory=list)  # its projection options (norm, names, bias)
    absorbed: set[str] = field(default_factory=set)  # projection layers the option makes
    sums: set[str] = field(default_factory=set)  # the sums written `add shortcut`
    residual: dict[str, str] = field(default_factory=dict)  # such a sum -> its residual value

    def line(self) -> str | None:
        if self.option == "B" and not self.options:
            return None
        return "shortcuts " + ", ".join([self.option, *self.options])


def shortcut_policy(imported: Imported, blocks: list[Instance]) -> Policy:
    """The option the sums of `blocks` follow; sums it cannot explain are written out
    (`add a, shortcut: b`) and their projections with them."""
    found, residual, names = _sums(imported, blocks)
    kinds = {kind for kind, _ in found.values()}
    every = "kept" in kinds and kinds <= {"projection", "kept"}  # a projection on every block: C
    if not every:  # projections that keep the shape among identities: written out
        found = {s: v for s, v in found.items() if v[0] != "kept"}
    named = {names[s] for s in found if names[s]}
    policy = Policy()
    gates = {s for s in found if imported.layers[s].op == "gate"}
    if gates and gates != set(found):
        return Policy()  # highway gates and sums mixed: written out
    projections = [chain for kind, chain in found.values() if kind in ("projection", "kept")]
    pads = [chain for kind, chain in found.values() if kind == "pad"]
    if every:
        if not _projection_options(projections, named, policy) or policy.option != "B":
            return _identities(found, residual)
        policy.option = "C"
    elif pads and not projections:
        policy.option = "A"
    elif projections and not pads:
        if not _projection_options(projections, named, policy):
            return _identities(found, residual)
    elif pads:
        return _identities(found, residual)
    # the option makes a projection exactly where a sum's shapes differ
    for chain in projections + pads:
        policy.absorbed.update(layer.id for layer in chain)
    policy.sums = set(found)
    policy.residual = residual
    if gates:  # highway networks: a gate where the sum would be, projected as B
        if policy.option != "B":
            return Policy()
        policy.option = "gate"
    return policy


def _sums(imported: Imported, blocks: list[Instance]):
    """Each block's sum of its input (or a projection of it): sum -> (kind, the projection's
    layers); sum -> its residual value; sum -> the projection's layer names in its block."""
    readers = imported.readers()
    found: dict[str, tuple[str, list[Layer]]] = {}
    residual: dict[str, str] = {}
    names: dict[str, tuple[str, ...]] = {}
    for block in blocks:
        path, source = block.path, block.source
        for layer in (imported.layers[lid] for lid in block.layers):
            if layer.scope == path and OPS[layer.op].residual | (layer.op == "gate") \
                    and len(layer.inputs) == 2:
                kind = _shortcut_of(imported, readers, path, source, layer)
                if kind is not None:
                    found[layer.id] = kind[:2]
                    residual[layer.id] = kind[2]
                    names[layer.id] = tuple(c.id[len(path) + 1:] for c in kind[1])
    return found, residual, names


def _identities(found: dict, residual: dict[str, str]) -> Policy:
    """Only the identity shortcuts said by the option; projections written out."""
    sums = {s for s, (kind, _) in found.items() if kind == "identity"}
    return Policy(sums=sums, residual={s: residual[s] for s in sums})


def _shortcut_of(imported: Imported, readers, path: str, source: str, add: Layer):
    """("identity" | "projection" | "pad", the layers on the shortcut) where the sum's second
    value is the block's input, directly or through layers that nothing else reads."""
    for branch, shortcut in (add.inputs, add.inputs[::-1]):
        found = _one_way(imported, readers, path, source, add, shortcut)
        if found is not None:
            return (*found, branch)
    return None


def _one_way(imported: Imported, readers, path: str, source: str, add: Layer, shortcut: str):
    if shortcut == source:
        return "identity", []
    chain: list[Layer] = []
    at, reads_from = shortcut, None
    while at != source:
        layer = imported.layers[at]
        if layer.scope != path and not layer.id.startswith(path + ".") or len(layer.inputs) != 1:
            return None
        if len(readers[at]) != 1:  # the main path reads it too: the projection reads from there
            if not chain:
                return None
            reads_from = at[len(path) + 1:]  # pre-activation nets
            break
        chain.insert(0, layer)
        at = layer.inputs[0]
    changes = imported.layers[source].out_shape != add.out_shape
    kind = ("pad" if [layer.op for layer in chain] == ["pad_shortcut"] and changes
            else None if not _is_projection(chain, add)
            else "projection" if changes else "kept")  # kept: a projection that keeps the shape (C)
    if kind is not None and reads_from is not None:  # only a shortcut's own sum says where it reads
        add.args["project_from"] = reads_from
    return None if kind is None else (kind, chain)


def _is_projection(chain: list[Layer], add: Layer) -> bool:
    roles = [OPS[layer.op].role for layer in chain]
    if roles not in (["conv", "norm"], ["conv"]):
        return False
    conv = chain[0].args
    return (conv["kernel"] == (1, 1) and conv["padding"] == (0, 0) and conv["groups"] == 1
            and conv["dilation"] == 1 and conv["out"] == add.out_shape[0])


def _projection_options(chains: list[list[Layer]], named: set[tuple[str, ...]],
                        policy: Policy) -> bool:
    """Fill B's options from the projections (norm, bias, names); False where they differ."""
    shapes = {(tuple(layer.op for layer in c), repr(c[1].args) if len(c) > 1 else "", c[0].args["bias"])
              for c in chains}
    if len(shapes) != 1 or len(named) != 1:
        return False
    ops, _, bias = next(iter(shapes))
    (names,) = named
    chain = chains[0]
    if len(ops) == 1:
        policy.option = "preact"
    elif chain[1].op != "bn" or chain[1].args != OPS["bn"].defaults(
            {a.name: a.default for a in OPS["bn"].args}):
        from .text import call_text

        policy.options.append("norm: " + call_text(chain[1].op, chain[1].args, parens=True))
    if bias:
        policy.options.append("bias: true")
    default = ("downsample.0", "downsample.1")[:len(ops)]
    if names != default:
        numbered = [n.rpartition(".") for n in names]
        if all(p == numbered[0][0] and i == str(k) for k, (p, _, i) in enumerate(numbered)):
            policy.options.append(f'names: "{numbered[0][0]}.{{0}}"')
        else:
            policy.options.append("names: [" + ", ".join(f'"{n}"' for n in names) + "]")
    return True
