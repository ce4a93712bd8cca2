#!/usr/bin/env bash
# Everything CI runs, on a fresh Debian machine with Python 3.11 or on a dev box:
# installs what is missing (redis-server, chromium, nginx, the venv), then lint, types, tests.
# Arguments are passed to pytest, e.g. `scripts/test.sh -m "not cluster" -x`.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1

apt_install() {
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y "$@"
}

if ! command -v redis-server >/dev/null || ! command -v chromium >/dev/null || ! command -v nginx >/dev/null; then
    apt_install redis-server chromium nginx
fi

python="${PYTHON:-python3.11}"
command -v "$python" >/dev/null || python=python3
if [ ! -x .venv/bin/python ]; then
    # Debian's own Python needs python3-venv for ensurepip; other builds have it.
    "$python" -m venv .venv || { rm -rf .venv; apt_install python3-venv; "$python" -m venv .venv; }
fi
# Install on a new venv, or again when pyproject.toml changed since the last install.
stamp=.venv/.homewidgets-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet -e '.[test]'
    touch "$stamp"
fi

.venv/bin/ruff check .
.venv/bin/mypy

# Two pytest runs: Playwright's sync API keeps an event loop running in the main thread
# for as long as its browser lives, and pytest-asyncio's tests cannot run beside it.
# Exit 5 ("no tests collected", e.g. when a -k filter matches only one half) is fine.
status=0
.venv/bin/pytest --ignore=tests/browser "$@" || { rc=$?; [ "$rc" -eq 5 ] || status=$rc; }
.venv/bin/pytest tests/browser "$@" || { rc=$?; [ "$rc" -eq 5 ] || status=$rc; }
if [ "$status" -ne 0 ]; then
    echo "scripts/test.sh: tests failed (exit $status)" >&2
fi
exit "$status"
