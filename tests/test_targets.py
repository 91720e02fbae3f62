"""One path from a target to a checked graph (resdsl/targets.py): every face opens, picks, builds
and checks through it, and says the same thing when a file has no network or several."""

import re

import pytest
from click.testing import CliRunner

import resdsl
from resdsl.cli import main
from resdsl.language import library
from resdsl.targets import ChoiceError, checked_graph, checked_graphs, choose
from resdsl.train.network import graph_for

from .conftest import ROOT

TWO = """block basic(width) {
    conv1: conv 3x3, width;  bn1: bn;  relu
}
network small(width = 8) {
    input 3x32x32
    stage s: basic(width) x 2
    avgpool;  fc: fc 10
}
narrow = small(4)
wide = small(16)
"""


def cli(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.fixture
def two(tmp_path):
    path = tmp_path / "two.rdsl"
    path.write_text(TWO)
    return path


def test_several_networks_is_one_error_for_the_api_and_usage_for_the_command_line(two):
    with pytest.raises(ChoiceError) as info:
        resdsl.graph(two)
    assert info.value.code == "E206" and isinstance(info.value, resdsl.ResdslError)
    assert info.value.message == (f"{two} defines several networks (small, narrow, wide); "
                                  "choose one with network=...")
    with pytest.raises(ChoiceError, match="choose one with -n NAME or FILE:NAME"):
        graph_for(two, None)
    flops = cli("flops", two)
    assert flops.exit_code == 2
    assert "defines several networks (small, narrow, wide); choose one with -n NAME, or --all" in flops.output
    compiled = cli("compile", two)
    assert compiled.exit_code == 2 and "choose one with -n" in compiled.output
    assert cli("check", two).exit_code == 0  # check takes every network of a file


def test_a_file_of_blocks_has_no_network_to_build(tmp_path):
    path = tmp_path / "blocks.rdsl"
    path.write_text(TWO.split("network")[0])
    with pytest.raises(resdsl.ResdslError) as info:
        resdsl.graph(path)
    assert (info.value.code, info.value.message) == ("E205", f"{path} defines no network to build")
    assert checked_graphs(path, allow_empty=True) == []
    with pytest.raises(resdsl.ResdslError) as text:
        resdsl.graph_from_text(TWO.split("network")[0])
    assert text.value.code == "E205" and text.value.message == "the text defines no network to build"


def test_a_chosen_network_is_opened_once_and_built_at_any_input(monkeypatch, two):
    calls = []
    opener = library.open_target
    monkeypatch.setattr(library, "open_target", lambda *a, **k: calls.append(a) or opener(*a, **k))
    chosen = choose(f"{two}:wide")
    graphs = [chosen.graph(), chosen.graph((3, 64, 64)), graph_for(chosen, None)]
    assert len(calls) == 1
    # 3x3 convs with padding 1 and no stride keep the size: the input's 32 and 64
    assert [g.nodes["s.1.conv1"]["out_shape"] for g in graphs] == [(16, 32, 32), (16, 64, 64), (16, 32, 32)]


def test_the_ir_is_a_target_like_any_other(tmp_path):
    path = tmp_path / "resnet18.json"
    assert cli("compile", "resnet18", "-o", path).exit_code == 0
    graph = resdsl.graph(path)
    assert graph.graph["name"] == "resnet18"
    assert graph.nodes["layer4.1.conv2"]["out_shape"] == (512, 7, 7)  # 224 / 32
    with pytest.raises(ChoiceError, match="needs the .rdsl source"):
        checked_graph(path, input_shape=(3, 64, 64))
    with pytest.raises(ChoiceError, match="holds network 'resnet18', not 'resnet34'"):
        checked_graph(path, "resnet34")


def test_the_package_raises_e205_and_e206_in_one_place():
    sources = [p.read_text() for p in (ROOT / "resdsl").rglob("*.py")]
    for code in ("E205", "E206"):
        assert sum(len(re.findall(f'code="{code}"', text)) for text in sources) == 1, code
