#!/usr/bin/env bash
# Installs the reverse proxies that tests/api/proxies.rs runs in front of
# tessera with the configurations in deploy/: Debian's nginx and Caddy.
# The tests start them as child processes themselves; nothing is started
# here, and the services the packages install are not used.
set -euo pipefail

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v nginx >/dev/null || missing+=(nginx)
command -v caddy >/dev/null || missing+=(caddy)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "proxies.sh: installing ${missing[*]}" >&2
  as_root apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  # The packages start their own services on ports 80/2019; the tests need
  # neither.
  for service in "${missing[@]}"; do
    as_root systemctl disable --now "$service" >/dev/null 2>&1 || true
  done
fi
nginx -v 2>&1 | sed 's/^/proxies.sh: /' >&2
caddy version | sed 's/^/proxies.sh: caddy /' >&2
