#!/usr/bin/env bash
# Counts the user-space instructions one /auth request costs, with
# valgrind's callgrind: steady where the machine's speed is not, so a
# change of a few percent on the gate's path shows (docs/PERFORMANCE.md).
#
#   BENCH_KEEP=1 BENCH_ONLY=g bench/run.sh      # once: keeps its databases
#   bench/instructions.sh WORK [TOKENS] [STATUS] [BINARY]
#
# WORK is the directory that run printed ("work directory kept"); TOKENS a
# file of tokens in it, one presented per request at random: g-tokens.txt
# (the default; 1,000 tokens), g-bad.txt (bad checksums, STATUS 401), or a
# file of one line for the steady path without cache refills. BINARY
# defaults to target/release/tessera; `ceiling` counts bench/ceiling.
#
# Under valgrind SHA-256 runs in software (the CPU's SHA extensions are
# hidden from it), so a good token's count includes its HMAC at about 3,600
# instructions per compression.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=${1:?usage: bench/instructions.sh WORK [TOKENS] [STATUS] [BINARY]}
TOKENS=${2:-g-tokens.txt}
STATUS=${3:-204}
BINARY=${4:-$ROOT/target/release/tessera}
PORT=18490
command -v valgrind >/dev/null || { echo "valgrind is needed (apt-get install valgrind)" >&2; exit 1; }

OUT=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$OUT"' EXIT
if [ "$BINARY" = ceiling ]; then
  STATUS=200
  valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.%p" \
    "$ROOT/target/release/tessera-ceiling" 127.0.0.1:$PORT "$WORK/empty" >"$OUT/log" 2>&1 &
else
  TESSERA_SECRET_KEY=$(cat "$WORK/secret-key") TESSERA_LOG=warn \
    TESSERA_DATABASE_URL="sqlite://$WORK/gate.db" \
    valgrind --tool=callgrind --callgrind-out-file="$OUT/cg.%p" \
    "$BINARY" serve --bind 127.0.0.1:$PORT >"$OUT/log" 2>&1 &
fi
PID=$!
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$PORT/healthz" && break
  sleep 0.5
done

URL="http://127.0.0.1:$PORT/auth?scope=app:read"
load() {
  wrk -t1 -c8 -d"$1" -s "$ROOT/bench/lua/bench.lua" "$URL" \
    -- gate "$WORK/$TOKENS" "/auth?scope=app:read" "$STATUS"
}
load 4s >/dev/null # every token read once, the code paths warm
callgrind_control -z "$PID" >/dev/null 2>&1
RESULT=$(load 8s | grep '^RESULT ')
callgrind_control -d "$PID" >/dev/null 2>&1
sleep 1
REQUESTS=$(sed -n 's/.* requests=\([0-9]*\).*/\1/p' <<<"$RESULT")
NON2XX=$(sed -n 's/.* non2xx=\([0-9]*\).*/\1/p' <<<"$RESULT")
[ "$NON2XX" = 0 ] || { echo "unexpected statuses: $RESULT" >&2; exit 1; }
DUMP=$(ls "$OUT"/cg."$PID".* | head -1)
TOTAL=$(awk '/^(summary|totals):/ {print $2; exit}' "$DUMP")
echo "$(basename "$BINARY") $TOKENS: $REQUESTS requests, $((TOTAL / REQUESTS)) instructions per request"
