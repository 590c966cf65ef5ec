#!/usr/bin/env bash
# The browser tests: Account Preferences in real headless Chromium, driven by
# playwright-core from tests/browser/ with Node's own test runner.
#
#   scripts/browser-test.sh                 install what is missing, build, run
#   TESSERA_BIN=path scripts/browser-test.sh  test a binary built elsewhere (no cargo build)
#
# Chromium is Debian's (/usr/bin/chromium), never a browser downloaded by a
# test tool. Without it a developer's run says SKIP loudly; with CI=true it
# fails. Screenshots land in target/screenshots/.
set -euo pipefail
cd "$(dirname "$0")/.."

skip_or_fail() {
  if [ "${CI:-}" = "true" ]; then
    echo "FAIL: $1 (required when CI=true)" >&2
    exit 1
  fi
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! SKIP: %s\n' "$1" >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
  exit 0
}

CHROMIUM_PATH="${CHROMIUM_PATH:-/usr/bin/chromium}"
if [ ! -x "$CHROMIUM_PATH" ]; then
  echo "== installing Debian's chromium and chromium-driver"
  sudo=""
  if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then sudo="sudo -n"; fi
  { $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq chromium chromium-driver; } ||
    echo "apt-get could not install chromium" >&2
fi
[ -x "$CHROMIUM_PATH" ] || skip_or_fail "no Chromium at $CHROMIUM_PATH; the browser tests did not run"
command -v node >/dev/null && command -v npm >/dev/null ||
  skip_or_fail "Node.js and npm are not installed; the browser tests did not run"

# npm ci only when the lockfile changed since the last install.
if [ ! -f tests/browser/node_modules/.package-lock.json ] ||
  [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
  echo "== npm ci (tests/browser)"
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) ||
    skip_or_fail "npm ci failed in tests/browser; the browser tests did not run"
fi

if [ -z "${TESSERA_BIN:-}" ]; then
  echo "== cargo build"
  cargo build --bin tessera
  TESSERA_BIN="$(pwd)/${CARGO_TARGET_DIR:-target}/debug/tessera"
fi
TESSERA_BIN="$(realpath "$TESSERA_BIN")"
export TESSERA_BIN CHROMIUM_PATH
export TESSERA_SCREENSHOT_DIR="${TESSERA_SCREENSHOT_DIR:-$(pwd)/target/screenshots}"

echo "== browser tests ($("$CHROMIUM_PATH" --version 2>/dev/null || echo chromium), $TESSERA_BIN)"
cd tests/browser
# Two test files at a time: each has its own Chromium and its own servers.
node --test --test-reporter=spec --test-concurrency=2 --test-timeout=90000 tests/*.test.js
echo "screenshots: $TESSERA_SCREENSHOT_DIR"
