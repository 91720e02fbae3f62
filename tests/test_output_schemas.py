"""Every machine-readable output has a JSON Schema shipped in the package (resdsl/analysis/schema,
documented in docs/flops.md): real outputs of the bundled networks and every JSON example of the
docs validate, and a key out of place fails."""

from __future__ import annotations

import csv
import io
import json
import re
from importlib.resources import files
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from tests.cli import ROOT, cli

SCHEMAS = {path.name: json.loads(path.read_text())
           for path in Path(str(files("resdsl.analysis").joinpath("schema"))).glob("*.json")}
REGISTRY = Registry().with_resources(
    (schema["$id"], Resource.from_contents(schema)) for schema in SCHEMAS.values())


def validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(SCHEMAS[name], registry=REGISTRY)


def errors(name: str, document) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator(name).iter_errors(document)]


def output(*args) -> object:
    done = cli(*args, "--format", "json")
    assert done.returncode == 0, done.output
    return json.loads(done.stdout)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
def test_each_schema_is_draft_2020_12_with_its_version_in_its_id(name):
    schema = SCHEMAS[name]
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("/" + name)
    assert re.search(r"-v\d+\.json$", name)


def test_the_schemas_ship_with_the_package():
    text = (ROOT / "pyproject.toml").read_text()
    assert '"resdsl.analysis" = ["schema/*.json"]' in text


def test_every_bundled_network_of_every_file_fits_the_family_schema():
    listed = output("list")
    files_ = sorted({entry["file"] for entry in listed})
    assert len(files_) > 10
    for file in files_:
        data = output("flops", f"architectures/{file}", "--all")
        names = {entry["network"] for entry in listed if entry["file"] == file}
        assert {n["network"] for n in data["networks"]} == names
        assert errors("flops-family-v3.json", data) == [], file


@pytest.mark.parametrize("target,by", [
    ("resnet18", "stage"), ("resnet50", "block"), ("resnet110", "layer"),
    ("densenet121", "block"), ("mobilenet_v2", "stage"), ("inception_resnet_v2", "stage")])
def test_one_network_report_fits_its_schema(target, by):
    data = output("flops", target, "--by", by, "--batch", "2", "--max-params", "1G")
    assert data["by"] == by and data["checks"]
    assert errors("flops-v3.json", data) == []


def test_list_of_networks_and_of_blocks_fit_the_list_schema():
    networks, blocks = output("list"), output("list", "--blocks")
    assert networks and blocks
    assert errors("list-v1.json", networks) == []
    assert errors("list-v1.json", blocks) == []


@pytest.mark.parametrize("a,b", [("resnet18", "resnet34"), ("resnet34", "plain34"),
                                 ("resnet50", "wide_resnet50_2")])
def test_diff_of_two_networks_fits_the_diff_schema(a, b):
    data = output("diff", a, b)
    assert data["differences"]
    assert errors("diff-v2.json", data) == []


def test_a_key_out_of_place_or_of_the_wrong_type_fails():
    report = output("flops", "resnet18")
    renamed = {key if key != "float_ops" else "flops": value for key, value in report.items()}
    assert any("float_ops" in e for e in errors("flops-v3.json", renamed))
    row = {**report["rows"][0], "extra": 1}
    assert errors("flops-v3.json", {**report, "float_ops": 1, "rows": [row]})
    listing = output("list")
    assert errors("list-v1.json", [{**listing[0], "params": "25,557,032"}])
    assert errors("list-v1.json", [{**listing[0], "output": listing[0]["outputs"]}])


def test_check_reports_its_networks_and_files_of_blocks():
    data = output("check", "resnet18", "architectures/blocks.rdsl", "architectures/cifar.rdsl",
                  "--skip-expect")
    assert errors("check-v1.json", data) == []
    names = [n["network"] for n in data["networks"]]
    assert names[0] == "resnet18" and "resnet1202" in names and data["ok"]
    resnet18 = data["networks"][0]
    assert resnet18["params"] == 11_689_512 and resnet18["depth"] == 18  # torchvision's resnet18
    assert resnet18["checks"] == [] and data["libraries"][0]["file"] == "architectures/blocks.rdsl"


