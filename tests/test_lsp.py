"""`resdsl lsp` driven as an editor drives it: one server process for this module, JSON-RPC
framed on its standard input and output, every range checked against positions found in the
test's own text (LSP positions: 0-based lines, UTF-16 columns)."""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("pygls")

ROOT = Path(__file__).resolve().parent.parent
WAIT = 30.0  # seconds for any one answer (the first analysis imports the front end)


class Client:
    """A minimal LSP client: framed requests out, framed answers and notifications in."""

    def __init__(self):
        self.process = subprocess.Popen([sys.executable, "-m", "resdsl", "lsp"], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        stderr=subprocess.PIPE)
        self.messages: queue.Queue = queue.Queue()
        self.notes: list[dict] = []
        self.next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        stream = self.process.stdout
        while True:
            headers = {}
            while (line := stream.readline()) not in (b"\r\n", b""):
                key, _, value = line.decode().partition(":")
                headers[key.strip().lower()] = value.strip()
            if not headers:
                return
            self.messages.put(json.loads(stream.read(int(headers["content-length"]))))

    def send(self, *messages: dict) -> None:
        """Write messages to the server, several at once in one write."""
        framed = b""
        for message in messages:
            body = json.dumps({"jsonrpc": "2.0", **message}).encode()
            framed += b"Content-Length: %d\r\n\r\n" % len(body) + body
        self.process.stdin.write(framed)
        self.process.stdin.flush()

    def notify(self, method: str, params: dict) -> None:
        self.send({"method": method, "params": params})

    def request(self, method: str, params: dict | None) -> dict | list | None:
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params})
        while True:
            message = self.messages.get(timeout=WAIT)
            if message.get("id") == self.next_id and "method" not in message:
                assert "error" not in message, message
                return message["result"]
            self.notes.append(message)

    def diagnostics(self, uri: str, version: int) -> list[dict]:
        """The diagnostics published for `uri` at `version` (waiting for them)."""
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            for note in self.notes:
                params = note.get("params", {})
                if note.get("method") == "textDocument/publishDiagnostics" and \
                        params["uri"] == uri and params.get("version") == version:
                    return params["diagnostics"]
            try:
                self.notes.append(self.messages.get(timeout=1))
            except queue.Empty:
                pass
        raise AssertionError(f"no diagnostics for {uri} version {version}")


def position(text: str, needle: str, offset: int = 0) -> dict:
    """The LSP position of `needle` in `text` (plus `offset` characters); the texts here are
    ASCII, so characters are UTF-16 units."""
    index = text.index(needle) + offset
    return {"line": text.count("\n", 0, index), "character": index - (text.rfind("\n", 0, index) + 1)}


def span(text: str, needle: str) -> dict:
    start = position(text, needle)
    return {"start": start, "end": {"line": start["line"], "character": start["character"] + len(needle)}}


TEXT = """\
# one 3x3 convolution and a sum
block pair(width) {
    c1: conv 3x3, width;  relu
    c2: conv 3x3, width
    add shortcut;  relu
}

network small(classes = 10) {
    input 3x32x32
    stem: conv 3x3, 16;  relu
    stage s1: pair(16) x 2
    avgpool;  fc classes
}

net = small()
"""


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lsp")
    (folder / "small.rdsl").write_text(TEXT)
    found = Client()
    answer = found.request("initialize", {"processId": None, "rootUri": folder.as_uri(),
                                          "capabilities": {}})
    capabilities = answer["capabilities"]
    assert capabilities["hoverProvider"] and capabilities["definitionProvider"]
    assert capabilities["documentFormattingProvider"] and capabilities["documentSymbolProvider"]
    assert "completionProvider" in capabilities
    found.notify("initialized", {})
    found.uri = (folder / "small.rdsl").as_uri()
    found.notify("textDocument/didOpen", {"textDocument": {
        "uri": found.uri, "languageId": "rdsl", "version": 1, "text": TEXT}})
    yield found
    assert found.request("shutdown", None) is None
    found.notify("exit", None)
    assert found.process.wait(timeout=WAIT) == 0


def test_open_then_change_publishes_diagnostics_at_their_exact_ranges(client):
    assert client.diagnostics(client.uri, 1) == []
    broken = TEXT.replace("relu\n    c2", "relux\n    c2")
    change = span(TEXT, "relu\n")["start"]
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": client.uri, "version": 2},
        "contentChanges": [{"range": {"start": change, "end": {**change, "character": change["character"] + 4}},
                            "text": "relux"}]})
    (found,) = client.diagnostics(client.uri, 2)
    assert found["range"] == span(broken, "relux")
    assert found["code"] == "E202" and found["severity"] == 1 and found["source"] == "resdsl"
    assert "resdsl explain E202" in found["message"]
    page, _, anchor = found["codeDescription"]["href"].partition("#")
    assert page == (ROOT / "docs" / "errors.md").as_uri()
    heading = next(line for line in (ROOT / "docs" / "errors.md").read_text().splitlines()
                   if line.startswith("#### E202:"))
    slug = "".join(c for c in heading.lstrip("# ").lower() if c.isalnum() or c in " -_")
    assert anchor == slug.replace(" ", "-")  # the heading's anchor, as Markdown viewers make it
    client.notify("textDocument/didChange", {"textDocument": {"uri": client.uri, "version": 3},
                                             "contentChanges": [{"text": TEXT}]})
    assert client.diagnostics(client.uri, 3) == []


