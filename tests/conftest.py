import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCH = ROOT / "architectures"

# pytest-xdist runs one worker per core; torch's own intra-op threads on top oversubscribe the
# cores (measured: the every-network forward test took 3.7x the time). Set before torch loads.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(autouse=True, scope="session")
def _no_terminal_size():
    """The terminal's size is each test's to choose: pytest-xdist's workers set COLUMNS=80 and
    LINES=24, which the CLI's tables follow, so a run with -n 2 would see narrower tables."""
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


@pytest.fixture
def run_cli():
    """Run `python -m resdsl ARGS` in a fresh interpreter, as a user would."""
    def run(*args, cwd=None, env=None):
        full_env = {**os.environ, **(env or {})}
        return subprocess.run([sys.executable, "-m", "resdsl", *map(str, args)], cwd=cwd or ROOT,
                              capture_output=True, text=True, env=full_env, timeout=300)
    return run
