"""One vocabulary across commands: -p/--param wherever a network is built, -o/--output wherever
a command writes, one value per single-value option, global options after the command, and
notes where an option or its absence does nothing."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.cli import ROOT, cli

# ResNet-50 with a 10-way classifier: the paper's 25,557,032 parameters less its 2048x1000 fc
# and 1000 biases, plus a 2048x10 fc and 10 biases.
RESNET50_10 = 25_557_032 - (2048 * 1000 + 1000) + (2048 * 10 + 10)


@pytest.mark.parametrize("command", [
    ["check", "resnet50"],  # the published expect lines are of the 1000-class network: not held
    ["compile", "resnet50", "-o", "{tmp}/net.json"],
])
def test_param_builds_the_network_asked_for(command, tmp_path):
    done = cli(*[word.format(tmp=tmp_path) for word in command], "-p", "classes=10")
    assert done.returncode == 0, done.output
    assert f"{RESNET50_10:,} params" in done.stdout
    assert "output 10" in done.stdout


def test_param_on_flops_and_diff():
    done = cli("flops", "resnet50", "--param", "classes=10", "--format", "json")
    assert done.returncode == 0, done.output
    assert json.loads(done.stdout)["outputs"]["out"] == [10]
    done = cli("diff", "resnet50", "resnet50:resnet50", "-p", "classes=10", "--input", "3x32x32",
               "--format", "json")
    assert done.returncode == 0, done.output
    assert json.loads(done.stdout)["differences"] == []


def test_param_on_viz(tmp_path):
    done = cli("viz", "resnet50", "-p", "classes=10", "--level", "layer", "-o", "-")
    assert done.returncode == 0, done.output
    assert "1000" not in done.stdout.split("fc", 1)[1].split("\n", 1)[0]  # the fc row names 10 classes


def test_param_that_is_not_a_pair_is_a_usage_error():
    done = cli("check", "resnet18", "-p", "classes")
    assert done.returncode == 2
    assert "'classes' is not NAME=VALUE" in done.stderr


def test_flops_and_viz_read_a_file_of_several_networks_alike(tmp_path):
    for command in (["flops"], ["viz", "-o", str(tmp_path / "c.svg")]):
        done = cli(*command, "architectures/cifar.rdsl")
        assert done.returncode == 2, command
        assert "defines several networks (resnet20, resnet32" in done.stderr and "--all" in done.stderr
        assert not (tmp_path / "c.svg").exists()
    one = cli("viz", "architectures/cifar.rdsl", "-n", "resnet56", "-o", "-").stdout
    assert '"resnet56/' in one and '"resnet20/' not in one  # boxes are keyed NETWORK/BOX
    every = cli("viz", "architectures/cifar.rdsl", "--all", "--level", "stage", "-o", "-").stdout
    assert '"resnet1202/' in every and '"plain110/' in every


def test_an_on_off_switch_given_both_ways_is_an_error():
    done = cli("experiment", "degradation", "--responses", "--no-responses")
    assert done.returncode == 2
    assert "--responses and --no-responses are both given; give one" in done.stderr
    done = cli("train", "resnet20", "--data", "digits", "--sync-bn", "--no-sync-bn")
    assert done.returncode == 2 and "--sync-bn and --no-sync-bn are both given" in done.stderr


def test_param_the_network_lacks_lists_the_ones_it_has():
    done = cli("flops", "resnet50", "-p", "clases=10")
    assert done.returncode == 1
    assert "resnet50 (the template resnet) has no parameter 'clases'; its parameters: block, " \
           "depths, classes" in done.stderr
    assert "help: did you mean 'classes'?" in done.stderr
    assert "note: resnet50 is defined at" in done.stderr  # where, as a note: not the fault


def test_repeated_single_value_option_is_an_error(tmp_path):
    done = cli("compile", "resnet18", "-o", tmp_path / "a.json", f"--output={tmp_path / 'b.json'}")
    assert done.returncode == 2
    assert "--output is given twice" in done.stderr and "give it once" in done.stderr
    assert not list(tmp_path.iterdir())  # nothing written
    done = cli("check", "resnet18", "--input", "3x32x32", "--input", "3x64x64")
    assert done.returncode == 2 and "--input is given twice" in done.stderr


def test_repeatable_options_stay_repeatable():
    done = cli("check", "resnet18", "-p", "classes=10", "-p", "classes=5", "--skip-expect")
    assert done.returncode == 0, done.output
    assert "output 5" in done.stdout


def test_global_option_after_the_command(tmp_path):
    shared, work = tmp_path / "shared", tmp_path / "work"
    shared.mkdir()
    work.mkdir()
    for name in ("blocks.rdsl", "resnet.rdsl"):
        shutil.copy(ROOT / "architectures" / name, shared / name)
    (work / "net.rdsl").write_text('use "../shared/resnet.rdsl"\nnet = resnet(basic, [1, 1, 1, 1])\n')
    refused = cli("check", work / "net.rdsl")
    assert refused.returncode == 1, refused.output
    before = cli("--allow-use", shared, "check", work / "net.rdsl")
    after = cli("check", work / "net.rdsl", "--allow-use", shared)
    assert before.returncode == after.returncode == 0, after.output
    assert after.stdout == before.stdout


def test_compile_without_output_says_nothing_was_written():
    done = cli("compile", "resnet18")
    assert done.returncode == 0, done.output
    assert "nothing written" in done.stderr and "-o OUT" in done.stderr


def test_dpi_with_svg_says_it_does_nothing(tmp_path):
    done = cli("viz", "resnet18", "--dpi", "200", "-o", tmp_path / "net.svg")
    assert done.returncode == 0, done.output
    assert "--dpi" in done.stderr and "nothing to SVG" in done.stderr


def test_out_is_still_read_as_output():
    shown = cli("train", "--help").stdout
    assert "-o, --output DIR" in shown and "--out " not in shown
    from resdsl.cli.train import train

    out = next(p for p in train.params if p.name == "out")
    assert "--out" in out.opts


def test_diff_builds_both_networks_for_the_input_asked():
    def macs(*options):
        done = cli("diff", "resnet18", "resnet34", "--format", "json", *options)
        assert done.returncode == 0, done.output
        return json.loads(done.stdout)["totals"]["a"]["macs"]

    fc = 512 * 1000  # the classifier does not grow with the image; every conv sees 4x the positions
    assert macs("--input", "3x448x448") == 4 * (macs() - fc) + fc


def test_check_of_several_files(tmp_path):
    broken = tmp_path / "broken.rdsl"
    broken.write_text("net = resnet(basic, [2, 2])\n")
    done = cli("check", "resnet18", "architectures/cifar.rdsl:resnet20", "architectures/blocks.rdsl")
    assert done.returncode == 0, done.output
    lines = done.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == ["resnet18", "resnet20", "architectures/blocks.rdsl"]
    assert "11,689,512 params" in lines[0]  # torchvision's resnet18
    done = cli("check", "resnet18", broken)
    assert done.returncode == 1
    assert done.stdout.startswith("resnet18: ")  # the good file is still reported
    assert f"{broken}:1:" in done.stderr
    assert cli("check", "resnet18", "resnet34", "-n", "resnet18").returncode == 2


def test_repeats_refused_in_command_groups_too(tmp_path):
    done = cli("experiment", "degradation", "-o", tmp_path / "a", "--out", tmp_path / "b")
    assert done.returncode == 2, done.output
    assert "--output is given twice" in done.stderr
    assert not list(tmp_path.iterdir())
