"""What the commands read and write: the JSON IR wherever a FILE goes, diffs that lead with the
source's changes, compile's checks, a file of blocks, one file mode, trained weights out."""

import csv
import io
import json
import os
import stat

import pytest
import torch
from safetensors.torch import load_file

import resdsl

from .cli import cli
from .conftest import ARCH


@pytest.fixture(scope="module")
def ir(tmp_path_factory):
    path = tmp_path_factory.mktemp("ir") / "resnet18.json"
    assert cli("compile", "resnet18", "-o", path).returncode == 0
    return path


def test_every_file_reading_command_reads_the_ir(ir, tmp_path):
    check = cli("check", ir)
    assert check.returncode == 0 and "11,689,512 params" in check.output  # torchvision's ResNet-18
    assert "2/2 checks pass" in check.output  # the expectations travel in the IR
    flops = cli("flops", ir, "--format", "json")
    assert json.loads(flops.output)["params"] == 11_689_512
    assert "nothing: the two networks have the same layers" in cli("diff", ir, "resnet18").output
    assert cli("viz", ir, "-o", "-").output.startswith("digraph")
    assert cli("compile", ir, "-o", tmp_path / "r.py").returncode == 0
    wrong = cli("check", ir, "--input", "3x160x160")
    assert wrong.returncode == 2 and "needs the .rdsl source" in wrong.output


def test_diff_leads_with_the_source_parameters_in_every_format():
    table = cli("diff", "wrn28_10", "resnet20").output.splitlines()
    assert table[1].strip() == "template (network): wrn -> cifar"  # wide.rdsl, cifar.rdsl
    text = resdsl.graph("wrn28_10")
    assert text.graph["params"]["k"] == 10
    data = resdsl.analysis.diff.diff(text, resdsl.graph("wrn28_10", k=4))
    assert data["differences"][0] == {"what": "parameter k", "where": "network", "a": "10", "b": "4"}
    markdown = cli("diff", "resnet18", "resnet34", "--format", "markdown").output
    assert markdown.index("parameter depths (network): [2, 2, 2, 2] -> [3, 4, 6, 3]") < markdown.index("| row |")
    lines = cli("diff", "resnet18", "resnet34", "--format", "csv").output.splitlines()
    assert lines[1] == "# parameter depths (network): [2, 2, 2, 2] -> [3, 4, 6, 3]"
    rows = list(csv.DictReader(io.StringIO("\n".join(l for l in lines if not l.startswith("#")))))
    total = rows[-1]
    assert (int(total["params_a"]), int(total["params_b"])) == (11_689_512, 21_797_672)


def test_compile_fails_on_a_broken_budget_unless_told(tmp_path):
    out = tmp_path / "r.json"
    broken = cli("compile", "resnet34", "--input", "1x224x224", "-o", out)
    assert broken.returncode == 1 and "E702" in broken.output and not out.exists()
    warned = cli("compile", "resnet34", "--input", "1x224x224", "-o", out, "--no-check")
    assert warned.returncode == 0 and "warning (--no-check)" in warned.output and out.exists()
    assert cli("compile", "resnet34", "--input", "1x224x224", "-o", tmp_path / "s.json",
               "--skip-expect").returncode == 0
    assert cli("check", "resnet34", "--input", "1x224x224", "--skip-expect").returncode == 0
    budget = tmp_path / "budget.rdsl"
    budget.write_text('use "resnet.rdsl"\nsmall = resnet50 budget params <= 20M\n')
    over = cli("compile", budget, "-o", tmp_path / "b.json")
    assert over.returncode == 1 and "E701" in over.output


def test_check_a_file_of_blocks_only():
    result = cli("check", ARCH / "blocks.rdsl")
    assert result.returncode == 0, result.output
    assert "no network to build" in result.output and "3 blocks" in result.output


def test_every_artifact_gets_the_same_mode(tmp_path):
    paths = [tmp_path / name for name in ("r.py", "w.safetensors")]
    assert cli("compile", "resnet18", "-o", paths[0], "--save-weights", paths[1]).returncode == 0
    assert cli("compile", "resnet18", "-o", tmp_path / "r.json").returncode == 0
    modes = {stat.S_IMODE(os.stat(p).st_mode) for p in [*paths, tmp_path / "r.json"]}
    umask = os.umask(0)
    os.umask(umask)
    assert modes == {0o666 & ~umask}


def test_trained_weights_go_out(tmp_path):
    model = resdsl.load("resnet18")
    with torch.no_grad():
        model.fc.bias.fill_(0.25)  # "trained"
    assert resdsl.export(model, tmp_path / "trained.safetensors").endswith("trained.safetensors")
    torch.save({"state_dict": model.state_dict()}, tmp_path / "ckpt.pt")
    out = tmp_path / "again.safetensors"
    for checkpoint in ("trained.safetensors", "ckpt.pt"):
        result = cli("compile", "resnet18", "--load-weights", tmp_path / checkpoint,
                     "--save-weights", out, "--force")
        assert result.returncode == 0, result.output
        assert torch.equal(load_file(out)["fc.bias"], torch.full((1000,), 0.25))
    wrong = cli("compile", "resnet34", "--load-weights", tmp_path / "ckpt.pt", "--save-weights", out,
                "--force")
    assert wrong.returncode == 1 and "does not fit Resnet34: 96 missing" in wrong.output
    source = resdsl.export(model, tmp_path / "trained.py")
    assert "class Resnet18(nn.Module)" in open(source).read()
    with pytest.raises(resdsl.ResdslError, match="cannot write '.h5'"):
        resdsl.export(model, tmp_path / "x.h5")


def test_a_very_long_output_path_is_not_echoed_whole(tmp_path):
    """An output that cannot be written names its path clipped, as every diagnostic clips user text."""
    long = tmp_path / "not-a-folder"
    long.write_text("a file")
    out = long / ("x" * 200) / ("y" * 200) / "net.json"  # under a file: cannot be written
    result = cli("compile", "resnet18", "-o", out)
    assert result.returncode == 1 and "error[E920]" in result.output
    assert f"({len(str(out)):,} characters)" in result.output and "y" * 200 not in result.output
