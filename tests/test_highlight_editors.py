"""The VS Code extension folder: a manifest that contributes the language, its grammar and its
configuration, files that exist, and a client that node can load the syntax of."""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from .conftest import ROOT

FOLDER = ROOT / "editors" / "vscode"


def test_the_manifest_contributes_the_language_and_the_grammar():
    manifest = json.loads((FOLDER / "package.json").read_text())
    (language,) = manifest["contributes"]["languages"]
    (grammar,) = manifest["contributes"]["grammars"]
    assert language["id"] == grammar["language"] == "rdsl" and language["extensions"] == [".rdsl"]
    assert grammar["scopeName"] == "source.rdsl"
    assert (FOLDER / grammar["path"]).is_file() and (FOLDER / language["configuration"]).is_file()
    assert (FOLDER / manifest["main"]).is_file()
    assert manifest["contributes"]["configuration"]["properties"]["resdsl.command"]["default"] == \
        ["resdsl", "lsp"]


def test_the_language_configuration_knows_comments_and_brackets():
    config = json.loads((FOLDER / "language-configuration.json").read_text())
    assert config["comments"] == {"lineComment": "#"}
    assert config["brackets"] == [["{", "}"], ["[", "]"], ["(", ")"]]


def test_the_client_is_valid_javascript():
    node = shutil.which("node")
    if node is None:
        pytest.skip("needs node")
    run = subprocess.run([node, "--check", str(FOLDER / "extension.js")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
