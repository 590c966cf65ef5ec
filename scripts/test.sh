#!/usr/bin/env bash
# The whole test suite, as CI runs it:
#   0. the OpenID provider of the single sign-on tests (scripts/oidc.sh)
#      and a mail server for the tests of mail (scripts/smtp.sh);
#   1. unit tests and the integration suite on SQLite, including the runs
#      through nginx and Caddy (installed by scripts/proxies.sh);
#   2. the integration suite again on PostgreSQL 15 (started by scripts/pg.sh),
#      then the database-outage test on a throwaway cluster;
#   2b. schemathesis against the server's /openapi.json (scripts/schemathesis.sh);
#   2c. /metrics read by Prometheus's Python parser (scripts/metrics-check.sh);
#   2d. deploy/: the systemd unit verified, the container image built and run
#       where its base images are available (scripts/deploy-check.sh);
#   3. the browser tests in headless Chromium (scripts/browser-test.sh).
# Without PostgreSQL or Chromium a developer's run says SKIP loudly; with
# CI=true a missing piece fails the run.
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
}

scripts/deps.sh

# tests/api/proxies.rs fails under CI=true without nginx and Caddy, and
# says SKIP loudly on a laptop.
if ! scripts/proxies.sh; then
  skip_or_fail "nginx and Caddy could not be installed; the proxy tests did not run"
fi

# A real OpenID provider for the single sign-on tests (tests/api/oidc.rs),
# one process for the whole run, on both backends.
echo "== OpenID provider (scripts/oidc.sh)"
if oidc_url=$(scripts/oidc.sh); then
  export TEST_OIDC_URL="$oidc_url"
else
  skip_or_fail "the OpenID provider did not start (scripts/oidc.sh); the single sign-on tests skip"
fi

# A real mail server (aiosmtpd) for the tests of mail and notices; the
# tests read where it is from the variables it prints.
echo "== mail server for the tests"
if smtp_env=$(scripts/smtp.sh up); then
  eval "$smtp_env"
  trap 'scripts/smtp.sh down' EXIT
else
  skip_or_fail "the test mail server (scripts/smtp.sh) could not be started; the mail tests did not run"
fi

echo "== tests on SQLite"
TEST_DATABASE_URL= cargo test --all-targets

echo "== tests on PostgreSQL"
if pg_url=$(scripts/pg.sh); then
  TEST_DATABASE_URL="$pg_url" cargo test --test api
else
  skip_or_fail "PostgreSQL 15 could not be started; the suite did not run on PostgreSQL"
fi

# Stops and starts a whole cluster, so it gets a throwaway one of its own,
# never the shared `15 main` above (tests/api/outage.rs).
echo "== database outage on a throwaway PostgreSQL cluster"
# It measures, prints and asserts SPEC section 12's figures.
if scripts/pg-outage.sh up >/dev/null; then
  scripts/pg-outage.sh check
else
  skip_or_fail "no throwaway PostgreSQL cluster (scripts/pg-outage.sh); the outage test did not run"
fi

# Generated requests for every operation in /openapi.json (a fixed seed).
echo "== schemathesis against /openapi.json"
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  scripts/schemathesis.sh
else
  skip_or_fail "python3 with venv is missing; schemathesis did not run"
fi

echo "== /metrics through prometheus_client's parser"
if python3 -c 'import venv, ensurepip' 2>/dev/null; then
  scripts/metrics-check.sh
else
  skip_or_fail "python3 with venv is missing; /metrics was not parsed by prometheus_client"
fi

echo "== deploy/: systemd unit and container image"
scripts/deploy-check.sh

if [ -x scripts/browser-test.sh ]; then
  echo "== browser tests"
  scripts/browser-test.sh || exit 1
fi
