"""The network's text: its own layers, each block a call and each stage a `stage` line."""

from __future__ import annotations

from typing import Any

from .body import Names, body_lines, written_refs
from .layers import Imported, Layer
from .parts import Entry, Instance, Template
from .regions import ends, within
from .shortcuts import Policy
from .text import kernel_text, value_text


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
    for layer in imported.layers.values():
        inst = next((i for i in instances if within(layer, i.path)), None)
        if inst is not None:
            stage = inst.path.rpartition(".")[0]
            if stage not in done and _is_stage(stage, instances, of):
                done.add(stage)
                members = [i for i in instances if i.path.rpartition(".")[0] == stage]
                calls[len(body)] = _stage_text(stage, members, of)
                body.append(Entry(stage, "input", (), {}, ()))
            elif inst.path not in done and stage not in done:
                done.add(inst.path)
                source = _aliased(Layer("", "", {}, [inst.source], "", False), instances, done,
                                  imported).inputs[0]
                reads = "" if source == previous else f", from: {source}"  # a branch's first block
                calls[len(body)] = _call_text(inst, of[inst.path]) + reads
                body.append(Entry(inst.path, "input", (), {}, ()))
            previous = ends(imported, [inst]).pop()
            previous = _aliased(Layer("", "", {}, [previous], "", False), instances, done,
                                imported).inputs[0]
            continue
        if layer.op == "input":
            continue
        refs = written_refs(_aliased(layer, instances, done, imported), previous, "input", 0, policy)
        body.append(Entry(names.label(layer.op, layer.id), layer.op, refs, dict(layer.args), ()))
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
    return lines + ["    " + line for line in out] + ["}"]


def _aliased(layer: Layer, instances: list[Instance], stages: set[str], imported: Imported) -> Layer:
    """`layer` reading a block's or a stage's value by that block's or stage's name (the layer
    inside that gives it is not visible from outside)."""
    names = {}
    for inst in instances:
        (end,) = ends(imported, [inst])
        stage = inst.path.rpartition(".")[0]
        last = [i for i in instances if i.path.rpartition(".")[0] == stage][-1]
        names[end] = stage if stage in stages and inst is last else inst.path
    if not any(i in names for i in layer.inputs):
        return layer
    return Layer(layer.id, layer.op, layer.args, [names.get(i, i) for i in layer.inputs],
                 layer.scope, layer.module, layer.out_shape)


def _is_stage(stage: str, instances: list[Instance], of: dict[str, Template]) -> bool:
    members = [i for i in instances if i.path.rpartition(".")[0] == stage]
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
