import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARCH = ROOT / "architectures"


@pytest.fixture
def run_cli():
    """Run `python -m resdsl ARGS` in a fresh interpreter, as a user would."""
    def run(*args, cwd=None, env=None):
        full_env = {**os.environ, **(env or {})}
        return subprocess.run([sys.executable, "-m", "resdsl", *map(str, args)], cwd=cwd or ROOT,
                              capture_output=True, text=True, env=full_env, timeout=300)
    return run
