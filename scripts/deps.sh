#!/usr/bin/env bash
# Installs what building tessera needs beyond a Rust toolchain: the
# PostgreSQL client library (libpq) that the PostgreSQL backend links to,
# and OpenSSL's headers.
# SQLite is compiled in, so it needs nothing. Debian/Ubuntu (apt-get).
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# The OpenSSL headers (libssl-dev, found through pkg-config): libpq speaks
# TLS through OpenSSL, and tessera sets OpenSSL up before libpq does
# (src/main.rs).
if ! ldconfig -p | grep -q 'libpq\.so ' || ! pkg-config --exists openssl 2>/dev/null; then
  echo "deps.sh: installing libpq-dev, libssl-dev and pkg-config" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libpq-dev libssl-dev pkg-config >&2
fi
