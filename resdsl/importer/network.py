"""The network's text: its own layers, each block a call and each stage a `stage` line."""

from __future__ import annotations

import re
from typing import Any

from .body import Names, body_lines, written_refs
from .errors import UnsayableError
from .layers import Imported, Layer
from .parts import Entry, Instance, Template
from .shortcuts import Policy
from .text import kernel_text, ref_text, value_text

NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def network_text(imported: Imported, instances: list[Instance], templates: list[Template],
                  policy: Policy) -> list[str]:
    of = {inst.path: t for t in templates for inst in t.instances}
    lines = [f"network {imported.name} {{", f"    input {kernel_text(imported.input_shape)}"]
    shortcuts = policy.line()
    if shortcuts:
        lines.append("    " + shortcuts)
    done: set[str] = set()
    body: list[Entry] = []
    calls: dict[int, str] = {}  # where a block or stage statement goes among the layers
    names = Names()
    previous = "input"
    instance_of = {lid: inst for inst in instances for lid in inst.layers}
    returned = {i for _, i in imported.outputs} | set(imported.auxiliary)
    stages = _stages(instances)
    aliases = _Aliases(instances, stages, done)
    for layer in imported.layers.values():
        inst = instance_of.get(layer.id)
        if inst is not None:
            stage = inst.path.rpartition(".")[0]
            if stage not in done and _is_stage(stage, stages[stage], of):
                done.add(stage)
                calls[len(body)] = _stage_text(stage, stages[stage], of)
                body.append(Entry(stage, "input", (), {}, ()))
            elif inst.path not in done and stage not in done:
                done.add(inst.path)
                source = aliases.name(inst.source)
                reads = "" if source == previous else f", from: {ref_text(source)}"  # a branch's first block
                calls[len(body)] = _call_text(inst, of[inst.path]) + reads
                body.append(Entry(inst.path, "input", (), {}, ()))
            previous = aliases.name(inst.end)
            continue
        if layer.op == "input":
            continue
        refs = written_refs(aliases.layer(layer), previous, "input", 0, policy)
        label = names.label(layer.op, layer.id)
        if layer.id in returned:  # `outputs` and `auxiliary` name it
            label = layer.id
        body.append(Entry(label, layer.op, refs, dict(layer.args), ()))
        previous = layer.id
    out: list[str] = []
    run: list[Entry] = []
    for k, entry in enumerate(body):
        if k in calls:
            out += body_lines(run, None)
            run = []
            out.append(calls[k])
        else:
            run.append(entry)
    out += body_lines(run, None)
    return lines + ["    " + line for line in out + _returned(imported, aliases)] + ["}"]


def _returned(imported: Imported, aliases: _Aliases) -> list[str]:
    """`outputs layer1, layer2` (a backbone's taps) and `auxiliary aux1.fc2` (heads that run in
    training only), each value by the name it is written under."""
    lines = []
    if imported.outputs:
        names = []
        for name, value in imported.outputs:
            written = aliases.name(value)
            if (name is not None and name != written) or not NAME.fullmatch(written):
                raise UnsayableError(f"the language cannot say an output named '{name or written}' "
                                     f"at {value}", hint="`outputs` names a stage or an undotted layer, "
                                     "under its own name")
            names.append(written)
        lines.append("outputs " + ", ".join(names))
    if imported.auxiliary:
        lines.append("auxiliary " + ", ".join(aliases.name(value) for value in imported.auxiliary))
    return lines


def _stages(instances: list[Instance]) -> dict[str, list[Instance]]:
    """Each container of blocks -> its blocks, in order."""
    stages: dict[str, list[Instance]] = {}
    for inst in instances:
        stages.setdefault(inst.path.rpartition(".")[0], []).append(inst)
    return stages


class _Aliases:
    """A block's or a stage's value read by that block's or stage's name (the layer inside that
    gives it is not visible from outside): a stage's name once the stage is written (`done`)."""

    def __init__(self, instances: list[Instance], stages: dict[str, list[Instance]], done: set[str]):
        self.done = done
        self.ends = {inst.end: (inst, inst.path.rpartition(".")[0]) for inst in instances}
        self.last = {stage: members[-1] for stage, members in stages.items()}

    def name(self, value: str) -> str:
        if value not in self.ends:
            return value
        inst, stage = self.ends[value]
        return stage if stage in self.done and inst is self.last[stage] else inst.path

    def layer(self, layer: Layer) -> Layer:
        if not any(i in self.ends for i in layer.inputs):
            return layer
        return Layer(layer.id, layer.op, layer.args, [self.name(i) for i in layer.inputs],
                     layer.scope, layer.module, layer.out_shape)


def _is_stage(stage: str, members: list[Instance], of: dict[str, Template]) -> bool:
    if len({of[i.path].name for i in members}) != 1:
        return False
    if [i.path for i in members] != [f"{stage}.{k}" for k in range(len(members))]:
        return False
    rest = [_binding(of[i.path], i) for i in members[1:]]
    if not all(r == rest[0] for r in rest):
        return False
    # the first block may differ only in parameters with defaults (`stride: 2` after the count)
    first, template = _binding(of[members[0].path], members[0]), of[members[0].path]
    required = {name for name, default in template.params if default is None}
    return not rest or all(first[n] == rest[0][n] for n in required)


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
    head = f"stage {stage}: {template.name}({args}) x {len(members)}"
    extra = ", ".join(f"{n}: {value_text(first[n])}" for n, _ in template.params if n in changed)
    return head + (f", {extra}" if extra else "")


def _call_text(inst: Instance, template: Template) -> str:
    args = _arguments(template, _binding(template, inst))
    return f"{inst.path}: {template.name}" + (f" {args}" if args else "")
