"""Make docs/playground.png: the playground as a user sees it, on ResNet-34 with one block taken
out of conv4_x, so that its `expect` fails and says so under the line while the diagram and the
costs follow the edit.

    python scripts/playground_screenshot.py [-o docs/playground.png]

Needs the `serve` and `test` extras, the page's build (scripts/build_web.sh) and Chromium.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-o", "--output", type=Path, default=ROOT / "docs" / "playground.png")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    browser_path = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser_path is None:
        raise SystemExit("needs Chromium (apt install chromium)")
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "mynet.rdsl").write_text('use "resnet.rdsl"\nnet = resnet34\n')
        server = subprocess.Popen([sys.executable, "-m", "resdsl", "serve", "mynet.rdsl", "--port", "0"],
                                  cwd=folder, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
        try:
            url = re.search(r"http://\S+/", server.stderr.readline()).group(0)
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=browser_path, args=["--no-sandbox"])
                page = browser.new_page(viewport={"width": 1360, "height": 760})
                page.goto(url)
                page.wait_for_selector("#diagram svg", timeout=30_000)
                page.select_option("#open", "resnet34")
                page.wait_for_function("() => /resnet34 ✔/.test(document.getElementById('status').textContent)")
                page.evaluate("""() => {  // as typed: conv4_x with 5 blocks instead of 6
                    const v = window.playground.view, line = v.state.doc.line(21);
                    const at = line.from + line.text.indexOf("6, 3]");
                    v.dispatch({changes: {from: at, to: at + 1, insert: "5"}, selection: {anchor: at + 1}});
                }""")
                page.wait_for_function("() => / errors?$/.test(document.getElementById('status').textContent)")
                page.click("#zoom-out")
                # over the first words of the first underline (which may wrap onto two lines)
                x, y = page.evaluate("() => { const r = document.querySelector('.cm-lintRange-error')"
                                     ".getClientRects()[0]; return [r.left + 30, r.top + r.height / 2]; }")
                page.mouse.move(x - 5, y)
                page.mouse.move(x, y)
                page.wait_for_selector(".cm-tooltip-lint")
                args.output.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=args.output)
                browser.close()
        finally:
            server.terminate()
            server.wait(10)
    print(f"wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
