"""Cost reports against the paper's Table 1, torchvision's figures and hand arithmetic."""

import csv
import json
import re
from pathlib import Path

import pytest

import resdsl
from resdsl.analysis.costs import activation_memory, cost_rows
from resdsl.analysis.layout import layout
from resdsl.analysis.report import family, report

from .cli import cli
from .conftest import ARCH, ROOT

FIXTURES = Path(__file__).parent / "fixtures"

# the paper, Table 1, FLOPs row (multiply-adds), the paper's layout
TABLE1_FLOPS = {"resnet18": 1.8e9, "resnet34": 3.6e9, "resnet50_v1": 3.8e9,
                "resnet101_v1": 7.6e9, "resnet152_v1": 11.3e9}
# torchvision's model documentation, GFLOPS (multiply-adds)
TORCHVISION_GFLOPS = {"resnet18": 1.81, "resnet34": 3.66, "resnet50": 4.09, "resnet101": 7.80,
                      "resnet152": 11.51}
# Table 1, column by column: the block of conv2_x .. conv5_x and the repeat counts
TABLE1_BLOCKS = {
    "basic": ["[3x3, 64; 3x3, 64]", "[3x3, 128; 3x3, 128]", "[3x3, 256; 3x3, 256]",
              "[3x3, 512; 3x3, 512]"],
    "bottleneck": ["[1x1, 64; 3x3, 64; 1x1, 256]", "[1x1, 128; 3x3, 128; 1x1, 512]",
                   "[1x1, 256; 3x3, 256; 1x1, 1024]", "[1x1, 512; 3x3, 512; 1x1, 2048]"],
}
TABLE1_DEPTHS = {"resnet18": (2, 2, 2, 2), "resnet34": (3, 4, 6, 3), "resnet50": (3, 4, 6, 3),
                 "resnet101": (3, 4, 23, 3), "resnet152": (3, 8, 36, 3)}
TABLE1_SIZES = (56, 28, 14, 7)
# one 1x1 projection (no bias) + BN where ResNet-34 changes dimensions: conv3_1, conv4_1, conv5_1
PROJECTION_MACS = [cin * 2 * cin * size * size for cin, size in ((64, 28), (128, 14), (256, 7))]
PROJECTION_PARAMS = [cin * 2 * cin + 2 * 2 * cin for cin in (64, 128, 256)]


@pytest.mark.parametrize("name,flops", TABLE1_FLOPS.items())
def test_paper_layout_within_2_percent_of_table1(name, flops):
    assert report(resdsl.graph(name))["macs"] == pytest.approx(flops, rel=0.02)


@pytest.mark.parametrize("name,gflops", TORCHVISION_GFLOPS.items())
def test_torchvision_layout_within_1_percent_of_its_gflops(name, gflops):
    assert report(resdsl.graph(name))["macs"] == pytest.approx(gflops * 1e9, rel=0.01)


def test_float_ops_are_twice_the_multiply_adds():
    data = report(resdsl.graph("resnet50"))
    assert data["float_ops"] == 2 * data["macs"]
    assert all(row["float_ops"] == 2 * row["macs"] for row in data["rows"])
    assert "multiply-adds" in data["convention"] and "paper" in data["convention"]


def test_plain34_equals_resnet34_without_its_projections():
    plain, res, res_a = (report(resdsl.graph(n)) for n in ("plain34", "resnet34", "resnet34_a"))
    # the paper's comparison: parameter-free (option A) shortcuts cost nothing
    assert (plain["macs"], plain["params"]) == (res_a["macs"], res_a["params"])
    # torchvision's resnet34 (option B) adds the three projections and nothing else
    assert res["macs"] - plain["macs"] == sum(PROJECTION_MACS)
    assert res["params"] - plain["params"] == sum(PROJECTION_PARAMS)
    assert sum(r["shortcut_macs"] for r in res["rows"]) == sum(PROJECTION_MACS)
    assert plain["macs"] == pytest.approx(3.6e9, rel=0.02)  # Table 1's 34-layer plain net


@pytest.mark.parametrize("name", TABLE1_DEPTHS)
def test_stage_rows_read_like_table1(name):
    rows = cost_rows(resdsl.graph(name), "stage")
    assert [r.name for r in rows] == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert [r.title for r in rows[1:5]] == ["conv2_x", "conv3_x", "conv4_x", "conv5_x"]
    block = "basic" if name in ("resnet18", "resnet34") else "bottleneck"
    for row, text, depth, size in zip(rows[1:5], TABLE1_BLOCKS[block], TABLE1_DEPTHS[name],
                                      TABLE1_SIZES):
        assert row.structure == f"{text} x {depth}"
        assert row.output[1:] == (size, size)
    assert rows[0].structure == "7x7 conv, 64, /2; 3x3 max pool, /2"
    assert rows[0].output == (64, 56, 56) and rows[-1].output == (1000,)


