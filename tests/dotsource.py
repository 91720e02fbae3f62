"""Reading back the DOT that resdsl writes (one statement per line), for tests that need no `dot`."""

import re
from dataclasses import dataclass, field

ATTR = re.compile(r'(\w+)=("(?:[^"\\]|\\.)*"|[^\s"\]]+)')
NODE = re.compile(r'^\s*"((?:[^"\\]|\\.)+)" \[(.*)\]$')
EDGE = re.compile(r'^\s*"((?:[^"\\]|\\.)+)" -> "((?:[^"\\]|\\.)+)" \[(.*)\]$')
OPEN = re.compile(r'^\s*subgraph "((?:[^"\\]|\\.)+)" \{$')
MENTION = re.compile(r'^\s*"((?:[^"\\]|\\.)+)"$')


def attributes(text: str) -> dict:
    return {k: v[1:-1].replace('\\"', '"') if v.startswith('"') else v for k, v in ATTR.findall(text)}


@dataclass
class Dot:
    nodes: dict = field(default_factory=dict)  # id -> attributes
    edges: list = field(default_factory=list)  # (tail, head, attributes)
    clusters: dict = field(default_factory=dict)  # name -> {"attrs": ..., "nodes": [ids]}
    parent: dict = field(default_factory=dict)  # cluster -> enclosing cluster
    same_rank: list = field(default_factory=list)  # node ids of each {rank=same ...} group
    # what is laid out but not drawn (style=invis: room kept for a stage's title), kept apart
    hidden: dict = field(default_factory=dict)  # node id -> attributes
    hidden_edges: list = field(default_factory=list)

    def edges_of_class(self, word: str) -> list:
        return [e for e in self.edges if word in e[2].get("class", "").split()]

    def labels(self) -> list[str]:
        return [a.get("label", "") for a in self.nodes.values()]


def read(source: str) -> Dot:
    dot, stack, group = Dot(), [], None
    for line in source.splitlines():
        if line.strip() == "{":
            group = []
        elif group is not None:
            if m := MENTION.match(line):
                group.append(m.group(1))
            elif line.strip() == "}":
                dot.same_rank.append(group)
                group = None
            else:
                assert line.strip() == "rank=same", line
        elif m := OPEN.match(line):
            name = m.group(1)
            dot.clusters[name] = {"attrs": {}, "nodes": []}
            if stack:
                dot.parent[name] = stack[-1]
            stack.append(name)
        elif line.strip() == "}":
            if stack:
                stack.pop()
        elif m := EDGE.match(line):
            attrs = attributes(m.group(3))
            (dot.hidden_edges if attrs.get("style") == "invis" else dot.edges).append(
                (m.group(1), m.group(2), attrs))
        elif m := NODE.match(line):
            if attributes(m.group(2)).get("style") == "invis":
                dot.hidden[m.group(1)] = attributes(m.group(2))
                continue
            dot.nodes[m.group(1)] = attributes(m.group(2))
            for name in stack:
                dot.clusters[name]["nodes"].append(m.group(1))
        elif stack and "=" in line and "[" not in line:
            dot.clusters[stack[-1]]["attrs"].update(attributes(line))
    # a rank a title's room shares with a drawn box says nothing about the drawing's rows
    dot.same_rank = [g for g in ([n for n in group if n not in dot.hidden] for group in dot.same_rank)
                     if len(g) > 1]
    return dot
