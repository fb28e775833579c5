#!/usr/bin/env bash
# Run the whole test suite: sets up .venv, Debian's chromium and postgresql, and a PostgreSQL
# server; then lint, type checks and pytest on SQLite and PostgreSQL. Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")"
scripts/system-packages.sh chromium postgresql poppler-utils libpango-1.0-0 libpangoft2-1.0-0 fonts-noto-core \
  libreoffice-calc-nogui
scripts/setup.sh test
BWCASES_TEST_PG=$(scripts/postgres.sh)
export BWCASES_TEST_PG BWCASES_REQUIRE_PG=1
.venv/bin/ruff check bwcases tests benchmarks
.venv/bin/ruff format --check bwcases tests benchmarks
.venv/bin/mypy
.venv/bin/lint-imports --no-cache
.venv/bin/pytest "$@"
