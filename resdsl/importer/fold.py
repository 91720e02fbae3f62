"""Recovering structure: a model's layers (layers.Imported) as short text. The numbered items of
a container (`layer1.0`, `layer1.1`, ...) that read one value and give one are blocks; blocks of
one form (ops, names and wiring alike) become one `block` whose parameters are what varies
between them; a container whose items all share one form becomes a `stage`."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ..netgraph.ops import OPS
from .layers import Imported, Layer
from .shortcuts import Policy, shortcut_policy
from .text import Param, call_text, kernel_text, value_text

_NUMERIC = (int, float)
_KEYWORDS = {"use", "block", "network", "input", "shortcuts", "outputs", "stage", "budget", "expect",
             "with", "within", "x", "in_channels", "shortcut", "first", "names", "from"}


@dataclass
class Entry:
    """One layer of a body, its numbers taken out as slots."""

    label: str | None  # the name written, or None where the compiler gives the same one
    op: str
    refs: tuple[str, ...]  # what it reads, as the body writes it ("" for the previous value)
    args: dict  # argument -> value (slots hold the value of this instance)
    slots: tuple[str, ...]  # the arguments whose values are numbers

    def key(self) -> tuple:
        # where a projection reads (project_from) matters only where there is one
        fixed = tuple((k, repr(v)) for k, v in self.args.items()
                      if k not in self.slots and k != "project_from")
        return self.label, self.op, self.refs, self.slots, fixed


@dataclass
class Instance:
    path: str  # `layer2.0`
    source: str  # the id of the value it reads
    entries: list[Entry]

    def key(self) -> tuple:
        return tuple(e.key() for e in self.entries)

    def values(self) -> list[Any]:
        return [e.args[s] for e in self.entries for s in e.slots]


@dataclass
class Template:
    name: str
    instances: list[Instance]
    params: list[tuple[str, str | None]] = field(default_factory=list)  # (name, default text)
    exprs: list[Any] = field(default_factory=list)  # per slot: a literal or a Param
    bindings: dict[str, list[Any]] = field(default_factory=dict)  # param -> value per instance


def fold(imported: Imported, *, header: str = "", flat: bool = False) -> str:
    """The text of a model: blocks, then the network; `flat`: every layer in the network, no
    block, stage or shortcut option (what the folded text is checked against)."""
    instances = [] if flat else _instances(imported)
    policy = shortcut_policy(imported, {i.path: i.source for i in instances})
    for inst in instances:
        inst.entries = _entries(imported, inst.path, inst.source, policy)
    templates = _templates(imported, instances)
    lines = [f"# {header}"] if header else []
    for template in templates:
        lines += _block_text(template) + [""]
    lines += _network_text(imported, instances, templates, policy)
    return "\n".join(lines) + "\n"


# -- finding the blocks --------------------------------------------------------------------------

def _instances(imported: Imported) -> list[Instance]:
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
        source = _single_source(imported, path)
        if source is not None:
            found.append(Instance(path, source, []))
    return sorted(found, key=lambda i: _order(imported, i.path))


def _prefixes(node_id: str) -> list[str]:
    parts = node_id.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _order(imported: Imported, path: str) -> int:
    return next(i for i, layer in enumerate(imported.layers.values()) if _inside(layer, path))


def _inside(layer: Layer, path: str) -> bool:
    return layer.id.startswith(path + ".") and (layer.scope == path or layer.scope.startswith(path + ".")
                                                or layer.module)


def _single_source(imported: Imported, path: str) -> str | None:
    """The one value a region reads from outside it, where it gives one value and has layers."""
    inside = {layer.id for layer in imported.layers.values() if _inside(layer, path)}
    if len(inside) < 2:
        return None
    sources = {i for lid in inside for i in imported.layers[lid].inputs if i not in inside}
    readers = imported.readers()
    leaving = {lid for lid in inside
               if lid == imported.output or any(r not in inside for r in readers[lid])}
    return next(iter(sources)) if len(sources) == 1 and len(leaving) == 1 else None


# -- a body as entries -------------------------------------------------------------------------

def _entries(imported: Imported, path: str, source: str, policy: Policy) -> list[Entry]:
    """The layers of `path` (a block, or "" for the network) as they are written there."""
    cut = len(path) + 1 if path else 0
    layers = [layer for layer in imported.layers.values()
              if (layer.op != "input" and (_inside(layer, path) if path else True))
              and layer.id not in policy.absorbed]
    names = _Names()
    entries, previous = [], source
    for layer in layers:
        relative = layer.id[cut:]
        refs = _refs(layer, previous, source, cut, policy)
        label = names.label(layer.op, relative)
        slots = tuple(k for k, v in layer.args.items() if _numeric(v) and k != "shape")
        entries.append(Entry(label, layer.op, refs, dict(layer.args), slots))
        previous = layer.id
    return entries


def _refs(layer: Layer, previous: str, source: str, cut: int, policy: Policy) -> tuple[str, ...]:
    def ref(value: str) -> str:
        return "input" if value == source else value[cut:]

    if layer.id in policy.sums:
        branch = policy.residual[layer.id]
        return ("shortcut",) if branch == previous else (ref(branch), "shortcut")
    if OPS[layer.op].arity == -1:  # a merge names what it merges
        if layer.op == "concat" and layer.inputs == [source, previous] and source != previous:
            return ("shortcut",)
        values = [ref(v) for v in layer.inputs]
        if layer.inputs[0] == previous and len(values) == 2 and layer.op != "concat":
            return (values[1],)
        return tuple(values)
    if layer.inputs == [previous]:
        return ()
    return tuple(f"from: {ref(v)}" for v in layer.inputs)


class _Names:
    """The compiler's naming of unnamed layers (language/expansion.py), to write a name only
    where the compiler would give another."""

    def __init__(self):
        self.taken: set[str] = set()
        self.suffix: dict[str, int] = {}

    def label(self, op: str, name: str) -> str | None:
        """None where an unnamed `op` gets `name` here; else `name`, written."""
        n = self.suffix.get(op, 0)
        given = op if n == 0 else f"{op}_{n}"
        while given in self.taken:
            n += 1
            given = f"{op}_{n}"
        self.taken.add(name)
        if given == name:
            self.suffix[op] = n + 1
            return None
        return name


def _numeric(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, tuple):
        return bool(value) and all(isinstance(v, int) and not isinstance(v, bool) for v in value)
    return isinstance(value, _NUMERIC)


# -- blocks with parameters --------------------------------------------------------------------

_PARAM_NAMES = {"out": "width", "stride": "stride", "kernel": "kernel", "groups": "groups",
                "drop": "drop", "padding": "padding", "dilation": "dilation"}


def _templates(imported: Imported, instances: list[Instance]) -> list[Template]:
    groups: dict[tuple, list[Instance]] = {}
    for inst in instances:
        groups.setdefault(inst.key(), []).append(inst)
    taken = set(OPS) | _KEYWORDS
    templates = []
    for members in groups.values():
        name = _block_name(imported.classes.get(members[0].path, "residual"), taken)
        template = Template(name, members)
        _parameters(template)
        _share_project_from(template)
        templates.append(template)
    return templates


def _share_project_from(template: Template) -> None:
    """A projection's `project_from`, said once for the block: its identity sums ignore it."""
    for k, entry in enumerate(template.instances[0].entries):
        found = {i.entries[k].args.get("project_from") for i in template.instances} - {None}
        if len(found) == 1:
            entry.args["project_from"] = found.pop()


