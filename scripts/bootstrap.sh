#!/usr/bin/env bash
# Set up a development environment from a fresh clone: Graphviz's dot, a virtual environment in
# .venv, torch (CPU), resdsl in editable mode with its test, export, train, lint and lsp extras. Safe to rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

# Graphviz, and a font with Helvetica's metrics: with DejaVu alone, PNGs at 80 dpi or less draw a
# title's underscore onto the next line (resdsl/viz/diagram.py, FONT).
missing=()
command -v dot >/dev/null 2>&1 || missing+=(graphviz)
fc-list 2>/dev/null | grep -i "Liberation Sans" >/dev/null || missing+=(fonts-liberation2)  # no -q: SIGPIPE + pipefail
# the playground's end-to-end test drives Debian's Chromium (Playwright with the system browser)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
if [ ${#missing[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    elif command -v sudo >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
        sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    else
        echo "warning: missing ${missing[*]}; install Graphviz (apt install graphviz, brew install graphviz)," \
             "a Helvetica-metric font (Liberation Sans) and, for the playground's browser test, Chromium" >&2
    fi
fi

PYTHON=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
# torch first and pinned: an open range would pull a multi-GB CUDA build.
if ! .venv/bin/python -c "import torch" >/dev/null 2>&1; then
    .venv/bin/pip install -q "torch==${TORCH_VERSION:-2.13.0}"
fi
.venv/bin/pip install -q -e ".[export,test,train,lint,highlight,lsp,serve,tensorboard]"

# A real TextMate engine for tests/test_textmate.py (vscode-textmate, vscode-oniguruma), where npm
# exists; without it that test says it is skipped and why.
if command -v npm >/dev/null 2>&1 && [ ! -d tests/node/node_modules/vscode-textmate ]; then
    (cd tests/node && npm install --no-audit --no-fund --loglevel=error >/dev/null) \
        || echo "warning: npm install in tests/node failed; tests/test_textmate.py will be skipped" >&2
fi
# the playground page's editor (CodeMirror, bundled from web/ with esbuild): needs npm
if command -v npm >/dev/null 2>&1; then
    bash scripts/build_web.sh
else
    echo "warning: npm not found; 'resdsl serve' will say its page is not built (scripts/build_web.sh)" >&2
fi
