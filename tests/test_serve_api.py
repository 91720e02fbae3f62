"""The playground's JSON API (resdsl serve), driven as the page drives it: confinement of `use`,
size and time limits, the one file it may write, and what it answers."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("starlette")
pytest.importorskip("httpx")

from starlette.testclient import TestClient  # noqa: E402

from resdsl.serve.app import Settings, hosts_for, make_app  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BASE = "http://127.0.0.1:8000"
SECRET = "hunter2-do-not-show"


def client_for(file: Path | None, timeout: float = 20.0, workers: int = 2, text: str | None = None):
    settings = Settings(file, hosts_for("127.0.0.1", 8000), workers=workers, timeout=timeout)
    return TestClient(make_app(settings, text), base_url=BASE)


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """A server editing net.rdsl, beside a secret that is not source and a symlink out."""
    folder = tmp_path_factory.mktemp("served")
    (folder / "net.rdsl").write_text("net = resnet18\n")
    (folder / "notes.txt").write_text(f"password = {SECRET}\n")
    outside = tmp_path_factory.mktemp("outside")
    (outside / "blocks2.rdsl").write_text(f"# {SECRET}\nblock b(w) {{ conv 3x3, w }}\n")
    (folder / "link.rdsl").symlink_to(outside / "blocks2.rdsl")
    with client_for(folder / "net.rdsl", text="net = resnet18\n") as client:
        client.folder = folder
        yield client


def check(client, text: str, **fields):
    response = client.post("/api/check", json={"text": text, **fields})
    assert response.status_code == 200, response.text
    return response.json()


def codes(result: dict) -> list[str]:
    return [d["code"] for d in result["diagnostics"]]


SMALL = ('use "blocks.rdsl"\n'
         "network tiny {\n"
         "    input 3x32x32\n"
         "    conv1: conv 3x3, 16; bn; relu\n"
         "    stage layer1: basic(16) x 2\n"
         "    avgpool; fc 10\n"
         "}\n")


# -- confinement ---------------------------------------------------------------------------------

@pytest.mark.parametrize("target", ["/etc/passwd", "../../../../../../etc/passwd", "/etc/shadow",
                                    "/proc/self/environ"])
def test_use_outside_the_folder_and_library_leaks_nothing(served, target):
    result = check(served, f'use "{target}"\nnet = resnet18\n')
    assert codes(result) == ["E506"] or codes(result) == ["E501"], result
    body = json.dumps(result)
    assert "root:" not in body and "/bin/" not in body and "PATH=" not in body


def test_a_symlink_out_of_the_folder_is_refused_and_not_shown(served):
    result = check(served, 'use "link.rdsl"\nnet = resnet18\n')
    assert codes(result) == ["E506"]
    assert SECRET not in json.dumps(result)


def test_a_file_not_named_rdsl_in_the_folder_is_never_quoted(served):
    result = check(served, 'use "notes.txt"\nnet = resnet18\n')
    assert codes(result) == ["E507"]
    assert SECRET not in json.dumps(result)


def test_use_finds_the_library_and_the_served_folder(served):
    (served.folder / "mine.rdsl").write_text("block mine(w) {\n    conv 3x3, w; bn; relu\n}\n")
    text = SMALL.replace('use "blocks.rdsl"\n', 'use "blocks.rdsl"\nuse "mine.rdsl"\n') \
        .replace("avgpool;", "mine(32)\n    avgpool;")
    result = check(served, text)
    assert codes(result) == [] and result["network"] == "tiny"


# -- limits -------------------------------------------------------------------------------------

def test_two_megabytes_are_refused_with_413_in_under_a_second(served):
    text = "# " + "x" * 2_000_000 + "\n"
    start = time.perf_counter()
    response = served.post("/api/check", json={"text": text})
    took = time.perf_counter() - start
    assert response.status_code == 413 and took < 1.0, (response.status_code, took)
    assert response.json()["diagnostics"][0]["code"] == "E1021"


def test_a_body_that_hides_its_length_is_cut_off(served):
    def chunks():  # no Content-Length: sent chunked, counted as it comes
        yield b'{"text": "'
        for _ in range(40):
            yield b"x" * 65536
        yield b'"}'
    start = time.perf_counter()
    response = served.post("/api/check", content=chunks(), headers={"content-type": "application/json"})
    assert response.status_code == 413 and time.perf_counter() - start < 1.0


def test_a_text_over_the_source_limit_is_413_even_when_the_body_fits(served):
    text = "#" + "\u00e9" * 600_000  # 1.2 MB of UTF-8 in a body under the body limit
    response = served.post("/api/check", json={"text": text}, headers={"content-type": "application/json"})
    assert response.status_code == 413


def test_a_resource_bomb_answers_its_diagnostic_quickly(served):
    text = SMALL.replace("basic(16) x 2", "basic(16) x 100000000")
    start = time.perf_counter()
    result = check(served, text)
    assert time.perf_counter() - start < 5.0
    assert codes(result) and all(code.startswith("E6") for code in codes(result)), result
    assert result["diagnostics"][0]["span"]["line"] == 5


def test_a_check_over_the_time_allowed_is_stopped_and_the_server_goes_on():
    resnet = (ROOT / "architectures" / "resnet.rdsl").read_text()
    with client_for(None, timeout=0.02, workers=1) as client:
        slow = check(client, resnet, network="resnet152", level="layer")
        assert codes(slow) == ["E1020"]
        client.app.app.state.workers.timeout = 30.0  # the fresh worker answers the next one
        assert codes(check(client, SMALL)) == []


# -- answers --------------------------------------------------------------------------------------

def test_check_answers_the_documented_fields_with_schema_valid_diagnostics(served):
    import jsonschema

    schema = json.loads((ROOT / "resdsl/core/schema/diagnostics-v1.json").read_text())
    result = check(served, SMALL.replace("fc 10", "fc 10\n    conv 3x3, 8"))
    assert {"diagnostics", "svg", "costs", "networks"} <= set(result)
    jsonschema.validate({"version": 1, "diagnostics": result["diagnostics"]}, schema)


def test_a_shape_error_is_placed_at_its_line_and_column(served):
    text = SMALL.replace("fc 10", "fc 10\n    add shortcut")
    [diagnostic] = check(served, text)["diagnostics"]
    assert diagnostic["severity"] == "error" and diagnostic["span"]["file"] == "net.rdsl"
    assert diagnostic["span"]["line"] == 7 and diagnostic["span"]["column"] == 5


def test_costs_are_the_networks_own(served):
    resnet = (ROOT / "architectures" / "resnet.rdsl").read_text()
    result = check(served, resnet, network="resnet34")
    costs = result["costs"]
    assert costs["params"] == 21_797_672  # torchvision's published count
    assert sum(r["params"] for r in costs["stages"]) == costs["params"]
    assert sum(r["macs"] for r in costs["blocks"]) == costs["macs"]
    assert [r["name"] for r in costs["stages"]] == ["stem", "layer1", "layer2", "layer3", "layer4", "head"]
    assert len([r for r in costs["blocks"] if r["kind"] == "block"]) == 3 + 4 + 6 + 3
    assert {c["line"] for c in costs["checks"]} == {21} and all(c["ok"] for c in costs["checks"])
    assert result["networks"][:5] == ["resnet18", "resnet34", "resnet50", "resnet101", "resnet152"]


def test_diagram_boxes_carry_their_source_lines(served):
    resnet = (ROOT / "architectures" / "resnet.rdsl").read_text()
    svg = check(served, resnet, network="resnet34", level="block")["svg"]
    assert svg.startswith("<svg")
    lines = dict(__import__("re").findall(r'data-box="resnet34/([^"]+)" data-line="(\d+)"', svg))
    # the stem's conv on its line, each stage's blocks on their stage statement, fc on line 16
    assert lines["conv1"] == "10" and lines["maxpool"] == "11"
    assert lines["layer1.0-2"] == "12" and lines["layer4.0"] == "15" and lines["fc"] == "16"


def test_a_failed_check_still_shows_the_diagram(served):
    result = check(served, SMALL.replace("fc 10", "fc 10\n    budget params <= 1K")
                   .replace("network tiny {", "network tiny {\n    budget params <= 1K"))
    assert "E701" in codes(result) and result["svg"]


def test_networks_and_a_bundled_source(served):
    names = served.get("/api/networks").json()["networks"]
    assert "resnet34" in names and "resnet110" in names
    found = served.get("/api/network/resnet34").json()
    assert found["file"] == "resnet.rdsl" and found["line"] == 21
    assert found["text"] == (ROOT / "architectures" / "resnet.rdsl").read_text()
    missing = served.get("/api/network/..%2F..%2Fetc%2Fpasswd")
    assert missing.status_code == 404 and "root:" not in missing.text


def test_the_language_words_come_from_the_grammar_and_the_op_table(served):
    from resdsl.netgraph.ops import ALIASES, OPS

    words = served.get("/api/language").json()
    assert {"network", "stage", "use", "expect", "budget", "with", "shortcuts"} <= set(words["keywords"])
    grammar = (ROOT / "grammar" / "resdsl.lark").read_text()
    assert all(f'"{word}"' in grammar for word in words["keywords"])
    assert set(words["ops"]) == set(OPS) | set(ALIASES)


# -- saving ---------------------------------------------------------------------------------------

def test_save_writes_only_the_served_file(served, tmp_path):
    other = tmp_path / "other.rdsl"
    before = {p.name for p in served.folder.iterdir()}
    response = served.post("/api/save", json={"text": SMALL, "file": str(other), "path": str(other)})
    assert response.status_code == 200, response.text
    assert (served.folder / "net.rdsl").read_text() == SMALL
    assert not other.exists()
    assert {p.name for p in served.folder.iterdir()} == before  # no temporary left behind
    assert served.get("/api/file").json() == {"file": "net.rdsl", "text": SMALL}


def test_save_without_a_file_writes_nothing(tmp_path):
    with client_for(None) as client:
        response = client.post("/api/save", json={"text": SMALL})
    assert response.status_code == 409 and response.json()["diagnostics"][0]["code"] == "E1022"


def test_requests_from_elsewhere_are_refused(served):
    assert served.get("/api/networks", headers={"host": "attacker.example:8000"}).status_code == 421
    response = served.post("/api/save", json={"text": "oops"}, headers={"origin": "http://attacker.example"})
    assert response.status_code == 403
    response = served.post("/api/save", content=json.dumps({"text": "oops"}), headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "oops" not in (served.folder / "net.rdsl").read_text()


def test_bad_fields_are_refused_with_their_reason(served):
    response = served.post("/api/check", json={"text": SMALL, "level": "pixels"})
    assert response.status_code == 400 and "pixels" in response.json()["message"]
    assert served.post("/api/check", json=["not", "an", "object"]).status_code == 400


def test_concurrent_tabs_get_their_own_answers(served):
    texts = {n: SMALL.replace("fc 10", f"fc {n}") for n in (3, 5, 7, 11, 13, 17)}
    answers: dict[int, dict] = {}

    def tab(n):
        answers[n] = check(served, texts[n], level="layer")

    threads = [threading.Thread(target=tab, args=(n,)) for n in texts]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for n, result in answers.items():
        assert list(result["costs"]["outputs"].values()) == [[n]]


def test_the_page_is_served_with_a_strict_content_policy(served):
    page = served.get("/")
    if page.status_code == 503:
        pytest.skip("the page's editor is not built here (scripts/build_web.sh)")
    assert page.status_code == 200 and '<div id="editor">' in page.text
    policy = page.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "script-src" not in policy.replace("default-src", "")
    assert served.get("/static/style.css").status_code == 200
    assert served.get("/static/../app.py").status_code == 404


def test_without_the_built_editor_the_page_says_how_to_build_it(served, monkeypatch, tmp_path):
    import resdsl.serve.app as app_module

    monkeypatch.setattr(app_module, "EDITOR", tmp_path / "editor.js")
    page = served.get("/")
    assert page.status_code == 503 and "scripts/build_web.sh" in page.text
    assert served.get("/api/networks").status_code == 200  # the API works without it


# -- hover and completion (the language server's answers) -----------------------------------------

def test_hover_on_an_op_gives_its_arguments_and_the_layers_figures(served):
    resnet = (ROOT / "architectures" / "resnet.rdsl").read_text()
    answer = served.post("/api/hover", json={"text": resnet, "line": 10, "column": 14}).json()["hover"]
    assert answer["range"] == {"line": 10, "column": 12, "end_line": 10, "end_column": 16}
    assert "**conv** (op)" in answer["markdown"] and "`kernel`" in answer["markdown"]
    # ResNet-34's 7x7 stem conv: 3 * 64 * 49 weights; 112 * 112 outputs of 147 multiply-adds each
    assert f"{3 * 64 * 49:,} params" in answer["markdown"]
    assert served.post("/api/hover", json={"text": resnet, "line": 6, "column": 1}).json() == {"hover": None}


def test_completion_offers_ops_and_the_blocks_in_scope(served):
    text = SMALL.replace("    avgpool; fc 10\n", "    ba\n    avgpool; fc 10\n")
    items = served.post("/api/complete", json={"text": text, "line": 6, "column": 7}).json()["items"]
    labels = {item["label"] for item in items}
    assert {"conv", "bn", "relu"} <= labels and {"basic", "bottleneck"} <= labels
    assert all({"label", "kind", "insert"} <= set(item) for item in items)


def test_hover_and_completion_refuse_a_position_that_is_not_one(served):
    for route in ("/api/hover", "/api/complete"):
        response = served.post(route, json={"text": SMALL, "line": 0, "column": "3"})
        assert response.status_code == 400 and "line" in response.json()["message"]


def test_allow_use_reaches_the_workers(tmp_path):
    from resdsl.language.sources import allow_folders

    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "mine.rdsl").write_text("block mine(w) {\n    conv 3x3, w; bn; relu\n}\n")
    text = SMALL.replace('use "blocks.rdsl"\n', f'use "blocks.rdsl"\nuse "{shared / "mine.rdsl"}"\n') \
        .replace("avgpool;", "mine(32)\n    avgpool;")
    try:
        allow_folders([shared])  # as `resdsl --allow-use shared serve` does
        with client_for(None, workers=1) as client:
            assert codes(check(client, text)) == []
    finally:
        allow_folders([])
    with client_for(None, workers=1) as client:
        assert codes(check(client, text)) == ["E506"]
