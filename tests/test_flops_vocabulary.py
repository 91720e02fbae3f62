"""One word, one quantity: FLOPs are multiply-adds (the paper's convention) in the language, the
budgets, the options and every report; 2 x multiply-adds appears only as `float_ops`."""

import csv
import io
import json

import pytest

from .cli import cli

# torchvision's model documentation for resnet50: 4.09 GFLOPS (multiply-adds), 25,557,032 params
TORCHVISION_RESNET50_MACS = 4.09e9
TORCHVISION_RESNET50_PARAMS = 25_557_032
# by hand: conv 3x3, 3 -> 16 on 32x32 (padding keeps the size): 16 * 32 * 32 * (3 * 3 * 3)
ONE_CONV_MACS = 16 * 32 * 32 * 3 * 3 * 3


def one_conv(tmp_path, *lines: str):
    source = tmp_path / "one.rdsl"
    source.write_text("network one {\n    input 3x32x32\n    conv 3x3, 16\n"
                      + "".join(f"    {line}\n" for line in lines) + "}\n")
    return source


def keys(value) -> set[str]:
    """Every key of a JSON document, at any depth."""
    if isinstance(value, dict):
        return set(value) | {k for v in value.values() for k in keys(v)}
    if isinstance(value, list):
        return {k for v in value for k in keys(v)}
    return set()


def test_json_names_multiply_adds_macs_and_never_calls_twice_them_flops():
    done = cli("flops", "resnet50", "--format", "json")
    assert done.returncode == 0, done.output
    data = json.loads(done.stdout)
    assert data["macs"] == pytest.approx(TORCHVISION_RESNET50_MACS, rel=0.01)
    assert data["params"] == TORCHVISION_RESNET50_PARAMS
    assert data["float_ops"] == 2 * data["macs"]
    assert "FLOPs = multiply-adds" in data["convention"]
    assert data["report_version"] == 3
    assert "flops" not in keys(data) - {"checks"}
    family = json.loads(cli("flops", "architectures/resnet.rdsl", "--all", "--format", "json").stdout)
    assert "flops" not in keys(family["networks"])


def test_json_of_a_hand_counted_network(tmp_path):
    data = json.loads(cli("flops", one_conv(tmp_path), "--format", "json").stdout)
    assert (data["macs"], data["float_ops"]) == (ONE_CONV_MACS, 2 * ONE_CONV_MACS)


def test_max_flops_compares_the_multiply_adds_the_report_prints():
    # 4.09G multiply-adds: over 4G, under 4.2G (2 x multiply-adds, 8.18G, would fail both)
    assert cli("flops", "resnet50", "--max-flops", "4G").returncode == 1
    assert cli("flops", "resnet50", "--max-flops", "4.2G").returncode == 0
    assert cli("check", "resnet50", "--max-flops", "4.2G").returncode == 0
    checks = json.loads(cli("flops", "resnet50", "--max-flops", "4.2G", "--format", "json").stdout)
    budget = next(c for c in checks["checks"] if c["where"] == "command line")
    assert budget["metric"] == "flops" and budget["measured"] == checks["macs"]


def test_budget_and_expect_flops_in_a_file_count_multiply_adds(tmp_path):
    assert cli("check", one_conv(tmp_path, "budget flops <= 500K")).returncode == 0
    assert cli("check", one_conv(tmp_path, f"expect flops {ONE_CONV_MACS} within 0%")).returncode == 0
    twice = cli("check", one_conv(tmp_path, f"expect flops {2 * ONE_CONV_MACS} within 1%"))
    assert twice.returncode == 1 and "multiply-adds" in twice.output


def test_table_and_csv_name_twice_the_multiply_adds_float_ops():
    table = cli("flops", "resnet50", "--float-ops").stdout
    assert "multiply-adds" in table and "float ops" in table and "FLOPs column" not in table
    lines = [line for line in cli("flops", "resnet50", "--format", "csv").stdout.splitlines()
             if not line.startswith("#")]
    header = next(csv.reader(io.StringIO(lines[0])))
    assert "macs" in header and "float_ops" in header and "flops" not in header


def test_the_old_flops_flag_says_what_flops_are_and_where_twice_them_went():
    done = cli("flops", "resnet50", "--flops")
    assert done.returncode == 2
    assert "FLOPs are multiply-adds" in done.output and "--float-ops" in done.output
