"""`resdsl serve` as a user starts it: where it listens, what it refuses before it starts, and
that the playground never imports torch."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .cli import cli, python_process
from .test_extras import hide

pytest.importorskip("starlette")
pytest.importorskip("uvicorn")


def start(*args, cwd: Path | None = None):
    """`resdsl serve ARGS` in a process of its own; the URL it prints once it listens."""
    process = subprocess.Popen([sys.executable, "-m", "resdsl", "serve", "--port", "0", *map(str, args)],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=cwd)
    lines = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        lines.append(line)
        found = re.search(r"http://(\S+):(\d+)/", line)
        if found:
            return process, found.group(1), int(found.group(2)), lines
        if not line and process.poll() is not None:
            break
    process.kill()
    raise AssertionError("no URL printed: " + "".join(lines))


def listening_addresses(pid: int, port: int) -> set[str]:
    """The local addresses a process listens on at `port`, from the kernel's own table."""
    found = set()
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except OSError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, hex_port = local.split(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                if table == "tcp":
                    found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
                else:
                    found.add(address)
    return found


@pytest.mark.skipif(not Path("/proc/self/net/tcp").exists(), reason="reads Linux's socket table")
def test_it_listens_on_loopback_only_by_default():
    process, host, port, _ = start()
    try:
        assert host == "127.0.0.1"
        assert listening_addresses(process.pid, port) == {"127.0.0.1"}
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
    finally:
        process.terminate()
        process.wait(10)


def test_another_host_is_warned_about_loudly():
    process, host, port, lines = start("--host", "0.0.0.0")
    try:
        assert host == "0.0.0.0"
        warning = "".join(lines)
        assert "warning: listening on 0.0.0.0" in warning and "anyone who can reach" in warning
    finally:
        process.terminate()
        process.wait(10)


def test_a_busy_port_is_one_diagnostic():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        result = cli("serve", "--port", taken.getsockname()[1])
    assert result.returncode == 1
    assert "error[E1023]: cannot listen on 127.0.0.1:" in result.output
    assert "Traceback" not in result.output


def test_only_rdsl_files_are_served_for_editing(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("mine\n")
    result = cli("serve", notes)
    assert result.returncode == 1 and "error[E1026]" in result.output
    result = cli("serve", tmp_path / "no" / "such" / "net.rdsl")
    assert result.returncode == 1 and "its folder does not exist" in result.output


def test_without_the_extra_it_names_the_extra(monkeypatch):
    hide(monkeypatch, "starlette")
    result = cli("serve")
    assert result.returncode == 1 and "error[E913]" in result.output
    assert "pip install 'resdsl[serve]'" in result.output


def test_the_playground_never_imports_torch():
    code = ("import sys\n"
            "from starlette.testclient import TestClient\n"
            "from resdsl.serve.app import Settings, hosts_for, make_app\n"
            "from resdsl.serve.pipeline import check_text\n"
            "from resdsl.core.resources import architectures_dir\n"
            "text = (architectures_dir() / 'resnet.rdsl').read_text()\n"
            "result = check_text(text, 'layer', True, 'resnet50', name='r.rdsl', home=str(architectures_dir()))\n"
            "assert result['svg'] and not result['diagnostics'], result['diagnostics']\n"
            "with TestClient(make_app(Settings(None, hosts_for('127.0.0.1', 80)))) as c:\n"
            "    assert c.get('/api/networks', headers={'host': '127.0.0.1'}).status_code == 200\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    result = python_process(code)
    assert result.returncode == 0, result.output


def test_the_benchmark_runs_and_reports_both_cases():
    root = Path(__file__).resolve().parent.parent
    done = subprocess.run([sys.executable, str(root / "bench" / "serve.py"), "-n", "2"], cwd=root,
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = done.stdout.splitlines()
    assert rows[1].startswith("resnet50, block level") and rows[2].startswith("resnet110, layer level")
    assert all(re.search(r"\d+ms\s+\d+ms\s+(150|500)ms", row) for row in rows[1:3])
