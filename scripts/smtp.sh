#!/usr/bin/env bash
# The test suite's mail server: Python's aiosmtpd, installed into a
# virtualenv under target/ on first use, listening on 127.0.0.1, writing
# each message it receives to a directory (scripts/smtp_sink.py).
#
#   eval "$(scripts/smtp.sh up)"   # starts it; prints the variables the tests read:
#                                  #   TESSERA_TEST_SMTP         host:port of the running sink
#                                  #   TESSERA_TEST_SMTP_DIR     where its messages are written
#                                  #   TESSERA_TEST_SMTP_PYTHON  the interpreter that runs smtp_sink.py,
#                                  #                             for tests that start a sink of their own
#   scripts/smtp.sh down           # stops it
set -euo pipefail
cd "$(dirname "$0")/.."

target=${CARGO_TARGET_DIR:-$PWD/target}
venv=$target/smtp-venv
state=$target/smtp-sink
python=$venv/bin/python

case "${1:-up}" in
  up)
    if ! "$python" -c 'import aiosmtpd' 2>/dev/null; then
      echo "smtp.sh: installing aiosmtpd into $venv" >&2
      python3 -m venv "$venv" >&2
      "$venv/bin/pip" install --quiet 'aiosmtpd>=1.4,<2' >&2
    fi
    if [ -f "$state/pid" ] && kill -0 "$(cat "$state/pid")" 2>/dev/null; then
      kill "$(cat "$state/pid")" 2>/dev/null || true
    fi
    rm -rf "$state"
    mkdir -p "$state/mail"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    "$python" scripts/smtp_sink.py --port "$port" --dir "$state/mail" >"$state/log" 2>&1 &
    echo $! >"$state/pid"
    for _ in $(seq 1 100); do
      grep -q ready "$state/log" 2>/dev/null && break
      sleep 0.1
    done
    grep -q ready "$state/log" || { cat "$state/log" >&2; echo "smtp.sh: the mail server did not start" >&2; exit 1; }
    echo "export TESSERA_TEST_SMTP=127.0.0.1:$port"
    echo "export TESSERA_TEST_SMTP_DIR=$state/mail"
    echo "export TESSERA_TEST_SMTP_PYTHON=$python"
    ;;
  down)
    if [ -f "$state/pid" ]; then
      kill "$(cat "$state/pid")" 2>/dev/null || true
      rm -f "$state/pid"
    fi
    ;;
  *)
    echo "usage: scripts/smtp.sh up|down" >&2
    exit 2
    ;;
esac