@pytest.mark.parametrize("by", ["stage", "block", "layer"])
@pytest.mark.parametrize("name", ["resnet50", "plain34", "resnet34_a"])
def test_rows_add_up_to_the_totals(name, by):
    data = report(resdsl.graph(name), by=by)
    for key in ("macs", "params"):
        assert sum(row[key] for row in data["rows"]) == data[key]
    graph = resdsl.graph(name)
    assert sum(row["activations"] for row in data["rows"]) == activation_memory(graph)["elements"]


def test_block_rows_are_module_paths_and_show_where_the_stride_is():
    rows = {r.name: r for r in cost_rows(resdsl.graph("resnet50_v1"), "block")}
    assert len([n for n in rows if n.startswith("layer")]) == 16
    assert rows["layer2.0"].structure == "[1x1, 128, /2; 3x3, 128; 1x1, 512]"
    assert rows["layer2.1"].structure == "[1x1, 128; 3x3, 128; 1x1, 512]"
    # the projection shortcut of the first block: 1x1 conv 256 -> 512 at 28x28, and its BN
    assert rows["layer2.0"].shortcut_macs == 256 * 512 * 28 * 28
    assert rows["layer2.0"].shortcut_params == 256 * 512 + 2 * 512


def test_layout_says_where_the_stride_is():
    assert "stride 2 on the first 1x1 conv (conv1)" in layout(resdsl.graph("resnet50_v1"))["summary"][0]
    assert "stride 2 on the 3x3 conv (conv2)" in layout(resdsl.graph("resnet50"))["summary"][0]
    assert "stride 2 on the first 3x3 conv (conv1)" in layout(resdsl.graph("resnet34"))["summary"][0]
    assert "layer2.0, layer3.0, layer4.0" in layout(resdsl.graph("resnet50"))["summary"][0]


def test_layout_comes_from_the_graph_not_the_name():
    # a network called resnet50 whose blocks stride on their last 1x1
    text = """
block odd(width, stride = 1) {
    conv1: conv 1x1, width;  bn1: bn;  relu
    conv2: conv 3x3, width;  bn2: bn;  relu
    conv3: conv 1x1, 4 * width, stride: stride;  bn3: bn
    add shortcut;  relu
}
network resnet50 {
    input 3x64x64
    conv1: conv 3x3, 16
    stage layer1: odd(16) x 2
    stage layer2: odd(32) x 2, stride: 2
}
"""
    found = layout(resdsl.graph_from_text(text))
    assert "stride 2 on the second 1x1 conv (conv3) of layer2.0" in found["summary"][0]
    assert [e["node"] for e in found["downsampling"]] == ["layer2.0.conv3"]


def test_shortcut_layout_counts_each_kind():
    assert layout(resdsl.graph("resnet34_a"))["shortcuts"]["blocks"] == {
        "identity": ["layer1.0", "layer1.1", "layer1.2", "layer2.1", "layer2.2", "layer2.3",
                     "layer3.1", "layer3.2", "layer3.3", "layer3.4", "layer3.5", "layer4.1",
                     "layer4.2"],
        "zero-padding": ["layer2.0", "layer3.0", "layer4.0"]}
    assert layout(resdsl.graph("plain34"))["shortcuts"]["blocks"].keys() == {"none"}
    assert len(layout(resdsl.graph("resnet34_c"))["shortcuts"]["blocks"]["projection"]) == 16


def test_activation_memory_by_hand():
    # input 2x4x4 (32); conv -> 4x4x4 (64); relu (64); a block: conv (64), add (64), relu (64)
    text = """
block res {
    c: conv 3x3, 4
    add shortcut;  relu
}
network n {
    input 2x4x4
    stem: conv 3x3, 4;  relu
    b: res
}
"""
    mem = activation_memory(resdsl.graph_from_text(text), batch=3)
    assert mem["input_elements"] == 3 * 32
    assert mem["elements"] == 3 * 64 * 5
    assert mem["bytes"] == 4 * mem["elements"]
    # at the add: the block input (kept for the shortcut), the conv output, the sum
    assert mem["peak_elements"] == 3 * 64 * 3
    assert mem["peak_bytes"] == 4 * mem["peak_elements"]


def test_family_has_one_row_per_network():
    data = family([resdsl.graph(f"{ARCH / 'resnet.rdsl'}:{n}") for n in ("resnet18", "resnet50_v1")])
    assert [n["network"] for n in data["networks"]] == ["resnet18", "resnet50_v1"]
    assert data["networks"][1]["macs"] == pytest.approx(3.8e9, rel=0.02)
    assert "first 1x1" in data["networks"][1]["layout"]["short"]


# -- the command line ----------------------------------------------------------------------------

def test_flops_table_reads_like_table1():
    result = cli("flops", "resnet50_v1")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for text in ("conv2_x", "conv5_x", "[1x1, 64; 3x3, 64; 1x1, 256] x 3", "3.86G", "25.6M",
                 "the paper's convention", "stride 2 on the first 1x1 conv"):
        assert text in out, text
    assert "float ops" not in out  # 2 x multiply-adds only with --float-ops


def test_float_ops_option_adds_twice_the_multiply_adds():
    out = cli("flops", "resnet18", "--float-ops").stdout
    assert "float ops" in out and "3.63G" in out and "1.81G" in out


