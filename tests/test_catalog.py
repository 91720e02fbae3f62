"""`resdsl list` and `resdsl.list_networks`: the library as a catalogue, with wildcards, formats
that scripts read, a table as wide as the terminal, and one file per bundled name."""

import csv
import io
import json
import os
import subprocess
import sys

import resdsl
from resdsl.language.catalog import defining_files, definition_rows
from resdsl.language.library import bundled_index, open_target

from .cli import cli
from .conftest import ROOT


def test_every_bundled_name_is_defined_once_and_resolves_to_that_file():
    twice = {name: [p.name for p in paths] for name, paths in defining_files().items() if len(paths) > 1}
    assert not twice  # `resnet34` in check and in list must be the same network
    for name, path in bundled_index().items():
        target = open_target(name)
        assert target.names == [name] and target.scope.lookup(name)[1].path == path, name


def test_resnet34_is_the_one_of_resnet_rdsl():
    assert bundled_index()["resnet34"].name == "resnet.rdsl"
    assert bundled_index()["resnet34_full"].name == "resnet34.rdsl"


def test_list_networks_takes_shell_wildcards_as_timm():
    assert resdsl.list_networks("resnet5?") == ["resnet50", "resnet56"]
    assert resdsl.list_networks("*_v1")[:2] == ["resnet50_v1", "resnet101_v1"]  # natural order
    assert resdsl.list_networks("resnet[23]?") == ["resnet20", "resnet32", "resnet34"]
    assert resdsl.list_networks("no_such*") == []
    assert len(resdsl.list_networks()) == len(bundled_index())


def test_blocks_and_templates_list_their_parameters():
    rows = {(r["name"], r["file"]): r for r in definition_rows()}
    assert rows[("basic", "blocks.rdsl")]["parameters"] == ["width", "stride = 1", "drop = 0"]
    assert rows[("resnet", "resnet.rdsl")] == {"name": "resnet", "kind": "template",
                                               "file": "resnet.rdsl",
                                               "parameters": ["block", "depths", "classes = 1000"]}


def test_list_formats():
    rows = json.loads(cli("list", "resnet50", "--format", "json").stdout)
    assert rows == [{"network": "resnet50", "file": "resnet.rdsl", "input": [3, 224, 224],
                     "outputs": {"out": [1000]}, "params": 25_557_032, "macs": rows[0]["macs"]}]
    assert 4.08e9 < rows[0]["macs"] < 4.12e9  # torchvision's 4.09 GFLOPs
    table = list(csv.reader(io.StringIO(cli("list", "resnet1?", "--format", "csv").stdout)))
    assert table[0] == ["network", "file", "input", "output", "params", "multiply-adds"]
    assert [r[0] for r in table[1:]] == ["resnet18"]
    markdown = cli("list", "--blocks", "bottleneck*", "--format", "markdown").stdout
    assert markdown.splitlines()[0] == "| name | kind | file | parameters |"
    assert "| bottleneck_v1 | block | blocks.rdsl | width, stride = 1, drop = 0 |" in markdown


def test_list_table_follows_columns():
    for columns in (60, 90, 150):
        out = cli("list", "resnet5*", env={"COLUMNS": str(columns)}).stdout
        assert max(len(line) for line in out.splitlines()) <= columns
        assert "resnet50_backbone" in out  # names are never cut
    assert "detection.rdsl" in cli("list", "resnet5*", env={"COLUMNS": "150"}).stdout


def test_list_into_head_exits_quietly():
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    for args in (["list"], ["flops", "resnet110", "--by", "layer"]):
        shell = f"{sys.executable} -m resdsl {' '.join(args)} | head -n 1"
        done = subprocess.run(["bash", "-o", "pipefail", "-c", shell], cwd=ROOT, env=env,
                              capture_output=True, text=True, timeout=300)
        assert done.returncode == 0 and done.stderr == "", (args, done.stderr)
        assert len(done.stdout.splitlines()) == 1


def test_shell_completion_offers_bundled_names_then_paths():
    env = {**os.environ, "_RESDSL_COMPLETE": "bash_complete", "COMP_WORDS": "resdsl flops resnet1",
           "COMP_CWORD": "2"}
    done = subprocess.run([sys.executable, "-m", "resdsl"], env=env, capture_output=True, text=True,
                          timeout=120)
    items = done.stdout.splitlines()
    assert "plain,resnet18" in items and "plain,resnet1202" in items
    assert items[-1] == "file,resnet1"  # and the shell completes paths
