#!/usr/bin/env bash
# Serve the case overview in Voilà on the embedded SQLite store (demo data on first start).
# Prints the URL to open. Extra arguments go to `bwcases serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/bwcases serve --demo 300 "$@"