def test_json_has_the_documented_shape():
    result = cli("flops", "resnet50", "--format", "json", "--batch", "8")
    data = json.loads(result.stdout)
    assert {"network", "input", "outputs", "macs", "params", "rows"} <= data.keys()
    assert data["network"] == "resnet50" and data["input"] == [3, 224, 224]
    assert data["outputs"] == {"out": [1000]} and data["params"] == 25_557_032
    assert data["activations"]["batch"] == 8
    documented = set(re.findall(r"`([a-z_]+)`", (ROOT / "docs" / "flops.md").read_text()))
    keys = set(data) | set(data["rows"][0]) | set(data["activations"]) | set(data["layout"])
    keys |= set(data["checks"][0]) | set(data["layout"]["downsampling"][0])
    keys |= set(data["layout"]["shortcuts"])
    assert keys <= documented, keys - documented


def test_csv_rows_and_total():
    text = cli("flops", "resnet34", "--format", "csv", "--by", "block").stdout
    comments = [line for line in text.splitlines() if line.startswith("#")]
    assert any("the paper's convention" in line for line in comments)
    rows = list(csv.DictReader(line for line in text.splitlines() if not line.startswith("#")))
    assert len(rows) == 16 + 3  # stem, 16 blocks, head, total
    assert rows[-1]["name"] == "total" and int(rows[-1]["params"]) == 21_797_672
    assert sum(int(r["macs"]) for r in rows[:-1]) == int(rows[-1]["macs"])


def test_markdown_table():
    text = cli("flops", "resnet18", "--format", "markdown").stdout
    assert "| layer name | output size | structure | multiply-adds | params |" in text
    assert "| conv2_x | 64x56x56 | [3x3, 64; 3x3, 64] x 2 |" in text
    assert "| total |" in text and "the paper's convention" in text


def test_all_prints_the_table1_flops_row():
    result = cli("flops", ARCH / "resnet.rdsl", "--all", "--format", "json")
    nets = {n["network"]: n for n in json.loads(result.stdout)["networks"]}
    assert len(nets) == 13
    for name, flops in TABLE1_FLOPS.items():
        assert nets[name]["macs"] == pytest.approx(flops, rel=0.02)
    table = cli("flops", ARCH / "resnet.rdsl", "--all").stdout
    assert "resnet152_v1" in table and "11.3G" in table


def test_several_networks_need_a_name_or_all():
    result = cli("flops", ARCH / "resnet.rdsl")
    assert result.returncode == 2 and "--all" in result.stderr


def test_batch_scales_activation_memory():
    one = json.loads(cli("flops", "resnet18", "--format", "json").stdout)["activations"]
    many = json.loads(cli("flops", "resnet18", "--format", "json", "--batch", "32").stdout)
    assert many["activations"]["bytes"] == 32 * one["bytes"] == 32 * 4 * one["elements"]
    assert "activations" in cli("flops", "resnet18", "--batch", "32").stdout


# -- budgets -------------------------------------------------------------------------------------

def test_command_line_budget_that_fails_says_by_how_much():
    result = cli("flops", "resnet50", "--max-flops", "4G", "--max-params", "30M")
    assert result.returncode == 1
    assert "conv4_x" in result.stdout  # the report is still printed
    err = result.stderr
    assert "over the command line's --max-flops 4.00G by 89.2M (2.2%)" in err
    assert "costliest: layer3 (conv4_x) 1.46G (36%)" in err
    assert "parameters" not in err  # 25.6M params are within 30M


def test_command_line_budget_that_holds():
    assert cli("flops", "resnet50_v1", "--max-flops", "3.9G", "--max-params", "26M").returncode == 0
    assert cli("check", "resnet50", "--max-params", "25M").returncode == 1
    assert cli("check", "resnet50", "--max-params", "25.6M").returncode == 0


@pytest.mark.parametrize("value", ["4X", "-1", "four", "", "1e999"])
def test_bad_budget_value_is_a_usage_error(value):
    result = cli("flops", "resnet18", "--max-flops", value)
    assert result.returncode == 2 and "--max-flops" in result.stderr


def test_budget_in_the_file_fails_at_its_line(tmp_path):
    path = tmp_path / "net.rdsl"
    path.write_text('use "blocks.rdsl"\nnetwork n {\n    input 3x224x224\n'
                    '    conv1: conv 7x7, 64, stride: 2\n'
                    '    stage s1 "conv2_x": basic(64) x 2\n'
                    '    stage s2 "conv3_x": basic(128) x 2, stride: 2\n'
                    '    budget flops <= 500M, params <= 500K\n}\n')
    result = cli("flops", path)
    assert result.returncode == 1
    err = result.stderr
    assert "net.rdsl:7:12: error[E701]: n has" in err and "over the budget of 500M by" in err
    line = "    budget flops <= 500M, params <= 500K"
    assert f"net.rdsl:7:{line.index('params') + 1}: error[E701]: n has" in err
    assert f" 7 | {line}" in err
    assert "costliest: s1 (conv2_x)" in err
    assert "Traceback" not in err