def _block_name(cls: str, taken: set[str]) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", cls).lower()
    name = re.sub(r"\W+", "_", words).strip("_") or "block"
    name = name if name[0].isalpha() else "b_" + name
    base, n = name, 1
    while name in taken:
        n += 1
        name = f"{base}_{n}"
    taken.add(name)
    return name


def _parameters(template: Template) -> None:
    """Each slot a literal where it is the same in every instance, else an expression of a
    parameter: one it shares with an earlier slot (`4 * width`, `width // 4`) or its own."""
    columns = list(zip(*(inst.values() for inst in template.instances)))
    slot_args = [(e, s) for e in template.instances[0].entries for s in e.slots]
    for (_, arg), column in zip(slot_args, columns):
        values = [_scalar(v) for v in column]
        if len(set(map(repr, column))) == 1:
            template.exprs.append(None)
            continue
        template.exprs.append(Param(_expression(template, arg, values)))
    _order_params(template)


def _scalar(value: Any) -> Any:
    if isinstance(value, tuple) and len(set(value)) == 1 and len(value) == 2:
        return value[0]
    return value


def _expression(template: Template, arg: str, values: list[Any]) -> str:
    for name, bound in template.bindings.items():
        if bound == values:
            return name
        if all(isinstance(v, int) and isinstance(b, int) and b for v, b in zip(values, bound)):
            pairs = list(zip(values, bound))
            if all(v % b == 0 for v, b in pairs) and len({v // b for v, b in pairs}) == 1:
                return f"{values[0] // bound[0]} * {name}"
            if all(v and b % v == 0 for v, b in pairs) and len({b // v for v, b in pairs}) == 1:
                return f"{name} // {bound[0] // values[0]}"
    base = _PARAM_NAMES.get(arg, arg)
    name, n = base, 1
    while name in template.bindings:
        n += 1
        name = f"{base}{n}"
    template.bindings[name] = values
    return name


def _order_params(template: Template) -> None:
    """Required parameters first; a parameter that is 1 in most instances (a stride) defaults
    to 1."""
    required: list[tuple[str, str | None]] = []
    defaulted: list[tuple[str, str | None]] = []
    for name, values in template.bindings.items():
        common, count = Counter(map(repr, values)).most_common(1)[0]
        if name.startswith("stride") and common == "1" and count * 2 > len(values):
            defaulted.append((name, "1"))
        else:
            required.append((name, None))
    template.params = required + defaulted


def _body_lines(entries: list[Entry], exprs: list[Any] | None) -> list[str]:
    """Layers as lines: a conv, fc, pool or merge starts a line; norms and activations follow
    on it, as the bundled files write `conv1: conv 3x3, 64;  bn1: bn;  relu`."""
    lines: list[list[str]] = []
    slot = 0
    for entry in entries:
        args = dict(entry.args)
        for arg in entry.slots:
            if exprs is not None and exprs[slot] is not None:
                args[arg] = exprs[slot]
            slot += 1
        text = _layer_text(entry, args)
        minor = OPS[entry.op].minor and not entry.refs
        if lines and minor:
            lines[-1].append(text)
        else:
            lines.append([text])
    return [";  ".join(parts) for parts in lines]


def _layer_text(entry: Entry, args: dict) -> str:
    prefix = f"{entry.label}: " if entry.label else ""
    if OPS[entry.op].arity == -1:
        options = [f"{k}: {value_text(v)}" for k, v in args.items()
                   if k in {a.name for a in OPS[entry.op].args} and v not in (None, 0.0, False)]
        return prefix + entry.op + " " + ", ".join([*entry.refs, *options])
    text = call_text(entry.op, {k: v for k, v in args.items()})
    return prefix + text + "".join(f", {r}" for r in entry.refs)


def _block_text(template: Template) -> list[str]:
    params = ", ".join(n if d is None else f"{n} = {d}" for n, d in template.params)
    body = _body_lines(template.instances[0].entries, template.exprs)
    return [f"block {template.name}({params}) {{", *("    " + line for line in body), "}"]


# -- the network -------------------------------------------------------------------------------

def _network_text(imported: Imported, instances: list[Instance], templates: list[Template],
                  policy: Policy) -> list[str]:
    of = {inst.path: t for t in templates for inst in t.instances}
    lines = [f"network {imported.name} {{", f"    input {kernel_text(imported.input_shape)}"]
    shortcuts = policy.line()
    if shortcuts:
        lines.append("    " + shortcuts)
    done: set[str] = set()
    body: list[Entry] = []
    calls: dict[int, str] = {}  # where a block or stage statement goes among the layers
    names = _Names()
    previous = "input"
    for layer in imported.layers.values():
        inst = next((i for i in instances if _inside(layer, i.path)), None)
        if inst is not None:
            stage = inst.path.rpartition(".")[0]
            if stage not in done and _is_stage(stage, instances, of):
                done.add(stage)
                members = [i for i in instances if i.path.rpartition(".")[0] == stage]
                calls[len(body)] = _stage_text(stage, members, of)
                body.append(Entry(stage, "input", (), {}, ()))
            elif inst.path not in done and stage not in done:
                done.add(inst.path)
                calls[len(body)] = _call_text(inst, of[inst.path])
                body.append(Entry(inst.path, "input", (), {}, ()))
            previous = _ends(imported, [inst]).pop()
            continue
        if layer.op == "input":
            continue
        refs = _refs(layer, previous, "input", 0, policy)
        body.append(Entry(names.label(layer.op, layer.id), layer.op, refs, dict(layer.args), ()))
        previous = layer.id
    out: list[str] = []
    run: list[Entry] = []
    for k, entry in enumerate(body):
        if k in calls:
            out += _body_lines(run, None)
            run = []
            out.append(calls[k])
        else:
            run.append(entry)
    out += _body_lines(run, None)
    return lines + ["    " + line for line in out] + ["}"]


def _ends(imported: Imported, instances: list[Instance]) -> set[str]:
    readers = imported.readers()
    ends = set()
    for inst in instances:
        inside = {layer.id for layer in imported.layers.values() if _inside(layer, inst.path)}
        ends |= {i for i in inside if i == imported.output or any(r not in inside for r in readers[i])}
    return ends


def _is_stage(stage: str, instances: list[Instance], of: dict[str, Template]) -> bool:
    members = [i for i in instances if i.path.rpartition(".")[0] == stage]
    if len({of[i.path].name for i in members}) != 1:
        return False
    if [i.path for i in members] != [f"{stage}.{k}" for k in range(len(members))]:
        return False
    rest = [_binding(of[i.path], i) for i in members[1:]]
    return all(r == rest[0] for r in rest)


def _binding(template: Template, inst: Instance) -> dict[str, Any]:
    k = template.instances.index(inst)
    return {name: values[k] for name, values in template.bindings.items()}


def _arguments(template: Template, bound: dict[str, Any]) -> str:
    parts = []
    for name, default in template.params:
        text = value_text(bound[name])
        if default is None:
            parts.append(text)
        elif text != default:
            parts.append(f"{name}: {text}")
    return ", ".join(parts)


def _stage_text(stage: str, members: list[Instance], of: dict[str, Template]) -> str:
    template = of[members[0].path]
    first = _binding(template, members[0])
    rest = _binding(template, members[-1])
    changed = {n for n in first if first[n] != rest[n]}
    args = _arguments(template, rest)
    head = f"stage {stage}: {template.name}" + (f"({args})" if args else "") + f" x {len(members)}"
    extra = ", ".join(f"{n}: {value_text(first[n])}" for n, _ in template.params if n in changed)
    return head + (f", {extra}" if extra else "")


def _call_text(inst: Instance, template: Template) -> str:
    args = _arguments(template, _binding(template, inst))
    return f"{inst.path}: {template.name}" + (f" {args}" if args else "")
