#!/usr/bin/env bash
# Build the playground page's editor (CodeMirror 6, from web/) into resdsl/serve/static/build/,
# which is not committed: run this before `pip wheel .` or `python -m build` so that the wheel
# carries the page. Needs node and npm; the packages come from web/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/../web"
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules ]; then
    npm ci --no-audit --no-fund --loglevel=error
fi
npm run --silent build -- --log-level=warning
echo "built $(cd .. && ls resdsl/serve/static/build/editor.js)"
