"""Exit codes that a script can rely on: a failed check exits 1 even when the reader of stdout
closes the pipe early, and `diff --exit-code` says whether the networks differ."""

import subprocess
import sys

from .cli import ROOT, cli

# resnet50 has 4.09G multiply-adds (He et al. 2015, Table 1: 3.8 x 10^9 FLOPs)
FAILING = ("flops", "resnet50", "--max-flops", "1G")


def closed_early(*args) -> subprocess.CompletedProcess:
    """`resdsl ARGS` whose stdout reader is gone before it writes a byte."""
    process = subprocess.Popen([sys.executable, "-m", "resdsl", *args], cwd=ROOT,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()
    stderr = process.stderr.read()
    process.stderr.close()
    return subprocess.CompletedProcess(args, process.wait(timeout=300), "", stderr)


def test_a_failed_budget_exits_1_when_stdout_is_closed_early():
    for fmt in ("table", "json"):
        done = closed_early(*FAILING, "--format", fmt)
        assert done.returncode == 1, done.stderr
        assert "error[E701]: resnet50 has 4.09G multiply-adds, over the command line's --max-flops" \
            in done.stderr
        assert "Traceback" not in done.stderr
    done = closed_early("check", "resnet50", "--max-params", "10M")
    assert done.returncode == 1 and "error[E701]" in done.stderr


def test_a_passing_budget_still_exits_0_when_stdout_is_closed_early():
    done = closed_early("flops", "resnet50", "--max-flops", "5G")
    assert done.returncode == 0 and done.stderr == ""


def test_the_status_survives_head_in_a_shell_pipeline():
    command = f"set -o pipefail; {sys.executable} -m resdsl {' '.join(FAILING)} | head -1"
    done = subprocess.run(["bash", "-c", command], cwd=ROOT, capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 1, done.stderr
    assert len(done.stdout.splitlines()) == 1 and "error[E701]" in done.stderr


def test_the_json_diagnostics_are_written_when_stdout_is_closed_early():
    done = closed_early(*FAILING, "--error-format", "json")
    assert done.returncode == 1
    assert '"code": "E701"' in done.stderr.splitlines()[-1]


def test_a_failed_budget_still_prints_the_report_first():
    result = cli(*FAILING)
    assert result.returncode == 1
    assert "layer3" in result.stdout and "error[E701]" in result.stderr


def test_diff_exit_code_is_1_when_the_networks_differ():
    result = cli("diff", "resnet18", "resnet34", "--exit-code")
    assert result.returncode == 1, result.output
    assert "error" not in result.output  # a difference is an answer, not a failure
    assert cli("diff", "resnet18", "resnet34").returncode == 0  # without the flag, as git diff


def test_diff_exit_code_is_0_when_the_networks_are_the_same(tmp_path):
    assert cli("diff", "resnet18", "resnet18", "--exit-code").returncode == 0
    assert cli("diff", "resnet18", "resnet.rdsl:resnet18", "--exit-code", "--format", "json").returncode == 0
    (tmp_path / "ten.rdsl").write_text('use "resnet.rdsl"\nten = resnet(basic, [2, 2, 2, 2], classes: 10)\n')
    assert cli("diff", "resnet18", tmp_path / "ten.rdsl", "--exit-code").returncode == 1


def test_diff_exit_code_survives_a_closed_pipe():
    assert closed_early("diff", "resnet18", "resnet34", "--exit-code").returncode == 1
    assert closed_early("diff", "resnet18", "resnet18", "--exit-code").returncode == 0
