#!/usr/bin/env bash
# /metrics read by Prometheus's own parser (the Python prometheus_client's
# text parser): a real server with TESSERA_METRICS_BIND, some requests, two
# scrapes; every family must parse and the counters must have moved by at
# least what was sent. prometheus_client installs into a virtualenv under
# ~/.cache (METRICS_VENV). Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v curl >/dev/null; then
  echo "metrics-check.sh: installing curl" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq curl >&2
fi

VENV=${METRICS_VENV:-$HOME/.cache/tessera/prometheus-venv}
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c 'import prometheus_client' 2>/dev/null; then
  echo "metrics-check.sh: installing prometheus_client into $VENV" >&2
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'prometheus_client>=0.20,<1'
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

export TESSERA_DATABASE_URL=sqlite://$work/metrics.db
export TESSERA_LOG=warn TESSERA_METRICS_BIND=127.0.0.1:0
"$bin" migrate >/dev/null
"$bin" user create watcher >/dev/null
token=$("$bin" token create --user watcher --label metrics --scope profile:read)
"$bin" serve --bind 127.0.0.1:0 >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
  grep -q '^tessera listening on ' "$work/out" && break
  sleep 0.1
done
base=$(sed -n 's/^tessera listening on //p' "$work/out")
metrics=$(sed -n 's/^tessera metrics on //p' "$work/out")
[ -n "$base" ] && [ -n "$metrics" ] || { cat "$work/out" "$work/err" >&2; exit 1; }

curl -fsS "$metrics" >"$work/before.txt"
for _ in 1 2 3 4 5; do
  curl -fsS -o /dev/null -H "Authorization: Bearer $token" "$base/profile.json"
done
curl -sS -o /dev/null -H "Authorization: Bearer tsr_not_a_token" "$base/profile.json"
curl -sS -o /dev/null "$base/profile/tokens/424242.json" -X DELETE -H "Authorization: Bearer $token"
curl -fsS "$metrics" >"$work/after.txt"

"$VENV/bin/python" - "$work/before.txt" "$work/after.txt" <<'PY'
import sys
from prometheus_client.parser import text_string_to_metric_families

def read(path):
    samples = {}
    families = {}
    for family in text_string_to_metric_families(open(path).read()):
        families[family.name] = family.type
        for s in family.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return families, samples

_, before = read(sys.argv[1])
families, after = read(sys.argv[2])
for name, kind in [
    ("tessera_http_requests", "counter"),
    ("tessera_http_request_duration_seconds", "histogram"),
    ("tessera_token_checks", "counter"),
    ("tessera_db_pool_connections", "gauge"),
    ("tessera_db_pool_waits", "counter"),
    ("tessera_cache_requests", "counter"),
    ("tessera_mails", "counter"),
]:
    assert families.get(name) == kind, (name, families.get(name))

def moved(name, **labels):
    key = (name, tuple(sorted(labels.items())))
    return after.get(key, 0) - before.get(key, 0)

checks = [
    (moved("tessera_http_requests_total", route="/profile.json", status="200"), 5),
    (moved("tessera_http_requests_total", route="/profile.json", status="401"), 1),
    (moved("tessera_http_requests_total", route="/profile/tokens/{id}.json", status="403"), 1),
    (moved("tessera_http_request_duration_seconds_count", route="/profile.json"), 6),
    (moved("tessera_token_checks_total", result="ok"), 6),
    (moved("tessera_token_checks_total", result="bad_checksum"), 1),
    (moved("tessera_cache_requests_total", kind="token"), 6),
]
for got, want in checks:
    assert got == want, checks
routes = {dict(labels).get("route") for (_, labels) in after}
assert not any(r and "424242" in r for r in routes), routes
print(f"metrics-check: {len(families)} families, {len(after)} samples parsed; counters moved as sent")
PY
