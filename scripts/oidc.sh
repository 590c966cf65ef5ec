#!/usr/bin/env bash
# Starts the OpenID providers of the single sign-on tests (tests/oidc/
# provider.js: a real oidc-provider 9 and a misbehaving issuer, one Node
# process on OIDC_PORT, default 9410), installing Node.js and the npm
# packages when missing, and prints the provider's URL. A provider already
# running from the same script is reused; one from another version of the
# script is replaced. Used by scripts/test.sh and by the tests themselves
# (tests/api/oidc.rs) when TEST_OIDC_URL is unset.
#
#   scripts/oidc.sh        start (or find) it, print http://127.0.0.1:PORT
#   scripts/oidc.sh stop   stop the one this script started
set -euo pipefail
cd "$(dirname "$0")/.."

OIDC_PORT=${OIDC_PORT:-9410}
url="http://127.0.0.1:$OIDC_PORT"
dir=tests/oidc
state_dir=${TMPDIR:-/tmp}/tessera-oidc-$OIDC_PORT
pidfile=$state_dir/pid

stop() {
  if [ -f "$pidfile" ]; then
    kill "$(cat "$pidfile")" 2>/dev/null || true
    rm -f "$pidfile"
  fi
}
if [ "${1:-}" = stop ]; then
  stop
  exit 0
fi

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi; }
if ! command -v node >/dev/null || ! command -v npm >/dev/null || ! command -v curl >/dev/null; then
  echo "oidc.sh: installing Node.js, npm and curl" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq nodejs npm curl >&2
fi

# npm ci only when the lockfile changed since the last install.
if [ ! -f $dir/node_modules/.package-lock.json ] ||
  [ $dir/package-lock.json -nt $dir/node_modules/.package-lock.json ]; then
  echo "oidc.sh: npm ci ($dir)" >&2
  (cd $dir && npm ci --no-audit --no-fund --loglevel=error) >&2
fi

version=$(sha256sum $dir/provider.js | cut -c1-16)
running=$(curl -fsS --max-time 2 "$url/test/version" 2>/dev/null || true)
if [ "$running" = "$version" ]; then
  echo "$url"
  exit 0
fi
if [ -n "$running" ]; then
  echo "oidc.sh: replacing the provider of another version on port $OIDC_PORT" >&2
  stop
  sleep 0.5
fi

mkdir -p "$state_dir"
# Its own session, so it outlives this script and the test run that
# started it, and later runs reuse it.
OIDC_PORT=$OIDC_PORT setsid node $dir/provider.js >"$state_dir/log" 2>&1 < /dev/null &
echo $! >"$pidfile"
for _ in $(seq 1 60); do
  if [ "$(curl -fsS --max-time 2 "$url/test/version" 2>/dev/null || true)" = "$version" ]; then
    echo "$url"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    break
  fi
  sleep 0.25
done
echo "oidc.sh: the provider did not start; its log ($state_dir/log):" >&2
cat "$state_dir/log" >&2 || true
exit 1
