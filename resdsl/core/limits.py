"""Resource guards, checked before anything is expanded or allocated.

Defaults admit ResNet-1202 and generated networks of 100k layers; each message names the
environment variable that raises its limit.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from .errors import LimitError


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
    # what torch may be asked to allocate: 1G parameters are 4 GB of float32; 16 GiB of
    # activations hold ResNet-50's forward at 224x224 for a batch of about 100
    params: int = _env_int("RESDSL_MAX_PARAMS", 1_000_000_000)
    activation_bytes: int = _env_int("RESDSL_MAX_ACTIVATION_BYTES", 16 << 30)
    ir_bytes: int = _env_int("RESDSL_MAX_IR_BYTES", 256 << 20)
    # a weights or checkpoint file: 1G float32 parameters (RESDSL_MAX_PARAMS) and their momentum
    weights_bytes: int = _env_int("RESDSL_MAX_WEIGHTS_BYTES", 9 << 30)
    derivations: int = _env_int("RESDSL_MAX_DERIVATIONS", 200)  # `a = b with ...` chains
    expression_depth: int = 200  # operators nested in one expression (the evaluator recurses)
    magnitude: int = 10 ** 40  # the largest number arithmetic may make


LIMITS = Limits()


# The limit errors raised at several places, each naming the variable that raises its limit.

def too_many_layers(span) -> LimitError:
    return LimitError(f"the network has more than {LIMITS.layers} layers", span, code="E604",
                      hint="raise the limit with RESDSL_MAX_LAYERS")


def too_wide(message: str, span) -> LimitError:
    """Channels (or a width-like argument) over RESDSL_MAX_WIDTH."""
    return LimitError(message, span, code="E605", hint="raise it with RESDSL_MAX_WIDTH")


def too_large(message: str, span) -> LimitError:
    """A feature map's side over RESDSL_MAX_SPATIAL."""
    return LimitError(message, span, code="E605", hint="raise it with RESDSL_MAX_SPATIAL")
