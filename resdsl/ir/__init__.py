"""The JSON IR backend: the typed graph as JSON, checked against a versioned JSON Schema
(schema/ir-v1.json), and read back.

Rule: imports resdsl.core and resdsl.netgraph; never torch."""

from .codec import IR_VERSION, dump, dumps, load, read, validate, validator

__all__ = ["IR_VERSION", "dump", "dumps", "load", "read", "validate", "validator"]
