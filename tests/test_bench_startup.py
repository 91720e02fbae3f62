"""bench/startup.py: the table's shape and the exit status it gives, not the timings."""

import subprocess
import sys

from .conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
import startup  # noqa: E402


def test_one_run_of_each_command_gives_a_table_of_three_rows():
    result = subprocess.run([sys.executable, str(ROOT / "bench" / "startup.py"), "-n", "1"],
                            capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr  # over the target or not: no --assert
    _, table, verdict = result.stdout.split("\n\n")
    header, rule, *rows = table.splitlines()
    assert header.split() == ["command", "median", "s", "min", "s", "ratio", "cpu", "s", "cpu", "ratio"]
    assert set(rule) == {"-", " "}
    assert [row[:len(rule.split()[0])].strip() for row in rows] == [
        "import networkx, lark, click", "resdsl flops resnet50", "resdsl check resnet50"]
    assert rows[0].split()[-3] == "1.00" and rows[0].split()[-1] == "1.00"  # the baseline's own ratio
    assert verdict.startswith("worst ratio ")


def test_ratios_are_medians_over_the_baselines_median_and_assert_fails_over_the_target(monkeypatch, capsys):
    times = {"base": [(1.0, 0.5), (3.0, 0.5), (2.0, 0.5)], "slow": [(3.0, 1.0), (3.4, 1.0), (3.2, 1.0)],
             "fast": [(2.0, 0.6), (2.0, 0.6), (2.0, 0.6)]}
    text, worst = startup.table(times)
    assert abs(worst - 3.2 / 2.0) < 1e-9
    assert text.splitlines()[3].split() == ["slow", "3.200", "3.000", "1.60", "1.000", "2.00"]
    monkeypatch.setattr(startup, "measure", lambda argvs, repeat: times)
    assert startup.main(["-n", "1", "--assert"]) == 0  # 1.60 is within 1.6x
    times["slow"].append((9.0, 1.0))
    times["slow"].append((9.0, 1.0))  # the median becomes 3.4
    assert startup.main(["-n", "1", "--assert"]) == 1
    assert startup.main(["-n", "1"]) == 0
    assert "over the target of 1.6x" in capsys.readouterr().out
