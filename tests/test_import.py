"""`resdsl import` and resdsl.from_module: models back to short text, checked against the source."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import resdsl  # noqa: E402
from resdsl.core.errors import ResdslError  # noqa: E402
from resdsl.importer.fold import fold  # noqa: E402
from resdsl.importer.sources import parse_call  # noqa: E402
from resdsl.importer.trace import trace  # noqa: E402
from tests import reference_models as rm  # noqa: E402
from tests.cli import cli  # noqa: E402


def _same_graph(a, b) -> None:
    assert list(a.nodes) == list(b.nodes)
    for node in a.nodes:
        assert a.nodes[node]["op"] == b.nodes[node]["op"], node
        assert a.nodes[node]["args"] == b.nodes[node]["args"], node
    assert sorted(a.edges) == sorted(b.edges)


@pytest.mark.parametrize("name", ["resnet18", "resnet50", "resnet20", "plain18"])
def test_bundled_networks_round_trip_to_the_same_graph(name):
    model = resdsl.load(name)
    shape = model.graph.graph["input"]
    text = fold(trace(model, torch.randn(1, *shape), name))
    _same_graph(resdsl.graph_from_text(text, name), resdsl.graph(name))


def _definition_lines(file: str, head: str) -> int:
    """The lines of one bundled definition, from its head to its closing brace."""
    text = (Path(__file__).resolve().parent.parent / "architectures" / file).read_text()
    start = text.index(head)
    return text[start:text.index("\n}", start)].count("\n") + 1


def test_the_papers_resnet_is_about_as_short_as_the_bundled_definitions():
    model = resdsl.load("resnet50")
    text = fold(trace(model, torch.randn(1, 3, 224, 224), "resnet50"))
    bundled = (_definition_lines("resnet.rdsl", "network resnet(")
               + _definition_lines("blocks.rdsl", "block bottleneck(width"))
    assert text.count("\n") <= 1.3 * bundled
    assert "stage layer2: bottleneck(128) x 4, stride: 2" in text


@pytest.mark.parametrize("depth", [18, 152])  # all five: scripts/import_zoo.py
def test_torchvision_style_resnets_import_exactly_in_at_most_30_lines(depth):
    torch.manual_seed(0)
    model = getattr(rm, f"resnet{depth}")().eval()
    text = resdsl.from_module(model, torch.randn(1, 3, 64, 64), name=f"resnet{depth}")
    assert text.count("\n") <= 30
    graph = resdsl.graph_from_text(text, f"resnet{depth}")
    # torchvision's published parameter counts, independent of both models
    published = {18: 11_689_512, 34: 21_797_672, 50: 25_557_032, 101: 44_549_160, 152: 60_192_808}
    assert sum(graph.nodes[n]["params"] for n in graph) == published[depth]


def test_a_bundled_network_is_written_as_the_librarys_call():
    torch.manual_seed(0)
    text = resdsl.from_module(rm.resnet18().eval(), torch.randn(1, 3, 224, 224), name="mine")
    assert text.splitlines()[-3:] == ['use "resnet.rdsl"', "", "mine = resnet(basic, [2, 2, 2, 2])"]


def test_an_imported_module_loads_the_sources_weights_and_computes_the_same():
    torch.manual_seed(0)
    model = rm.resnet18(num_classes=10).eval()
    text = resdsl.from_module(model, torch.randn(1, 3, 32, 32), name="mine")
    graph = resdsl.graph_from_text(text, "mine")
    from resdsl.torch.backend import build_module

    built = build_module(graph).eval()
    built.load_state_dict(model.state_dict(), strict=True)
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        assert torch.allclose(built(x), model(x), atol=1e-5)


class _Odd(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.LayerNorm([8, 8, 8])
        self.up = nn.ConvTranspose2d(8, 8, 2)

    def forward(self, x):
        return self.up(self.norm(self.stem(x)))


def test_what_the_language_cannot_say_is_named_with_its_module_path():
    with pytest.raises(ResdslError) as caught:
        resdsl.from_module(_Odd(), torch.randn(1, 3, 8, 8))
    messages = [e.message for e in caught.value.errors]
    assert {e.code for e in caught.value.errors} == {"E1030"}
    assert any("LayerNorm at norm" in m for m in messages)
    assert any("ConvTranspose2d at up" in m for m in messages)


def test_approximate_writes_the_differences_as_comments(monkeypatch):
    from resdsl.importer import build, check

    def differing(*_args):
        return check.Comparison(["parameters: 1 source, 2 imported"], ["parameters differ: 1, 2"])

    monkeypatch.setattr(build, "compare", differing)
    model = rm.resnet18(num_classes=10).eval()
    with pytest.raises(ResdslError, match="differs from the source") as caught:
        resdsl.from_module(model, torch.randn(1, 3, 32, 32))
    assert caught.value.code == "E1034"
    text = resdsl.from_module(model, torch.randn(1, 3, 32, 32), approximate=True)
    assert text.startswith("# differs: parameters differ: 1, 2\n")


def test_call_arguments_are_read_as_literals_never_evaluated():
    assert parse_call("build(depth=50, widths=[1, 2])") == ("build", [], {"depth": 50, "widths": [1, 2]})
    assert parse_call("nets.resnet") == ("nets.resnet", [], {})
    with pytest.raises(ResdslError) as caught:
        parse_call("build(depth=__import__('os').getpid())")
    assert caught.value.code == "E1033"


def test_the_command_writes_once_and_checks(tmp_path):
    out = tmp_path / "net.rdsl"
    done = cli("import", "tests.reference_models:resnet18(num_classes=10)", "-o", out,
               "--input", "3x32x32", "--name", "r18")
    assert done.returncode == 0, done.stderr
    assert "outputs on a seeded input: max |diff| 0" in done.stderr
    assert re.search(r"parameters: 11,181,642 source, 11,181,642 imported", done.stderr)
    assert cli("check", out).returncode == 0
    again = cli("import", "tests.reference_models:resnet18", "-o", out)
    assert again.returncode == 1 and "E921" in again.stderr
    assert cli("import", "no_such_module_here:net", "-o", tmp_path / "x.rdsl").returncode == 1
    bad = cli("import", "tests.reference_models:resnet18(num_classes=2 ** 3)")
    assert bad.returncode == 1 and "E1033" in bad.stderr
