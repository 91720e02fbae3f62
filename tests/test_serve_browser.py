"""The playground end to end, in headless Chromium (Debian's, driven by Playwright): a user opens
the page, loads a bundled network, makes a shape error, reads it, fixes it, and clicks the
diagram. Screenshots go to the test's temporary folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("starlette")
sync_api = pytest.importorskip("playwright.sync_api")

ROOT = Path(__file__).resolve().parent.parent
BROWSER = os.environ.get("RESDSL_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
BUILT = ROOT / "resdsl" / "serve" / "static" / "build" / "editor.js"

pytestmark = [
    pytest.mark.skipif(BROWSER is None, reason="needs Chromium (scripts/bootstrap.sh installs it)"),
    pytest.mark.skipif(not BUILT.is_file(), reason="needs the page's build (scripts/build_web.sh)"),
]

START = 'use "resnet.rdsl"\nnet = resnet18 with input 3x64x64\n'


@pytest.fixture
def server(tmp_path):
    """`resdsl serve net.rdsl --port 0`, and the URL it prints."""
    (tmp_path / "net.rdsl").write_text(START)
    process = subprocess.Popen([sys.executable, "-m", "resdsl", "serve", "net.rdsl", "--port", "0"],
                               cwd=tmp_path, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    line = process.stderr.readline()
    found = re.search(r"http://\S+/", line)
    if not found:
        process.kill()
        pytest.fail(f"the server did not start: {line}{process.stderr.read()}")
    yield found.group(0)
    process.terminate()
    process.wait(10)


def cursor_line(page) -> int:
    return page.evaluate("() => { const v = window.playground.view;"
                         " return v.state.doc.lineAt(v.state.selection.main.head).number; }")


def underlined_lines(page) -> list[int]:
    return page.evaluate("() => { const v = window.playground.view;"
                         " return [...document.querySelectorAll('.cm-lintRange-error')]"
                         ".map(e => v.state.doc.lineAt(v.posAtDOM(e)).number); }")


def select_text(page, line: int, text: str) -> None:
    """Select `text` on `line` (one that does not wrap) as a user would: click on the line, then
    move with the keys."""
    row, x, y = page.evaluate(f"""() => {{ const v = window.playground.view, l = v.state.doc.line({line});
        const at = v.coordsAtPos(l.from); return [l.text, at.left + 2, (at.top + at.bottom) / 2]; }}""")
    column = row.index(text)
    page.mouse.click(x, y)
    page.keyboard.press("End")  # (Home stops at the indentation first)
    for _ in range(len(row) - column - len(text)):
        page.keyboard.press("ArrowLeft")
    for _ in range(len(text)):
        page.keyboard.press("Shift+ArrowLeft")


def wait_status(page, pattern: str) -> None:
    page.wait_for_function(f"() => /{pattern}/.test(document.getElementById('status').textContent)",
                           timeout=30_000)


def test_a_user_makes_and_fixes_a_shape_error(server, tmp_path):
    shots = tmp_path / "shots"
    shots.mkdir()
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=BROWSER, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1400, "height": 860})
        errors: list[str] = []
        page.on("pageerror", lambda err: errors.append(str(err)))
        page.goto(server)
        page.wait_for_selector("#diagram svg", timeout=30_000)
        assert "input 3x64x64" in page.inner_text("#diagram")

        # the menu: resnet34's file, at its line, and its network picked
        page.select_option("#open", "resnet34")
        wait_status(page, "resnet34 ✔")
        assert cursor_line(page) == 21
        page.select_option("#network", "resnet34_a")  # option A: zero-padding shortcuts
        wait_status(page, "resnet34_a ✔")
        page.click("[data-tab=costs]")
        # torchvision's 21,797,672 for ResNet-34 less option B's three projections (1x1 conv
        # and BN: 64->128, 128->256, 256->512), which option A does not have
        projections = (64 * 128 + 2 * 128) + (128 * 256 + 2 * 256) + (256 * 512 + 2 * 512)
        assert f"{21_797_672 - projections:,}" in page.inner_text("#costs")
        page.screenshot(path=shots / "loaded.png")

        # a wider stem: option A cannot narrow 128 channels to layer1's 64
        select_text(page, 10, "64")
        page.keyboard.type("128")
        wait_status(page, "1 error")
        assert underlined_lines(page) == [12]  # the stage whose first block fails
        page.hover(".cm-lintRange-error")
        tooltip = page.wait_for_selector(".cm-tooltip-lint", timeout=10_000)
        assert "narrows 128 channels to 64" in tooltip.inner_text()
        assert "E403" in page.inner_text("#problems")
        page.screenshot(path=shots / "error.png")

        # the fix: layer1 as wide as the stem
        page.mouse.move(5, 5)
        select_text(page, 12, "block(64)")
        page.keyboard.type("block(128)")
        wait_status(page, "resnet34_a")
        assert underlined_lines(page) == []
        costs = page.inner_text("#costs")
        assert "128×56×56" in costs and f"{21_797_672 - projections:,}" not in costs
        page.click("[data-tab=diagram-pane]")
        assert "basic 128 × 3" in page.inner_text("#diagram")
        page.screenshot(path=shots / "fixed.png")

        # a click on a box lands on the line it comes from
        page.click("#diagram g.node:has-text('7x7 conv')")
        assert cursor_line(page) == 10
        page.click("#diagram g.node:has-text('basic 256')")
        assert cursor_line(page) == 14
        page.screenshot(path=shots / "clicked.png")

        # the diff against the file as saved, then nothing written until Save
        page.click("[data-tab=diff]")
        assert "resnet34_a" not in (tmp_path / "net.rdsl").read_text()
        assert page.locator("table.diff tr.changed").count() == 2  # lines 10 and 12

        # hover and completion: the language server's answers, in the page
        x, y = page.evaluate("""() => { const v = window.playground.view, l = v.state.doc.line(10);
            const at = v.coordsAtPos(l.from + l.text.indexOf(": conv") + 3);
            return [at.left + 4, (at.top + at.bottom) / 2]; }""")
        page.mouse.move(x - 3, y)
        page.mouse.move(x, y)
        hover = page.wait_for_selector(".cm-tooltip-hover .cm-hover-doc", timeout=10_000)
        assert "conv (op)" in hover.inner_text() and "kernel" in hover.inner_text()
        page.screenshot(path=shots / "hover.png")
        select_text(page, 11, "maxpool")
        page.keyboard.press("End")
        page.keyboard.press("Enter")
        page.keyboard.type("bottl")
        menu = page.wait_for_selector(".cm-tooltip-autocomplete", timeout=10_000)
        assert "bottleneck" in menu.inner_text()
        page.screenshot(path=shots / "complete.png")
        browser.close()
    assert errors == []
    assert (tmp_path / "net.rdsl").read_text() == START
    for shot in ("loaded", "error", "fixed", "clicked"):
        assert (shots / f"{shot}.png").stat().st_size > 10_000
    if os.environ.get("RESDSL_KEEP_SHOTS"):  # to look at them: RESDSL_KEEP_SHOTS=folder
        shutil.copytree(shots, os.environ["RESDSL_KEEP_SHOTS"], dirs_exist_ok=True)
