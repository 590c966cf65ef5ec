#!/usr/bin/env bash
# Starts the local PostgreSQL 15 cluster (installing it if needed) and makes
# sure a role and database for tessera's tests exist. Prints the URL to use.
# Used by scripts/test.sh and bench/run.sh.
set -euo pipefail

PG_USER=${PG_USER:-tessera}
PG_PASSWORD=${PG_PASSWORD:-tessera}
PG_DB=${PG_DB:-tessera_test}

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "pg.sh: installing PostgreSQL 15" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq postgresql-15 >&2
fi
if ! pg_lsclusters -h 2>/dev/null | grep -q '^15 \+main'; then
  as_root pg_createcluster 15 main >&2
fi
if ! pg_lsclusters -h | grep -q '^15 \+main .*online'; then
  as_root pg_ctlcluster 15 main start >&2
fi
port=$(pg_lsclusters -h | awk '$1=="15" && $2=="main" {print $3}')
psql_admin() { as_root su postgres -c "psql -p $port -qtAX $*"; }
for _ in $(seq 1 30); do
  psql_admin "-c 'select 1'" >/dev/null 2>&1 && break
  sleep 0.5
done
if [ "$(psql_admin "-c \"select 1 from pg_roles where rolname='$PG_USER'\"")" != 1 ]; then
  psql_admin "-c \"create role $PG_USER login superuser password '$PG_PASSWORD'\"" >&2
fi
if [ "$(psql_admin "-c \"select 1 from pg_database where datname='$PG_DB'\"")" != 1 ]; then
  psql_admin "-c \"create database $PG_DB owner $PG_USER\"" >&2
fi
echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB"
