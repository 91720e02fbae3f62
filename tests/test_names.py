"""Layer names: one node-id rule (the grammar, the IR schema and the code generator agree on it)
and the groups a dotted path sits in."""

import json
import re

from resdsl.core.names import NODE_ID, prefixes

from .conftest import ROOT


def test_a_dotted_path_sits_in_each_of_its_leading_parts():
    assert prefixes("layer1.0.conv1") == ["layer1", "layer1.0"]
    assert prefixes("downsample.1") == ["downsample"]
    assert prefixes("fc") == []


def test_a_node_id_is_dotted_parts_of_letters_digits_underscores_and_dashes():
    for name in ("fc", "layer1.0.conv1", "0", "conv-1._x", "Mixed_5b.branch1x1"):
        assert NODE_ID.fullmatch(name), name
    for name in ("", ".fc", "fc.", "a..b", "-a", "a.-b", "a b", "a/b", "a{0}", "é"):
        assert not NODE_ID.fullmatch(name), name


def test_the_grammar_and_the_ir_schema_spell_the_same_rule():
    grammar = (ROOT / "grammar" / "resdsl.lark").read_text()
    path = re.search(r"^PATH\.\d+: /(.*)\(\?=.*/$", grammar, re.MULTILINE).group(1)  # then a lookahead for ':'
    assert path == NODE_ID.pattern
    schema = json.loads((ROOT / "resdsl" / "ir" / "schema" / "ir-v1.json").read_text())
    assert schema["$defs"]["node"]["properties"]["id"]["pattern"] == f"^{NODE_ID.pattern}$"
