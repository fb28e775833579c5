#!/usr/bin/env bash
# Serve the advisor apps in Voilà on the embedded SQLite store (demo data on first start).
# Prints the URL to open and demo sign-ins. Extra arguments go to `bwcases serve` (e.g. --port 9000).
set -euo pipefail
cd "$(dirname "$0")"
scripts/setup.sh
exec .venv/bin/bwcases serve --demo 300 "$@"