def test_hover_on_a_conv_gives_its_figures_at_its_range(client):
    found = client.request("textDocument/hover", {"textDocument": {"uri": client.uri},
                                                  "position": position(TEXT, "stem:", 2)})
    assert found["range"] == span(TEXT, "stem: conv 3x3, 16")
    text = found["contents"]["value"]
    assert "16x32x32" in text and f"{16 * 3 * 3 * 3:,} params" in text  # 16 filters of 3x3x3


def test_definition_of_a_block_call_is_the_blocks_name(client):
    found = client.request("textDocument/definition", {"textDocument": {"uri": client.uri},
                                                       "position": position(TEXT, "pair(16)", 1)})
    assert found == [{"uri": client.uri, "range": span(TEXT, "pair")}]


def test_completion_offers_the_ops_arguments_and_the_blocks(client):
    line = position(TEXT, "avgpool")
    found = client.request("textDocument/completion", {"textDocument": {"uri": client.uri},
                                                       "position": line})
    labels = {item["label"] for item in found["items"]}
    assert {"conv", "bn", "relu", "pair", "stage", "input"} <= labels
    after = position(TEXT, "stem: conv 3x3, 16", len("stem: conv 3x3, 16"))
    client.notify("textDocument/didChange", {
        "textDocument": {"uri": client.uri, "version": 4},
        "contentChanges": [{"range": {"start": after, "end": after}, "text": ", "}]})
    found = client.request("textDocument/completion", {"textDocument": {"uri": client.uri},
                                                       "position": {**after, "character": after["character"] + 2}})
    labels = {item["label"] for item in found["items"]}
    assert {"stride", "padding", "groups", "bias"} <= labels and "kernel" not in labels
    client.notify("textDocument/didChange", {"textDocument": {"uri": client.uri, "version": 5},
                                             "contentChanges": [{"text": TEXT}]})


def test_document_symbols_are_the_blocks_networks_and_stages(client):
    found = client.request("textDocument/documentSymbol", {"textDocument": {"uri": client.uri}})
    assert [s["name"] for s in found] == ["pair", "small", "net"]
    (stage,) = found[1]["children"]
    assert stage["name"] == "s1" and stage["selectionRange"] == span(TEXT, "s1")


def test_formatting_is_one_edit_of_the_whole_text_in_fmts_layout(client):
    untidy = TEXT.replace("c2: conv 3x3, width", "c2:conv 3x3 ,width")
    client.notify("textDocument/didChange", {"textDocument": {"uri": client.uri, "version": 6},
                                             "contentChanges": [{"text": untidy}]})
    found = client.request("textDocument/formatting", {"textDocument": {"uri": client.uri},
                                                       "options": {"tabSize": 4, "insertSpaces": True}})
    try:
        from resdsl.format import format_text
    except ImportError:  # without the formatter the server answers with no edit
        assert found == []
        return
    expected = format_text(untidy, None)
    assert expected != untidy
    last = untidy.count("\n")
    assert found == [{"range": {"start": {"line": 0, "character": 0},
                                "end": {"line": last, "character": 0}}, "newText": expected}]


def test_rename_a_block_edits_each_of_its_uses(client):
    client.notify("textDocument/didChange", {"textDocument": {"uri": client.uri, "version": 7},
                                             "contentChanges": [{"text": TEXT}]})
    found = client.request("textDocument/rename", {"textDocument": {"uri": client.uri},
                                                   "position": position(TEXT, "pair(16)"),
                                                   "newName": "duo"})
    call = position(TEXT, "pair(16)")
    assert found == {"changes": {client.uri: [
        {"range": span(TEXT, "pair"), "newText": "duo"},
        {"range": {"start": call, "end": {**call, "character": call["character"] + 4}}, "newText": "duo"}]}}


def test_a_position_after_a_wide_character_is_counted_in_utf16_units(client):
    text = TEXT.replace('stage s1: pair(16)', 'stage s1 "\U0001F600 s": pairx(16)')
    client.notify("textDocument/didChange", {"textDocument": {"uri": client.uri, "version": 8},
                                             "contentChanges": [{"text": text}]})
    (found,) = client.diagnostics(client.uri, 8)
    start = position(text, "pairx")
    start["character"] += 1  # the emoji before it is one character but two UTF-16 units
    assert found["range"] == {"start": start, "end": {**start, "character": start["character"] + 5}}


def test_changes_in_a_burst_are_analysed_once(client):
    client.send(*({"method": "textDocument/didChange",  # as fast as a keyboard repeats, faster
                   "params": {"textDocument": {"uri": client.uri, "version": version},
                              "contentChanges": [{"text": TEXT + "#" * version}]}}
                  for version in (20, 21, 22)))
    assert client.diagnostics(client.uri, 22) == []
    published = {n["params"].get("version") for n in client.notes
                 if n.get("method") == "textDocument/publishDiagnostics"}
    assert not published & {20, 21}


def test_a_quick_fix_writes_the_name_a_hint_suggests(client):
    text = TEXT.replace("stage s1: pair(16)", "stage s1: piar(16)")
    client.notify("textDocument/didChange", {"textDocument": {"uri": client.uri, "version": 30},
                                             "contentChanges": [{"text": text}]})
    (found,) = client.diagnostics(client.uri, 30)
    actions = client.request("textDocument/codeAction", {
        "textDocument": {"uri": client.uri}, "range": found["range"],
        "context": {"diagnostics": [found]}})
    assert [a["title"] for a in actions] == ["Change 'piar' to 'pair'"]
    assert actions[0]["edit"] == {"changes": {client.uri: [{"range": span(text, "piar"), "newText": "pair"}]}}
