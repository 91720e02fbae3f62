"""Editor-neutral analysis of resdsl source: pure functions of a text, its path and a position,
returning plain data (dicts, lists and strings, ready for JSON). The language server
(resdsl.lsp) and the playground both answer their editors with these.

Positions are 1-based lines and columns counted in characters (code points), the convention of
the diagnostics' spans (`--error-format json`); ranges end at an exclusive column. `path` is the
file the text is (its folder is where `use` looks first), or None for an unsaved text, which may
`use` the bundled library only.

Rule: imports resdsl.core, resdsl.netgraph, resdsl.language, resdsl.analysis and resdsl.targets;
never torch, never an editor protocol's types.
"""

from .diagnostics import diagnostics, place_in
from .hover import hover

__all__ = ["diagnostics", "place_in", "hover"]
