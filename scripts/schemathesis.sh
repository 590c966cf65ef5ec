#!/usr/bin/env bash
# Property-based tests of the JSON API with schemathesis, driven by the
# server's own /openapi.json: every operation gets generated valid and
# invalid requests, and every answer is checked (no 5xx, status and body as
# documented, 405 for undocumented methods, auth enforced, ...).
#
#   scripts/schemathesis.sh              # SQLite in a temporary directory
#   SCHEMATHESIS_MAX_EXAMPLES=200 scripts/schemathesis.sh
#
# The caller is an admin holding a token with every scope. Schemathesis
# installs into a virtualenv under ~/.cache (SCHEMATHESIS_VENV). Traffic
# goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${SCHEMATHESIS_VENV:-$HOME/.cache/tessera/schemathesis-venv}
MAX_EXAMPLES=${SCHEMATHESIS_MAX_EXAMPLES:-50}

if [ ! -x "$VENV/bin/schemathesis" ]; then
  echo "schemathesis.sh: installing schemathesis into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'schemathesis>=4.32,<5'
fi

cargo build --quiet --bin tessera
bin=${CARGO_TARGET_DIR:-$PWD/target}/debug/tessera

work=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

export TESSERA_DATABASE_URL=sqlite://$work/schemathesis.db
export TESSERA_LOG=warn TESSERA_MAX_TOKENS_PER_USER=1000000
"$bin" migrate >/dev/null
"$bin" user create fuzz-admin --admin >/dev/null
# Generated ids start small, and schemathesis may delete or deactivate
# whatever token it names: give the caller's token an id it will not guess.
"$bin" token create --user fuzz-admin --label placeholder >/dev/null
python3 - "$work/schemathesis.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.execute("UPDATE api_tokens SET id = 987654321012 WHERE label = 'placeholder'")
db.commit()
EOF
token=$("$bin" token create --user fuzz-admin --label schemathesis \
  --scope profile:read --scope profile:write --scope tokens:read --scope tokens:write \
  --scope admin:read --scope admin:write)

"$bin" serve --bind 127.0.0.1:0 >"$work/stdout" 2>"$work/stderr" &
pid=$!
addr=
for _ in $(seq 1 100); do
  addr=$(sed -n 's#^tessera listening on http://##p' "$work/stdout")
  [ -n "$addr" ] && break
  sleep 0.1
done
[ -n "$addr" ] || { echo "schemathesis.sh: the server did not start" >&2; cat "$work/stderr" >&2; exit 1; }
url=http://$addr

status=0
"$VENV/bin/schemathesis" run "$url/openapi.json" \
  --url "$url" \
  --header "Authorization: Bearer $token" \
  --checks all \
  --max-examples "$MAX_EXAMPLES" \
  --seed "${SCHEMATHESIS_SEED:-1}" \
  --no-color \
  --report junit --report-dir "$work/report" || status=$?

if ! kill -0 "$pid" 2>/dev/null; then
  echo "schemathesis.sh: the server died during the run" >&2
  cat "$work/stderr" >&2
  status=1
fi
# A 500 is logged at ERROR with its cause (which the client never sees).
if grep -q ' ERROR tessera' "$work/stderr"; then
  echo "schemathesis.sh: the server logged errors:" >&2
  grep ' ERROR tessera' "$work/stderr" | sed -E 's/^[^ ]+ +//' | sort | uniq -c | sort -rn | head >&2
  status=1
fi
exit "$status"
