"""Resource guards, checked before anything is expanded or allocated.

Defaults admit ResNet-1202 and generated networks of 100k layers; each message names the
environment variable that raises its limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Limits:
    source_bytes: int = _env_int("RESDSL_MAX_SOURCE_BYTES", 1_000_000)
    literal_digits: int = 30
    nesting: int = _env_int("RESDSL_MAX_NESTING", 64)
    repeat: int = _env_int("RESDSL_MAX_REPEAT", 10_000)
    layers: int = _env_int("RESDSL_MAX_LAYERS", 250_000)
    block_depth: int = 32
    width: int = _env_int("RESDSL_MAX_WIDTH", 1 << 20)
    spatial: int = _env_int("RESDSL_MAX_SPATIAL", 1 << 16)


LIMITS = Limits()
