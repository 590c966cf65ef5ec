#!/usr/bin/env bash
# Installs what building tessera needs beyond a Rust toolchain: the
# PostgreSQL client library (libpq) that the PostgreSQL backend links to.
# SQLite is compiled in, so it needs nothing. Debian/Ubuntu (apt-get).
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

if ! ldconfig -p | grep -q 'libpq\.so '; then
  echo "deps.sh: installing libpq-dev (PostgreSQL client library)" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq libpq-dev >&2
fi
