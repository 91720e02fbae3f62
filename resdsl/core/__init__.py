"""Foundations every stage may import: errors and their rendering, safe file writes, where the
bundled files live, counts as people write them, resource limits, the version.

Rule: imports nothing else of resdsl."""
