#!/usr/bin/env bash
# Make .venv and install bwcases into it from pyproject.toml (with the test extras when asked).
set -euo pipefail
cd "$(dirname "$0")/.."
extras=${1:-}
python=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  if ! "$python" -m venv .venv 2>/dev/null; then
    rm -rf .venv
    scripts/system-packages.sh python3-venv
    "$python" -m venv .venv
  fi
fi
stamp=".venv/.installed-$(cat pyproject.toml | sha1sum | cut -c1-12)${extras:+-$extras}"
if [ ! -f "$stamp" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e ".${extras:+[$extras]}"
  touch "$stamp"
fi
