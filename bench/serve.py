"""The playground's keystroke-to-diagram time: a real `resdsl serve`, and the page's request for
each keystroke (POST /api/check: parse, build, check, costs and the diagram's SVG), timed from
sending it to having the whole answer.

    python bench/serve.py                 # 30 keystrokes per case; medians and 95th percentiles
    python bench/serve.py -n 10 --assert  # exit 1 if a median misses its target

Each keystroke changes the text (the default number of classes, so the head's box changes too),
as typing does: nothing is answered from a cache of the same text. The page sends a request once
typing pauses for 200 ms (its debounce), which these times do not include.
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARCH = ROOT / "architectures"
# (label, bundled file, network, level, target median in seconds)
CASES = [("resnet50, block level", "resnet.rdsl", "resnet50", "block", 0.150),
         ("resnet110, layer level", "cifar.rdsl", "resnet110", "layer", 0.500)]


def interpreter() -> str:
    venv = ROOT / ".venv" / "bin" / "python"
    return str(venv) if venv.is_file() else sys.executable


def start_server() -> tuple[subprocess.Popen, int]:
    process = subprocess.Popen([interpreter(), "-m", "resdsl", "serve", "--port", "0"], cwd=ROOT,
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    found = re.search(r"http://[^:]+:(\d+)/", process.stderr.readline())
    if not found:
        process.kill()
        raise SystemExit("resdsl serve did not start: " + process.stderr.read())
    return process, int(found.group(1))


def keystrokes(text: str, count: int) -> list[str]:
    """`count` texts, each one keystroke from the last: the template's default classes edited."""
    found = re.search(r"classes = (\d+)", text)
    if not found:
        raise SystemExit("the file has no 'classes = N' to edit")
    start, end, classes = found.start(1), found.end(1), int(found.group(1))
    return [text[:start] + str(classes + k % 9) + text[end:] for k in range(count)]


def post(connection: http.client.HTTPConnection, body: dict) -> tuple[float, dict]:
    payload = json.dumps(body).encode()
    start = time.perf_counter()
    connection.request("POST", "/api/check", payload, {"content-type": "application/json"})
    answer = connection.getresponse().read()
    took = time.perf_counter() - start
    return took, json.loads(answer)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(port: int, case: tuple, count: int) -> list[float]:
    _label, file, network, level, _target = case
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    texts = keystrokes((ARCH / file).read_text(), count + 3)
    times = []
    for k, text in enumerate(texts):
        took, result = post(connection, {"text": text, "level": level, "fold": False, "network": network})
        broken = [d for d in result["diagnostics"] if not d["code"].startswith("E70")]
        if broken or not result["svg"]:  # (an `expect` that other classes miss is expected)
            raise SystemExit(f"{network}: no diagram: {broken}")
        if k >= 3:  # the first ones wake the workers
            times.append(took)
    connection.close()
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", type=int, default=30, help="keystrokes per case (default 30)")
    parser.add_argument("--assert", dest="check", action="store_true",
                        help="exit 1 if a median misses its target")
    args = parser.parse_args(argv)
    process, port = start_server()
    try:
        rows = [(case, measure(port, case, args.n)) for case in CASES]
    finally:
        process.terminate()
        process.wait(10)
    print(f"{'case':<26}{'median':>10}{'p95':>10}{'target':>10}")
    missed = False
    for (label, *_rest, target), times in rows:
        median = statistics.median(times)
        missed |= median > target
        print(f"{label:<26}{median * 1000:>8.0f}ms{percentile(times, 0.95) * 1000:>8.0f}ms"
              f"{target * 1000:>8.0f}ms" + ("  MISSED" if median > target else ""))
    print(f"({args.n} keystrokes each, API round trip including the SVG)")
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
