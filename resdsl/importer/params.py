"""Blocks with parameters: instances of one form grouped as a template, each number that varies
between them a parameter (or an expression of an earlier one: `4 * width`)."""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ..netgraph.ops import OPS
from .body import body_lines
from .layers import Imported
from .parts import Instance, Template
from .text import Param

KEYWORDS = {"use", "block", "network", "input", "shortcuts", "outputs", "stage", "budget", "expect",
            "with", "within", "x", "in_channels", "shortcut", "first", "names", "from"}


_PARAM_NAMES = {"out": "width", "stride": "stride", "kernel": "kernel", "groups": "groups",
                "drop": "drop", "padding": "padding", "dilation": "dilation"}


def templates_of(imported: Imported, instances: list[Instance]) -> list[Template]:
    groups: dict[tuple, list[Instance]] = {}
    for inst in instances:
        groups.setdefault(inst.key(), []).append(inst)
    taken = set(OPS) | KEYWORDS
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


def block_text(template: Template) -> list[str]:
    params = ", ".join(n if d is None else f"{n} = {d}" for n, d in template.params)
    body = body_lines(template.instances[0].entries, template.exprs)
    return [f"block {template.name}({params}) {{", *("    " + line for line in body), "}"]
