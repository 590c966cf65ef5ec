#!/usr/bin/env bash
# A throwaway PostgreSQL 15 cluster for the database-outage test
# (tests/api/outage.rs). It is stopped and started while a server uses it,
# so it must never be the shared `15 main` cluster that the rest of the
# suite uses in parallel.
#
#   scripts/pg-outage.sh up      create it if needed, start it, print its URL
#   scripts/pg-outage.sh stop    stop it (fast shutdown: the outage)
#   scripts/pg-outage.sh start   start it again
#   scripts/pg-outage.sh drop    stop and remove it
#   scripts/pg-outage.sh check   the outage check: up, then the test
#                                (PostgreSQL stopped and started under load),
#                                then drop; prints and asserts SPEC §12's
#                                three figures: time to 503 while down, the
#                                slowest answer and the statuses during the
#                                restart, time to the first success once back
#
# Needs PostgreSQL 15 installed (scripts/pg.sh installs it) and root or sudo.
set -euo pipefail

CLUSTER=outage
PORT=${PG_OUTAGE_PORT:-5439}
PG_USER=tessera
PG_PASSWORD=tessera
PG_DB=tessera_outage

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! command -v pg_ctlcluster >/dev/null 2>&1; then
  echo "pg-outage.sh: PostgreSQL is not installed (run scripts/pg.sh first)" >&2
  exit 1
fi

exists() { pg_lsclusters -h 2>/dev/null | grep -q "^15 \+$CLUSTER "; }
online() { pg_lsclusters -h 2>/dev/null | grep -q "^15 \+$CLUSTER .*online"; }
psql_admin() { as_root su postgres -c "psql -p $PORT -qtAX $*"; }

case "${1:-}" in
  up)
    if ! exists; then
      as_root pg_createcluster 15 "$CLUSTER" -p "$PORT" >/dev/null
    fi
    if ! online; then as_root pg_ctlcluster 15 "$CLUSTER" start >&2; fi
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
    echo "postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$PORT/$PG_DB"
    ;;
  stop)
    if online; then as_root pg_ctlcluster 15 "$CLUSTER" stop -m fast >&2; fi
    ;;
  start)
    if ! online; then as_root pg_ctlcluster 15 "$CLUSTER" start >&2; fi
    ;;
  drop)
    if exists; then
      as_root pg_dropcluster --stop 15 "$CLUSTER" >&2
    fi
    ;;
  check)
    url=$("$0" up)
    trap '"$0" drop || true' EXIT
    out=$(mktemp)
    set +e
    (cd "$(dirname "$0")/.." && TEST_OUTAGE_DATABASE_URL="$url" cargo test --test api \
      outage::postgres_stopped_and_started_while_serving -- --ignored --exact --nocapture) 2>&1 \
      | tee "$out"
    status=${PIPESTATUS[0]}
    set -e
    echo "== database outage figures (SPEC section 12)"
    grep '^outage figure:' "$out" || echo "no figures: the test stopped before measuring"
    rm -f "$out"
    exit "$status"
    ;;
  *)
    echo "usage: scripts/pg-outage.sh up|stop|start|drop|check" >&2
    exit 2
    ;;
esac
