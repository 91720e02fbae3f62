"""Editor-neutral analysis of resdsl source: pure functions of a text, its path and a position,
returning plain data (dicts, lists and strings, ready for JSON). The language server
(resdsl.lsp) and the playground both answer their editors with these:

- `diagnostics(text, path)`: the `--error-format json` objects; `place_in` says where one shows,
  `fix_of` the edit its hint suggests;
- `hover(text, path, line, column)`: markdown and the range it is about;
- `definition(text, path, line, column)`: where the name at the position is defined;
- `completions(text, path, line, column)`: what may be written there;
- `symbols(text, path)`: the outline (templates, networks, blocks and their stages);
- `rename(text, path, line, column, new_name, workspace)`: the edits that rename a block or
  template in every file given.

Positions are 1-based lines and columns counted in characters (code points), the convention of
the diagnostics' spans (`--error-format json`); ranges end at an exclusive column. `path` is the
file the text is (its folder is where `use` looks first), or None for an unsaved text, which may
`use` the bundled library only.

Rule: imports resdsl.core, resdsl.netgraph, resdsl.language, resdsl.analysis and resdsl.targets;
never torch, never an editor protocol's types.
"""

from .complete import completions
from .diagnostics import diagnostics, fix_of, place_in
from .hover import hover
from .navigate import definition, symbols
from .rename import rename

__all__ = ["completions", "definition", "diagnostics", "fix_of", "hover", "place_in", "rename",
           "symbols"]
