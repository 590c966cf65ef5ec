#!/usr/bin/env bash
# tessera's load benchmark: one command, about three minutes once built.
#
#   bench/run.sh
#
# Builds the release binary and the bare actix-web ceiling (bench/ceiling),
# seeds accounts and tokens, and drives each scenario with wrk on 127.0.0.1:
# the server (and, for PostgreSQL, the backends serving it) on CPU 0, wrk on
# CPU 1. Every run lasts BENCH_WARMUP + BENCH_DURATION seconds; nothing is
# unbounded. Prints a table and PASS/FAIL for each target of
# docs/PERFORMANCE.md, and exits 1 if any target fails.
#
# Scenarios:
#   (f) the ceiling: actix-web answering a fixed JSON body as large as (a)'s;
#       run before (a), (e) and (b), each compared with the run just before it
#   (a) GET /profile/tokens.json, Bearer token, 10 tokens listed, SQLite
#   (b) the same on PostgreSQL (scripts/pg.sh, database tessera_bench)
#   (c) (a) with 1,000 and with 1,000,000 tokens in the database
#   (d) POST /profile/tokens.json: token creation, spread over 1,000 accounts
#   (e) GET /profile: the Account Preferences page, signed in, 50 tokens
#   (g) GET /auth?scope=app:read, the reverse proxies' gate: 10,000 tokens
#       in the database, each request presenting one of 1,000 at random, on
#       SQLite and PostgreSQL; the same with a rate limit on every token;
#       tokens with a bad checksum; through nginx (deploy/nginx/tessera.conf:
#       nginx -> /auth -> upstream, against nginx -> upstream alone, the
#       upstream being the ceiling; at 32 connections, and on one
#       connection for the latency /auth adds). Compared with a ceiling run
#       answering an empty body.
#
# The servers run with TESSERA_LOG=warn: the per-request access log line
# is measured separately (BENCH_LOG=info runs everything with it on).
#
# Settings (environment): BENCH_DURATION (10), BENCH_WARMUP (2),
# BENCH_CONNECTIONS (32), BENCH_LOG (warn), BENCH_SKIP_PG=1 to leave out (b),
# BENCH_KEEP=1 to keep the work directory, BENCH_BIG (1000000) for (c),
# BENCH_ONLY="a b ..." to run only those scenarios (and (f), which every
# ratio needs): a partial run, whose verdicts cover what ran.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

DURATION=${BENCH_DURATION:-10}
WARMUP=${BENCH_WARMUP:-2}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
LOG_LEVEL=${BENCH_LOG:-warn}
BIG=${BENCH_BIG:-1000000}
SERVER_CPU=0
LOAD_CPU=1
PORT=18480
CEILING_PORT=18481
ONLY=${BENCH_ONLY:-}
STARTED=$(date +%s)
# want X: whether scenario X is part of this run.
want() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }

say() { printf '== %s\n' "$*" >&2; }
# 1000000 -> 1,000,000, whatever the locale.
commas() { sed ':a;s/\B[0-9]\{3\}\>/,&/;ta' <<<"$1"; }
die() { printf 'bench: %s\n' "$*" >&2; exit 2; }

# --- tools -----------------------------------------------------------------
need=()
command -v wrk >/dev/null || need+=(wrk)
command -v sqlite3 >/dev/null || need+=(sqlite3)
command -v curl >/dev/null || need+=(curl)
command -v taskset >/dev/null || need+=(util-linux)
command -v python3 >/dev/null || need+=(python3)
if [[ -z "$ONLY" || " $ONLY " == *" g "* ]]; then
  command -v nginx >/dev/null || need+=(nginx)
