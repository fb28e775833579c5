#!/usr/bin/env bash
# Start Debian's PostgreSQL server and make the test role and database; prints the URL to use.
# Only the URL goes to stdout: what the server tools say (e.g. "Removed stale pid file.") goes to
# stderr, so that callers can capture the URL with $(...).
set -euo pipefail
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
ver=$(ls /usr/lib/postgresql | sort -n | tail -1)
if ! pg_lsclusters -h | grep -q "^$ver main"; then
  $sudo pg_createcluster "$ver" main >&2
fi
if ! pg_lsclusters -h | grep "^$ver main" | grep -q online; then
  $sudo pg_ctlcluster "$ver" main start >&2
fi
for _ in $(seq 1 30); do
  pg_isready -q -h 127.0.0.1 -p 5432 && break
  sleep 1
done
as_pg() { (cd / && $sudo su postgres -c "$1"); }
as_pg "psql -qtAc \"SELECT 1 FROM pg_roles WHERE rolname='bwcases'\"" | grep -q 1 ||
  as_pg "psql -qc \"CREATE ROLE bwcases LOGIN SUPERUSER PASSWORD 'bwcases'\"" >&2
db=${BWCASES_PG_DB:-bwcases_test}
as_pg "psql -qtAc \"SELECT 1 FROM pg_database WHERE datname='$db'\"" | grep -q 1 ||
  as_pg "createdb -O bwcases $db" >&2
echo "postgresql+psycopg://bwcases:bwcases@127.0.0.1:5432/$db"
