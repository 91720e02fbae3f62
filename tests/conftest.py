import os
from pathlib import Path

import pytest

from .cli import cli_process

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
    """`python -m resdsl ARGS` in a fresh interpreter (tests/cli.py's cli_process)."""
    return cli_process


@pytest.fixture
def one_thread():
    """Runs compared bit for bit use the same thread count (a subprocess gets OMP_NUM_THREADS=1)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
