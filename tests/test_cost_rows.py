"""Cost rows by block and by stage for networks not written with stages (MobileNetV2), with blocks
between stages (DenseNet's transitions, Inception-ResNet's reductions), and the summary's counts
of blocks and shortcuts, checked against the papers' own tables."""

from __future__ import annotations

import json

import pytest

from resdsl import api
from resdsl.analysis.costs import cost_rows
from tests.cli import cli

# Sandler et al. 2018, Table 2: the bottleneck rows (expansion t, channels c, repeats n, stride s)
# after the 32-channel stem
MOBILENET_V2 = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                (6, 160, 3, 2), (6, 320, 1, 1)]


def _report(name: str, by: str) -> dict:
    done = cli("flops", name, "--by", by, "--format", "json")
    assert done.returncode == 0, done.output
    return json.loads(done.stdout)


def _mobilenet_blocks() -> list[tuple[int, int, int]]:
    """(stride, input channels, output channels) of each bottleneck, from Table 2."""
    blocks, channels = [], 32
    for _, c, n, s in MOBILENET_V2:
        for i in range(n):
            blocks.append((s if i == 0 else 1, channels, c))
            channels = c
    return blocks


def test_mobilenet_v2_has_a_row_per_inverted_residual_block():
    table = _mobilenet_blocks()
    report = _report("mobilenet_v2", "block")
    blocks = [r for r in report["rows"] if r["kind"] == "block"]
    assert [r["name"] for r in blocks] == [f"features.{i}" for i in range(1, len(table) + 1)]
    assert len(blocks) == 17
    assert [r["output"][0] for r in blocks] == [c for _, _, c in table]
    shortcuts = report["layout"]["shortcuts"]["blocks"]
    identity = [f"features.{i + 1}" for i, (s, cin, c) in enumerate(table) if s == 1 and cin == c]
    assert len(identity) == 10
    assert shortcuts["identity"] == identity
    assert len(shortcuts["none"]) == 17 - 10
    strided = [f"features.{i + 1}" for i, (s, _, _) in enumerate(table) if s == 2]
    assert [e["block"] for e in report["layout"]["downsampling"]] == strided


def test_mobilenet_v2_by_stage_follows_the_papers_bottleneck_rows():
    report = _report("mobilenet_v2", "stage")
    middle = [r for r in report["rows"] if r["kind"] not in ("stem", "head")]
    assert [r["output"][0] for r in middle] == [c for _, c, _, _ in MOBILENET_V2]
    assert [r["name"] for r in middle][:3] == ["features.1", "features.2-3", "features.4-6"]
    assert [r["kind"] for r in report["rows"]][0] == "stem"
    summary = "\n".join(report["layout"]["summary"])
    assert "no blocks" not in summary and "no block changes" not in summary
    assert "10 identity, 7 without a shortcut" in summary


def test_densenet121_rows_are_its_dense_layers_and_transitions():
    report = _report("densenet121_short", "block")
    names = [r["name"] for r in report["rows"] if r["kind"] == "block"]
    for index, layers in enumerate((6, 12, 24, 16), start=1):
        assert [n for n in names if n.startswith(f"denseblock{index}.")] == [
            f"denseblock{index}.{i}" for i in range(layers)]
    assert [n for n in names if n.startswith("transition")] == ["transition1", "transition2",
                                                                  "transition3"]
    assert len(names) == 58 + 3
    assert not any(".norm" in r["name"] for r in report["rows"])
    shortcuts = report["layout"]["shortcuts"]["blocks"]
    assert "identity" not in shortcuts  # a dense layer concatenates its input: nothing is added
    assert len(shortcuts["concat"]) == 58
    assert shortcuts["none"] == ["transition1", "transition2", "transition3"]
    stages = [r["name"] for r in _report("densenet121_short", "stage")["rows"]]
    assert stages == ["stem", "denseblock1", "transition1", "denseblock2", "transition2",
                      "denseblock3", "transition3", "denseblock4", "head"]


def test_densenet121_summary_counts_concatenations():
    done = cli("flops", "densenet121_short")
    assert "58 concat, 3 without a shortcut" in done.stdout
    assert "58 identity" not in done.stdout


def test_inception_resnet_v2_rows_are_its_blocks():
    report = _report("inception_resnet_v2", "block")
    names = [r["name"] for r in report["rows"]]
    assert not any(".branch" in n for n in names)
    a = [n for n in names if n.startswith("repeat.")]
    b = [n for n in names if n.startswith("repeat_1.")]
    c = [n for n in names if n.startswith("repeat_2.")] + [n for n in names if n == "block8"]
    assert (len(a), len(b), len(c)) == (10, 20, 10)
    assert {"mixed_5b", "mixed_6a", "mixed_7a"} <= set(names)
    identity = report["layout"]["shortcuts"]["blocks"]["identity"]
    assert sorted(identity) == sorted(a + b + c)
    stages = [r["name"] for r in _report("inception_resnet_v2", "stage")["rows"]]
    assert stages == ["stem", "repeat", "mixed_6a", "repeat_1", "mixed_7a", "repeat_2", "head"]


def test_highway_blocks_count_as_gated():
    """The CIFAR ResNet-20's nine blocks, two of them changing dimensions (He et al. 2015, sec. 4.2)."""
    shortcuts = _report("highway20", "block")["layout"]["shortcuts"]["blocks"]
    assert len(shortcuts["gate"]) == 9 - 2
    assert shortcuts["projection"] == ["layer2.0", "layer3.0"]


@pytest.mark.parametrize("name", api.list_networks())
def test_rows_add_up_to_the_network(name):
    graph = api.graph(name)
    macs = sum(d["macs"] for _, d in graph.nodes(data=True))
    params = sum(d["params"] for _, d in graph.nodes(data=True))
    for by in ("stage", "block", "layer"):
        rows = cost_rows(graph, by)
        assert sum(r.macs for r in rows) == macs, by
        assert sum(r.params for r in rows) == params, by
        names = [r.name for r in rows]
        assert len(names) == len(set(names)), by
        assert not any(r.name.startswith(("transition1.", "mixed_6a.")) for r in rows if by != "layer")