fi
if [ ${#need[@]} -gt 0 ]; then
  say "installing ${need[*]}"
  as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${need[@]}" >&2
fi
[ "$(nproc --all)" -ge 2 ] || die "needs two CPUs: one for the server, one for wrk"
# Other work on the machine shows in every figure (the ratios to (f) and
# the CPU time per request suffer least), so say how busy it was.
load_now() { cut -d' ' -f1 /proc/loadavg; }

# --- build -----------------------------------------------------------------
say "building (cargo build --release; bench/ceiling into the same target/)"
cargo build --release --quiet
cargo build --release --quiet --manifest-path bench/ceiling/Cargo.toml --target-dir target
TESSERA=$ROOT/target/release/tessera
CEILING=$ROOT/target/release/tessera-ceiling
BUILT=$(date +%s)
LOAD_BEFORE=$(load_now)
if awk -v l="$LOAD_BEFORE" 'BEGIN {exit !(l > 1.5)}'; then
  say "warning: load average $LOAD_BEFORE before the first run; other work will skew the figures"
fi

WORK=$(mktemp -d /tmp/tessera-bench.XXXXXX)
SERVER_PID=
# Processes besides the measured server (nginx, its upstream), stopped at
# the end of their scenario or of the run.
EXTRA_PIDS=()
stop_extra() {
  local pid
  for pid in "${EXTRA_PIDS[@]}"; do
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  EXTRA_PIDS=()
}
cleanup() {
  stop_server
  stop_extra
  if [ -n "${BENCH_KEEP:-}" ]; then
    echo "bench: work directory kept: $WORK" >&2
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# One key for every database of this run: PostgreSQL requires one, and the
# minted tokens of (d) are hashed with it.
KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
export TESSERA_SECRET_KEY=$KEY
# With BENCH_KEEP, the kept databases can be served again with this key.
echo "$KEY" >"$WORK/secret-key"

# --- servers ---------------------------------------------------------------
# start_server NAME URL [VAR=VALUE...]: tessera on CPU 0, waits for /healthz.
start_server() {
  local name=$1 url=$2
  shift 2
  env "$@" TESSERA_LOG="$LOG_LEVEL" TESSERA_DATABASE_URL="$url" \
    taskset -c $SERVER_CPU "$TESSERA" serve --bind 127.0.0.1:$PORT \
    >"$WORK/$name.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$PORT/healthz" "$WORK/$name.log"
}

start_ceiling() {
  taskset -c $SERVER_CPU "$CEILING" 127.0.0.1:$CEILING_PORT "$1" >>"$WORK/ceiling.log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$CEILING_PORT/" "$WORK/ceiling.log"
}

wait_ready() {
  for _ in $(seq 1 100); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$2" >&2; die "server exited"; }
    sleep 0.1
  done
  cat "$2" >&2
  die "server did not answer $1 within 10 s"
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status"; }

# CPU time, in ms, used so far by the given processes (all their threads):
# what a request costs, whatever else the machine is doing.
TICKS=$(getconf CLK_TCK)
cpu_ms() {
  local total=0 pid
  for pid in "$@"; do
    total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo $((total * 1000 / TICKS))
}
PG_PIDS=()

# --- load ------------------------------------------------------------------
declare -A RPS P50 P99 NON2XX LABEL CPU PG_CPU VS
ORDER=()
# The ceiling run each scenario is compared with: the one just before it.
# The machine's speed drifts over a run (other guests of the host take
# turns), so a ratio is taken between runs a few seconds apart.
CEIL=f

# measure KEY LABEL URL [wrk args...] -- [script args]: a warm-up run, then
# the measured run; keeps its figures under KEY.
measure() {
  local key=$1 label=$2 url=$3
  shift 3
  local wrk_args=() script_args=()
  while [ $# -gt 0 ] && [ "$1" != "--" ]; do wrk_args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  script_args=("${@:-get}")
  say "$label"
  local common=(-t1 -c"$CONNECTIONS" --timeout 5s -s "$ROOT/bench/lua/bench.lua")
  taskset -c $LOAD_CPU wrk "${common[@]}" -d"${WARMUP}s" "${wrk_args[@]}" "$url" \
    -- "${script_args[@]}" >"$WORK/$key.warmup" 2>&1
  local cpu0 pg0 cpu1 pg1
  cpu0=$(cpu_ms "$SERVER_PID")
  pg0=$(cpu_ms "${PG_PIDS[@]}")
  taskset -c $LOAD_CPU wrk "${common[@]}" -d"${DURATION}s" --latency "${wrk_args[@]}" "$url" \
    -- "${script_args[@]}" >"$WORK/$key.wrk" 2>&1
  cpu1=$(cpu_ms "$SERVER_PID")
  pg1=$(cpu_ms "${PG_PIDS[@]}")
  local line
  line=$(grep '^RESULT ' "$WORK/$key.wrk") || { cat "$WORK/$key.wrk" >&2; die "wrk failed for $key"; }
  field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$line"; }
  RPS[$key]=$(field rps)
  P50[$key]=$(field p50_us)
  P99[$key]=$(field p99_us)
  # Socket errors and timeouts count as failures too.
  NON2XX[$key]=$(($(field non2xx) + $(field socket_errors)))
  LABEL[$key]=$label
  local n
  n=$(field requests)
  CPU[$key]=$(((cpu1 - cpu0) * 1000 / (n > 0 ? n : 1)))
  PG_CPU[$key]=$(((pg1 - pg0) * 1000 / (n > 0 ? n : 1)))
  VS[$key]=$CEIL
  ORDER+=("$key")
}

# --- seeding ---------------------------------------------------------------
SQLITE_DB=$WORK/bench.db
SQLITE_URL=sqlite://$SQLITE_DB

# sqlite_fill DB TOTAL: new accounts seedNNNNNNN, each holding 100 tokens
# (the per-user cap), until the table has TOTAL rows; hashes are random 32-byte
# blobs, unique by the table's constraint. Nobody can present these tokens:
# they are there to make the index and the table as large as a real one.
sqlite_fill() {
  local db=$1 target=$2
  sqlite3 "$db" <<SQL
PRAGMA synchronous = OFF;
-- Keep the whole index being built in memory: written once, at commit.
PRAGMA cache_size = -1000000;
BEGIN;
CREATE TEMP TABLE want AS SELECT $target - (SELECT count(*) FROM api_tokens) AS n,
  (SELECT coalesce(max(id), 0) FROM accounts) AS base;
WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k
                        WHERE i < ((SELECT n FROM want) + 99) / 100)
INSERT INTO accounts (id, account_id, username, display_name, password_hash, role, active, created_at)
SELECT base + i, printf('acc_seed%07d', base + i), printf('seed%07d', base + i), 'Seeded', '!', 'user', 1,
       '2026-01-01 00:00:00'
FROM k, want WHERE (SELECT n FROM want) > 0;
WITH RECURSIVE t(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM t WHERE i + 1 < (SELECT n FROM want))
INSERT INTO api_tokens (account_id, label, prefix, token_hash, scopes, active, created_at)
SELECT (SELECT base FROM want) + 1 + i / 100, 'seeded ' || i,
       'tsr_' || substr(hex(randomblob(4)), 1, 8), randomblob(32), 'profile:read tokens:read', 1,
       '2026-01-01 00:00:00'
FROM t WHERE (SELECT n FROM want) > 0;
COMMIT;
SQL
}

# sqlite_tokens_for DB USERNAME N: N more tokens for one account (they show
# in its list; their secrets are unknown).
sqlite_tokens_for() {
  sqlite3 "$1" <<SQL
WITH RECURSIVE t(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM t WHERE i < $3)
INSERT INTO api_tokens (account_id, label, prefix, token_hash, scopes, active, created_at, expires_at)
SELECT (SELECT id FROM accounts WHERE username = '$2'), 'Token number ' || i,
       'tsr_' || substr(hex(randomblob(4)), 1, 8), randomblob(32),
       'profile:read tokens:read', 1, datetime('now', '-' || i || ' hours'),
       CASE WHEN i % 2 = 0 THEN datetime('now', '+30 days') END
FROM t;
SQL
}

# mint N: N tokens in tessera's format (SPEC §2), one per line, with the
# hex of their HMAC under this run's key: "token hash". Only (d) needs
# tokens whose secrets are known in bulk; the CLI makes them one at a time.
mint() {
  python3 - "$1" "$KEY" <<'PY'
import hashlib, hmac, secrets, sys, zlib
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
n, key = int(sys.argv[1]), bytes.fromhex(sys.argv[2])
for _ in range(n):
    body = "tsr_" + "".join(secrets.choice(B62) for _ in range(32))
    c, sum_ = zlib.crc32(body.encode()), ""
    for _ in range(6):
        sum_, c = B62[c % 62] + sum_, c // 62
    token = body + sum_
    print(token, hmac.new(key, token.encode(), hashlib.sha256).hexdigest())
PY
}

cli() { TESSERA_DATABASE_URL=$1 "$TESSERA" "${@:2}"; }

say "seeding SQLite: account bench with 10 tokens"
cli "$SQLITE_URL" migrate >/dev/null
cli "$SQLITE_URL" user create bench >/dev/null
CALLER=$(cli "$SQLITE_URL" token create --user bench --label "bench caller" \
  --scope profile:read --scope tokens:read)
sqlite_tokens_for "$SQLITE_DB" bench 9

# --- (f) the ceiling, with a body as large as (a)'s ------------------------
start_server a "$SQLITE_URL"
curl -fsS -H "Authorization: Bearer $CALLER" "http://127.0.0.1:$PORT/profile/tokens.json" \
  >"$WORK/a-body.json"
stop_server
BODY_BYTES=$(wc -c <"$WORK/a-body.json")
# ceiling KEY [BODY_FILE]: a run of (f), the one the next scenarios are
# compared with; (a)'s body unless told otherwise.
ceiling() {
  local body=${2:-$WORK/a-body.json}
  start_ceiling "$body"
  CEIL=$1
  measure "$1" "(f) ceiling: bare actix-web, $(wc -c <"$body") B JSON" \
    "http://127.0.0.1:$CEILING_PORT/profile/tokens.json"
  stop_server
}
ceiling f

# --- (a) -------------------------------------------------------------------
start_server a "$SQLITE_URL"
BASE=http://127.0.0.1:$PORT
RSS_A=
if want a; then
  measure a "(a) tokens.json, SQLite, 10 tokens" "$BASE/profile/tokens.json" \
    -H "Authorization: Bearer $CALLER"
  RSS_A=$(rss_kb)
fi

# --- (e) the Account Preferences page, signed in, 50 tokens ----------------
E_STATUS="not run (BENCH_ONLY)"
if want e; then
say "signing in as pages (50 tokens)"
PAGES_PASSWORD=$(cli "$SQLITE_URL" user create pages | awk '{print $NF}')
sqlite_tokens_for "$SQLITE_DB" pages 50
JAR=$WORK/cookies.txt
if LOGIN_PAGE=$(curl -fsS -c "$JAR" -b "$JAR" "$BASE/login" 2>/dev/null); then
  CSRF=$(sed -n 's/.*<meta name="csrf-token" content="\([^"]*\)".*/\1/p' <<<"$LOGIN_PAGE" | head -n1)
  code=$(curl -sS -o /dev/null -w '%{http_code}' -c "$JAR" -b "$JAR" \
    --data-urlencode username=pages --data-urlencode "password=$PAGES_PASSWORD" \
    --data-urlencode "csrf_token=$CSRF" "$BASE/login")
  # The first visit shows (and so removes) the "Signed in" message; the
  # cookie after it is the one an ordinary page view carries.
  page_code=$(curl -sS -o "$WORK/e-page.html" -w '%{http_code}' -c "$JAR" -b "$JAR" "$BASE/profile")
  page_code=$(curl -sS -o "$WORK/e-page.html" -w '%{http_code}' -c "$JAR" -b "$JAR" "$BASE/profile")
  rows=$(grep -c '<tr data-token-id=' "$WORK/e-page.html" || true)
  COOKIE=$(awk '$6 == "tessera_session" {print $7}' "$JAR")
  if [ "$code" = 303 ] && [ "$page_code" = 200 ] && [ "$rows" = 50 ] && [ -n "$COOKIE" ]; then
    # The session lives in the database: it outlasts the restart.
    stop_server
    ceiling fe
    start_server e "$SQLITE_URL"
    measure e "(e) /profile page, signed in, 50 tokens" "$BASE/profile" \
      -H "Cookie: tessera_session=$COOKIE"
    E_STATUS=ran
  else
    say "(e) skipped: sign-in answered $code, /profile $page_code with $rows token rows"
    E_STATUS="not run (sign-in $code, /profile $page_code, $rows rows)"
  fi
else
  say "(e) skipped: no /login page"
  E_STATUS="not run (no /login page)"
fi
fi
stop_server

# --- (c) 1,000 and 1,000,000 tokens in the database ------------------------
# Two databases, measured in turn twice (1,000, 1,000,000, 1,000, 1,000,000),
# so that whatever drifts during the run (the machine, the page cache after
# the big seeding) falls on both sizes alike. Noise only ever slows a run
# down, so the verdict compares each size's faster run.
RSS_C=
SEED_SECS=0
if want c; then
  say "seeding SQLite to 1,000 tokens"
  sqlite_fill "$SQLITE_DB" 1000
  C1K_DB=$WORK/c1k.db
  cp "$SQLITE_DB" "$C1K_DB"
  say "seeding SQLite to $(commas "$BIG") tokens"
  t0=$(date +%s)
  sqlite_fill "$SQLITE_DB" "$BIG"
  SEED_SECS=$(($(date +%s) - t0))
  # Write the seeded file out now, not while the server is being measured.
  sync
  for round in 1 2; do
    start_server c1k "sqlite://$C1K_DB"
    measure "c1k$round" "(c) tokens.json, SQLite, 1,000 tokens in db" \
      "$BASE/profile/tokens.json" -H "Authorization: Bearer $CALLER"
    stop_server
    start_server c1m "$SQLITE_URL"
    measure "c1m$round" "(c) tokens.json, SQLite, $(commas "$BIG") tokens in db" \
      "$BASE/profile/tokens.json" -H "Authorization: Bearer $CALLER"
    RSS_C=$(rss_kb)
    stop_server
  done
fi

# --- (d) token creation, spread over 1,000 accounts ------------------------
if want d; then
say "seeding SQLite for (d): 1,000 accounts with a tokens:write token each"
D_DB=$WORK/create.db
cli "sqlite://$D_DB" migrate >/dev/null
mint 1000 >"$WORK/d-minted.txt"
cut -d' ' -f1 "$WORK/d-minted.txt" >"$WORK/d-tokens.txt"
{
  echo "BEGIN;"
  n=0
  while read -r token hash; do
    n=$((n + 1))
    printf "INSERT INTO accounts (account_id, username, display_name, password_hash, role, active, created_at) VALUES ('acc_make%06d', 'make%06d', 'Maker', '!', 'user', 1, '2026-01-01 00:00:00');\n" $n $n
    printf "INSERT INTO api_tokens (account_id, label, prefix, token_hash, scopes, active, created_at) VALUES (last_insert_rowid(), 'maker', '%s', X'%s', 'tokens:read tokens:write', 1, '2026-01-01 00:00:00');\n" "${token:0:12}" "$hash"
  done <"$WORK/d-minted.txt"
  echo "COMMIT;"
} | sqlite3 "$D_DB"
start_server d "sqlite://$D_DB"
curl -fsS -o /dev/null -H "Authorization: Bearer $(head -n1 "$WORK/d-tokens.txt")" \
  "$BASE/profile/tokens.json" || die "a minted token was refused"
measure d "(d) POST tokens.json (create), SQLite" "$BASE/profile/tokens.json" \
  -- create "$WORK/d-tokens.txt"
stop_server
fi

# --- (b) PostgreSQL --------------------------------------------------------
B_STATUS=skipped
if want b && [ -z "${BENCH_SKIP_PG:-}" ] && PG_URL=$(PG_DB=tessera_bench scripts/pg.sh); then
  say "seeding PostgreSQL: account bench with 10 tokens"
  psql -qX "$PG_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null 2>&1
  cli "$PG_URL" migrate >/dev/null
  cli "$PG_URL" user create bench >/dev/null
  PG_CALLER=$(cli "$PG_URL" token create --user bench --label "bench caller" \
    --scope profile:read --scope tokens:read)
  psql -qX "$PG_URL" >/dev/null <<SQL
INSERT INTO api_tokens (account_id, label, prefix, token_hash, scopes, active, created_at)
SELECT (SELECT id FROM accounts WHERE username = 'bench'), 'Token number ' || i,
       'tsr_' || substr(md5(random()::text), 1, 8),
       decode(md5(random()::text) || md5(random()::text), 'hex'),
       'profile:read tokens:read', true, now() - i * interval '1 hour'
FROM generate_series(1, 9) AS i;
SQL
  ceiling fb
  start_server b "$PG_URL"
  # Warm the pool, then pin the PostgreSQL backends that serve it to the
  # server's CPU; the rest of the cluster (shared with tests) is left alone.
  taskset -c $LOAD_CPU wrk -t1 -c"$CONNECTIONS" -d1s -H "Authorization: Bearer $PG_CALLER" \
    "$BASE/profile/tokens.json" >/dev/null 2>&1
  for pid in $(psql -qtAX "$PG_URL" -c \
    "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"); do
    taskset -p -c $SERVER_CPU "$pid" >/dev/null 2>&1 && PG_PIDS+=("$pid")
  done
  say "pinned ${#PG_PIDS[@]} PostgreSQL backends to CPU $SERVER_CPU"
  measure b "(b) tokens.json, PostgreSQL, 10 tokens" "$BASE/profile/tokens.json" \
    -H "Authorization: Bearer $PG_CALLER"
  # (b) with 1,000 callers (no target): every request presents another
  # account's token, so a batch asks many tokens and lists many accounts.
  say "seeding PostgreSQL: 1,000 accounts with 10 tokens each"
  mint 1000 >"$WORK/b-minted.txt"
  cut -d' ' -f1 "$WORK/b-minted.txt" >"$WORK/b-tokens.txt"
  {
    echo "BEGIN;"
    n=0
    while read -r token hash; do
      n=$((n + 1))
      printf "WITH a AS (INSERT INTO accounts (account_id, username, display_name, password_hash, role, active, created_at) VALUES ('acc_many%06d', 'many%06d', 'Caller', '!', 'user', true, now()) RETURNING id) INSERT INTO api_tokens (account_id, label, prefix, token_hash, scopes, active, created_at) SELECT id, 'caller', '%s', decode('%s', 'hex'), 'profile:read tokens:read', true, now() FROM a;\n" $n $n "${token:0:12}" "$hash"
    done <"$WORK/b-minted.txt"
    echo "INSERT INTO api_tokens (account_id, label, prefix, token_hash, scopes, active, created_at)
      SELECT a.id, 'Token number ' || i, 'tsr_' || substr(md5(random()::text), 1, 8),
             decode(md5(random()::text) || md5(random()::text), 'hex'),
             'profile:read', true, now() - i * interval '1 hour'
      FROM accounts a, generate_series(1, 9) AS i WHERE a.username LIKE 'many%';"
    echo "COMMIT;"
    # As autovacuum would within the minute: statistics for the grown
    # tables, which also makes the server re-plan its prepared statements
    # (planned while the tables held 10 rows, they scanned them whole).
    echo "ANALYZE accounts; ANALYZE api_tokens;"
  } | psql -qX "$PG_URL" >/dev/null
  measure b1k "(b) tokens.json, PostgreSQL, 1,000 callers" "$BASE/profile/tokens.json" \
    -- list "$WORK/b-tokens.txt"
  PG_PIDS=()
  stop_server
  B_STATUS=ran
else
  say "(b) skipped: PostgreSQL not available"
fi

# --- (g) GET /auth, the reverse proxies' gate ------------------------------
# gate_seed HASH_SQL: SQL for the app:read scope, 100 accounts and the
# 10,000 tokens of g-minted.txt (100 each) holding it; HASH_SQL is the
# backend's binary literal, with %s for the hex.
gate_seed() {
  echo "BEGIN;"
  echo "INSERT INTO app_scopes (name, description, grantable_by, created_at) VALUES ('app:read', 'bench', 'user admin', '2026-01-01 00:00:00');"
  for a in $(seq 1 100); do
    printf "INSERT INTO accounts (account_id, username, display_name, password_hash, role, active, created_at) VALUES ('acc_gate%03d', 'gate%03d', 'Gate', '!', 'user', TRUE, '2026-01-01 00:00:00');\n" "$a" "$a"
  done
  local n=0 token hash
  while read -r token hash; do
    printf "INSERT INTO api_tokens (account_id, label, prefix, token_hash, scopes, active, created_at) VALUES ((SELECT id FROM accounts WHERE username = 'gate%03d'), 'gate', '%s', %s, 'app:read', TRUE, '2026-01-01 00:00:00');\n" \
      $((n / 100 + 1)) "${token:0:12}" "${1//%s/$hash}"
    n=$((n + 1))
  done <"$WORK/g-minted.txt"
  echo "COMMIT;"
}
GATE=/auth?scope=app:read
RSS_G=
G_NGINX="not run (BENCH_ONLY)"
G_PG="not run (BENCH_ONLY)"
if want g; then
  say "seeding (g): 10,000 app:read tokens over 100 accounts; 1,000 presented"
  mint 10000 >"$WORK/g-minted.txt"
  head -n 1000 "$WORK/g-minted.txt" | cut -d' ' -f1 >"$WORK/g-tokens.txt"
  # The same 1,000 with their last character changed: the checksum fails.
  awk '{ c = substr($1, 42, 1); print substr($1, 1, 41) (c == "A" ? "B" : "A") }' \
    "$WORK/g-tokens.txt" >"$WORK/g-bad.txt"
  G_DB=$WORK/gate.db
  cli "sqlite://$G_DB" migrate >/dev/null
  gate_seed "X'%s'" | sqlite3 "$G_DB"
  : >"$WORK/empty"
  ceiling fg "$WORK/empty"
  start_server g "sqlite://$G_DB"
  curl -fsS -o /dev/null -H "API-KEY: $(head -n1 "$WORK/g-tokens.txt")" "$BASE$GATE" \
    || die "a seeded gate token was refused"
  measure g "(g) /auth, SQLite, 1,000 of 10,000 tokens" "$BASE$GATE" \
    -- gate "$WORK/g-tokens.txt" "$GATE" 204
  measure gbad "(g) /auth, bad checksum" "$BASE$GATE" \
    -- gate "$WORK/g-bad.txt" "$GATE" 401
  RSS_G=$(rss_kb)
  stop_server

  sqlite3 "$G_DB" "UPDATE api_tokens SET rate_limit_per_minute = 100000;"
  ceiling fgr "$WORK/empty"
  start_server grl "sqlite://$G_DB"
  measure grl "(g) /auth, SQLite, every token rate limited" "$BASE$GATE" \
    -- gate "$WORK/g-tokens.txt" "$GATE" 204
  stop_server
  sqlite3 "$G_DB" "UPDATE api_tokens SET rate_limit_per_minute = NULL;"

  # nginx in front (deploy/nginx/tessera.conf as shipped), the ceiling as
  # the protected service; a second server block proxies straight to it.
  if command -v nginx >/dev/null; then
    NGINX_DIR=$WORK/nginx
    mkdir -p "$NGINX_DIR"
    NGINX_AUTH=18482
    NGINX_DIRECT=18483
    sed -e "s/\${LISTEN}/127.0.0.1:$NGINX_AUTH/" -e "s/\${TESSERA}/127.0.0.1:$PORT/" \
      -e "s/\${UPSTREAM}/127.0.0.1:$CEILING_PORT/" -e "s/\${SCOPE}/app:read/" \
      deploy/nginx/tessera.conf >"$NGINX_DIR/tessera.conf"
    cat >"$NGINX_DIR/nginx.conf" <<NGINX
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/error.log warn;
daemon off;
master_process off;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $NGINX_DIR/body;
  proxy_temp_path $NGINX_DIR/proxy;
  fastcgi_temp_path $NGINX_DIR/fastcgi;
  uwsgi_temp_path $NGINX_DIR/uwsgi;
  scgi_temp_path $NGINX_DIR/scgi;
  include $NGINX_DIR/tessera.conf;
  server {
    listen 127.0.0.1:$NGINX_DIRECT;
    location / {
      proxy_pass http://protected_service;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }
  }
}
NGINX
    ceiling fgn "$WORK/empty"
    start_ceiling "$WORK/empty"
    EXTRA_PIDS+=("$SERVER_PID")
    taskset -c $SERVER_CPU nginx -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" 2>>"$NGINX_DIR/error.log" &
    EXTRA_PIDS+=("$!")
    start_server gn "sqlite://$G_DB"
    measure gnd "(g) nginx -> upstream" "http://127.0.0.1:$NGINX_DIRECT/service"
    measure gna "(g) nginx -> /auth -> upstream" "http://127.0.0.1:$NGINX_AUTH/service" \
      -- gate "$WORK/g-tokens.txt" /service 200
    # The latency one person's request sees: one connection, so the CPU
    # is not saturated and a request waits for nothing but its own work.
    # (At 32 connections on one CPU, p50 is mostly the queue of the 31
    # others: it measures throughput again.)
    CONNECTIONS=1 measure gnd1 "(g) nginx -> upstream, 1 connection" \
      "http://127.0.0.1:$NGINX_DIRECT/service"
    CONNECTIONS=1 measure gna1 "(g) nginx -> /auth -> upstream, 1 connection" \
      "http://127.0.0.1:$NGINX_AUTH/service" -- gate "$WORK/g-tokens.txt" /service 200
    stop_server
    stop_extra
    G_NGINX=ran
  else
    G_NGINX="not run (no nginx)"
  fi

  if [ -z "${BENCH_SKIP_PG:-}" ] && G_PG_URL=$(PG_DB=tessera_gate scripts/pg.sh); then
    say "seeding PostgreSQL for (g)"
    psql -qX "$G_PG_URL" -c 'DROP SCHEMA public CASCADE; CREATE SCHEMA public;' >/dev/null 2>&1
    cli "$G_PG_URL" migrate >/dev/null
    gate_seed "decode('%s', 'hex')" | psql -qX "$G_PG_URL" >/dev/null
    psql -qX "$G_PG_URL" -c 'ANALYZE accounts; ANALYZE api_tokens;' >/dev/null
    ceiling fgp "$WORK/empty"
    start_server gp "$G_PG_URL"
    measure gp "(g) /auth, PostgreSQL, 1,000 of 10,000 tokens" "$BASE$GATE" \
      -- gate "$WORK/g-tokens.txt" "$GATE" 204
    stop_server
    G_PG=ran
  else
    G_PG="not run (PostgreSQL unavailable or BENCH_SKIP_PG set)"
  fi
fi

# --- report ----------------------------------------------------------------
ms() { awk -v us="$1" 'BEGIN {printf "%.2f", us / 1000}'; }
pct() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.0f%%", 100 * a / b}'; }
FAILS=0
verdict() { # verdict OK TEXT
  if [ "$1" = 1 ]; then echo "PASS  $2"; else echo "FAIL  $2"; FAILS=$((FAILS + 1)); fi
}
ge() { awk -v a="$1" -v b="$2" 'BEGIN {exit !(a >= b)}' && echo 1 || echo 0; }

echo
echo "tessera load benchmark: $(nproc) CPUs, server on CPU $SERVER_CPU, wrk on CPU $LOAD_CPU," \
  "$CONNECTIONS connections, ${DURATION}s per run after ${WARMUP}s warm-up, TESSERA_LOG=$LOG_LEVEL"
echo "load average before the runs: $LOAD_BEFORE, after: $(load_now)"
printf '%-46s %9s %8s %8s %8s %7s %10s\n' scenario "req/s" "p50 ms" "p99 ms" non-2xx "vs (f)" "CPU us/req"
for k in "${ORDER[@]}"; do
  cpu=${CPU[$k]}
  [ "${PG_CPU[$k]}" -gt 0 ] && cpu="$cpu+${PG_CPU[$k]}pg"
  printf '%-46s %9.0f %8s %8s %8d %7s %10s\n' "${LABEL[$k]}" "${RPS[$k]}" "$(ms "${P50[$k]}")" \
    "$(ms "${P99[$k]}")" "${NON2XX[$k]}" "$(pct "${RPS[$k]}" "${RPS[${VS[$k]}]}")" "$cpu"
done
echo
[ -n "$RSS_A" ] && echo "server RSS after (a): $((RSS_A / 1024)) MB"
[ -n "$RSS_G" ] && echo "server RSS after (g): $((RSS_G / 1024)) MB"
[ -n "$RSS_C" ] && echo "server RSS after (c) at $(commas "$BIG") tokens: $((RSS_C / 1024)) MB"
want c && echo "seeding $(commas "$BIG") tokens took ${SEED_SECS}s"
echo "build $((BUILT - STARTED))s, benchmark $(($(date +%s) - BUILT))s"
[ -n "$ONLY" ] && echo "partial run (BENCH_ONLY=$ONLY): verdicts for what ran"
echo
# of_f KEY SHARE: SHARE of the ceiling run KEY was compared with.
of_f() { awk -v f="${RPS[${VS[$1]}]}" -v p="$2" 'BEGIN {print f * p}'; }
vs_f() { pct "${RPS[$1]}" "${RPS[${VS[$1]}]}"; }
if want a; then
  verdict "$(ge "${RPS[a]}" "$(of_f a 0.5)")" "(a) >= 50% of (f): $(vs_f a)"
  verdict "$(ge 5000 "${P99[a]}")" "(a) p99 <= 5 ms: $(ms "${P99[a]}") ms"
  verdict "$(ge 65536 "$RSS_A")" "server RSS after (a) <= 64 MB: $((RSS_A / 1024)) MB"
fi
if ! want b; then
  :
elif [ "$B_STATUS" = ran ]; then
  verdict "$(ge "${RPS[b]}" "$(of_f b 0.2)")" "(b) >= 20% of (f): $(vs_f b)"
else
  verdict 0 "(b) >= 20% of (f): not run (PostgreSQL unavailable or BENCH_SKIP_PG set)"
fi
if want c; then
  c1k=$(awk -v x="${RPS[c1k1]}" -v y="${RPS[c1k2]}" 'BEGIN {print (x > y) ? x : y}')
  c1m=$(awk -v x="${RPS[c1m1]}" -v y="${RPS[c1m2]}" 'BEGIN {print (x > y) ? x : y}')
  verdict "$(ge "$c1m" "$(awk -v r="$c1k" 'BEGIN {print r * 0.9}')")" \
    "(c) $(commas "$BIG") tokens >= 90% of 1,000 tokens (faster of two runs each): $(pct "$c1m" "$c1k")"
fi
if ! want e; then
  :
elif [ "$E_STATUS" = ran ]; then
  verdict "$(ge "${RPS[e]}" "$(of_f e 0.25)")" "(e) >= 25% of (f): $(vs_f e)"
else
  verdict 0 "(e) >= 25% of (f): $E_STATUS"
fi
if want g; then
  verdict "$(ge "${RPS[g]}" "$(of_f g 0.7)")" "(g) /auth SQLite >= 70% of (f): $(vs_f g)"
  verdict "$(ge 2000 "${P99[g]}")" "(g) /auth SQLite p99 <= 2 ms: $(ms "${P99[g]}") ms"
  verdict "$(ge "${RPS[grl]}" "$(of_f grl 0.6)")" "(g) /auth rate limited >= 60% of (f): $(vs_f grl)"
  verdict "$(ge "${RPS[gbad]}" "$(of_f gbad 0.9)")" "(g) /auth bad checksum >= 90% of (f): $(vs_f gbad)"
  verdict "$(ge 65536 "$RSS_G")" "server RSS after (g) <= 64 MB: $((RSS_G / 1024)) MB"
  if [ "$G_PG" = ran ]; then
    verdict "$(ge "${RPS[gp]}" "$(of_f gp 0.35)")" "(g) /auth PostgreSQL >= 35% of (f): $(vs_f gp)"
  else
    verdict 0 "(g) /auth PostgreSQL >= 35% of (f): $G_PG"
  fi
  if [ "$G_NGINX" = ran ]; then
    echo "      nginx, 32 connections (saturated): /auth adds $(ms $((P50[gna] - P50[gnd]))) ms at p50, $(ms $((P99[gna] - P99[gnd]))) ms at p99"
    added50=$((P50[gna1] - P50[gnd1]))
    added99=$((P99[gna1] - P99[gnd1]))
    echo "      nginx, 1 connection: /auth adds $(ms "$added50") ms at p50, $(ms "$added99") ms at p99"
    verdict "$(ge 500 "$added50")" "(g) nginx: /auth adds < 0.5 ms at p50 (1 connection): $(ms "$added50") ms"
  else
    verdict 0 "(g) nginx: $G_NGINX"
  fi
fi
total_bad=0
for k in "${ORDER[@]}"; do total_bad=$((total_bad + NON2XX[$k])); done
verdict "$([ "$total_bad" = 0 ] && echo 1 || echo 0)" "zero non-2xx responses: $total_bad"
[ "$FAILS" = 0 ]