def test_a_failed_check_is_in_the_json_and_exits_1():
    done = cli("check", "resnet18", "--max-flops", "1G", "--format", "json")
    assert done.returncode == 1 and "error[E701]" in done.stderr
    data = json.loads(done.stdout)
    assert errors("check-v1.json", data) == []
    budget, = [c for c in data["networks"][0]["checks"] if c["kind"] == "budget"]
    assert budget["value"] == 10**9 and budget["ok"] is False and data["ok"] is False
    assert budget["measured"] > 1.8e9  # the paper's 1.8 GFLOPs for ResNet-18


def test_one_word_and_one_type_per_key_across_outputs():
    """`outputs` in list and flops; under `--all` each network's `layout` and `activations` are
    the one-network report's objects (the same values, not a phrase and a number)."""
    report = output("flops", "resnet20")
    family = output("flops", "architectures/cifar.rdsl", "--all")
    listed = {n["network"]: n for n in output("list", "resnet20")}
    entry = next(n for n in family["networks"] if n["network"] == "resnet20")
    assert report["outputs"] == entry["outputs"] == listed["resnet20"]["outputs"] == {"out": [10]}
    assert entry["layout"] == report["layout"] and entry["activations"] == report["activations"]
    assert report["layout"]["short"] == "shortcuts A, stride on the first 3x3 conv"


def test_train_summary_and_eval_fit_their_schemas(tmp_path):
    from tests.train_support import tiny_file

    net = tiny_file(tmp_path)
    run = tmp_path / "run"
    done = cli("train", f"{net}:tiny", "--data", "digits", "-o", run, "--iterations", "20",
               "--batch-size", "32", "--eval-every", "10", "--checkpoint-every", "10", "--quiet", "--json")
    assert done.returncode == 0, done.output
    summary = json.loads(done.stdout)
    assert summary["iterations"] == 20 and summary["data"]["classes"] == 10
    assert errors("train-summary-v1.json", summary) == []
    assert errors("train-summary-v1.json", json.loads((run / "summary.json").read_text())) == []
    assert errors("train-summary-v1.json", {**summary, "history": []})  # kept out of the summary
    done = cli("eval", f"{net}:tiny", "-w", run / "weights.safetensors", "--json")
    assert done.returncode == 0, done.output
    result = json.loads(done.stdout)
    assert result["images"] == 297  # the digits validation split
    assert errors("eval-v1.json", result) == []
    assert errors("eval-v1.json", {**result, "top1_error": 76.1})  # a fraction, not percent


# -- the examples in the docs ----------------------------------------------------------------------

def _schema_of(example) -> str | None:
    """Which output a documented JSON example shows, by its keys."""
    if isinstance(example, list):
        return "list-v1.json" if example and {"file"} <= set(example[0]) else None
    if not isinstance(example, dict):
        return None
    if "report_version" not in example:
        return next((name for key, name in (("run_dir", "train-summary-v1.json"),
                                            ("confusion_matrix", "eval-v1.json")) if key in example), None)
    if "networks" in example:
        return "check-v1.json" if "libraries" in example else "flops-family-v3.json"
    return "diff-v2.json" if "differences" in example else "flops-v3.json"


def _examples() -> list[tuple[str, object]]:
    found = []
    for page in sorted([ROOT / "README.md", *(ROOT / "docs").glob("*.md")]):
        for block in re.findall(r"```json\n(.*?)```", page.read_text(), re.S):
            try:
                example = json.loads(block)
            except json.JSONDecodeError:
                continue  # an elided example (`...`) is prose, not a document
            if _schema_of(example):
                found.append((page.name, example))
    return found


def test_the_docs_show_examples_of_these_outputs():
    assert {_schema_of(e) for _, e in _examples()} == set(SCHEMAS)


@pytest.mark.parametrize("page,example", _examples())
def test_every_documented_example_validates(page, example):
    assert errors(_schema_of(example), example) == []


def test_list_csv_writes_exact_integers_as_flops_csv_does():
    table = list(csv.DictReader(io.StringIO(cli("list", "resnet50", "--format", "csv").stdout)))
    assert table[0]["params"] == "25557032"  # torchvision's ResNet-50, not "25,557,032"
    assert 4.08e9 < int(table[0]["multiply-adds"]) < 4.12e9
