#!/usr/bin/env bash
# The demo in one command on a fresh Debian machine with Python 3.11: makes the venv,
# installs the package, then runs service + refresh worker + simulated products.
# With HOMEWIDGETS_REDIS_URL set it runs on that Redis; unset, on the embedded L2.
# Arguments go to `homewidgets demo` (e.g. --port 8080).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
stamp=.venv/.homewidgets-installed-demo
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e .
    touch "$stamp"
fi
exec .venv/bin/homewidgets demo "$@"
