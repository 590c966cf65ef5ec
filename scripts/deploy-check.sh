#!/usr/bin/env bash
# Checks deploy/: the systemd unit with `systemd-analyze verify` (any
# complaint fails) and its hardening with `systemd-analyze security`; then
# the container image: built with podman from deploy/Dockerfile, run with a
# volume, healthy, not root, and stopped by SIGTERM with exit status 0.
#
# The image needs its two base images (RUST_IMAGE, RUNTIME_IMAGE of the
# Dockerfile). This environment reaches no container registry, so unless
# they were loaded beforehand (`podman load`) the image part is skipped with
# a banner, also when CI=true: that is a limit of the machine, not of the
# image. Traffic goes to 127.0.0.1 only.
set -euo pipefail
cd "$(dirname "$0")/.."

banner() {
  printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
  printf '!!! SKIP: %s\n' "$1" >&2
  printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n\n' >&2
}

if ! command -v systemd-analyze >/dev/null; then
  echo "deploy-check.sh: installing systemd (for systemd-analyze)" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq systemd >&2
fi

cargo build --quiet --bin tessera
bin=${CARGO_TARGET_DIR:-$PWD/target}/debug/tessera
work=$(mktemp -d)
container=
cleanup() {
  if [ -n "$container" ]; then podman rm -f "$container" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- systemd -------------------------------------------------------------
unit=$work/tessera.service
# verify wants the program to exist: point ExecStart at the one just built.
sed "s#^ExecStart=/usr/local/bin/tessera#ExecStart=$bin#" deploy/tessera.service >"$unit"
said=$(systemd-analyze verify "$unit" 2>&1) || { echo "$said" >&2; exit 1; }
if [ -n "$said" ]; then
  echo "deploy-check.sh: systemd-analyze verify complains about deploy/tessera.service:" >&2
  echo "$said" >&2
  exit 1
fi
for setting in DynamicUser=yes ProtectSystem=strict StateDirectory=tessera NoNewPrivileges=yes \
  'CapabilityBoundingSet=$' PrivateTmp=yes ProtectHome=yes; do
  grep -q "^$setting" deploy/tessera.service || { echo "deploy/tessera.service lacks $setting" >&2; exit 1; }
done
exposure=$(systemd-analyze security --offline=yes "$unit" 2>/dev/null \
  | sed -n 's/.*Overall exposure level for tessera.service: \([0-9.]*\).*/\1/p')
[ -n "$exposure" ] || { echo "no exposure level from systemd-analyze security" >&2; exit 1; }
awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }' \
  || { echo "deploy/tessera.service: exposure $exposure, more than 2.0" >&2; exit 1; }
echo "deploy-check: tessera.service verifies; systemd exposure level $exposure (0 best, 10 worst)"

# --- the container image ---------------------------------------------------
# Checked even where the image cannot be built: the build stage copies
# every top-level directory of the repository but those that only test,
# measure, document or deploy tessera (a new one, like locales/ was, is
# needed by the build until it is named here).
for dir in $(git ls-tree -d --name-only HEAD); do
  case $dir in
    tests | bench | docs | scripts | deploy | .ci) continue ;;
  esac
  grep -q "^COPY $dir $dir\$" deploy/Dockerfile \
    || { echo "deploy/Dockerfile does not copy $dir/, which the build needs" >&2; exit 1; }
done

if ! command -v podman >/dev/null; then
  banner "podman is not installed; the container image was not built"
  exit 0
fi
arg() { sed -n "s/^ARG $1=//p" deploy/Dockerfile; }
rust_image=${RUST_IMAGE:-$(arg RUST_IMAGE)}
runtime_image=${RUNTIME_IMAGE:-$(arg RUNTIME_IMAGE)}
for image in "$rust_image" "$runtime_image"; do
  if ! podman image exists "$image"; then
    banner "container image not built: base image $image is not on this machine and no container registry can be reached from it (podman build/run themselves work here: see docs/DEPLOY.md)"
    exit 0
  fi
done
podman build --quiet --format docker -f deploy/Dockerfile \
  --build-arg RUST_IMAGE="$rust_image" --build-arg RUNTIME_IMAGE="$runtime_image" \
  -t localhost/tessera:check . >/dev/null
# This machine's crun cannot set the default rlimits or use its hybrid
# cgroups; runc with lower limits works.
run_flags=(--ulimit nofile=4096:4096 --ulimit nproc=4096:4096)
if command -v runc >/dev/null; then run_flags+=(--runtime runc); fi
container=tessera-check-$$
podman volume create "$container" >/dev/null
podman run -d --name "$container" "${run_flags[@]}" -p 127.0.0.1::8080 \
  -v "$container":/var/lib/tessera localhost/tessera:check >/dev/null
port=$(podman port "$container" 8080 | sed 's/.*://')
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/healthz" | grep -q '"ok"'
[ "$(podman exec "$container" id -u)" != 0 ] || { echo "the container runs as root" >&2; exit 1; }
podman exec "$container" test -s /var/lib/tessera/tessera.db.secret-key
podman stop --time 45 "$container" >/dev/null
status=$(podman inspect --format '{{.State.ExitCode}}' "$container")
[ "$status" = 0 ] || { echo "the container exited $status on SIGTERM" >&2; exit 1; }
podman rm "$container" >/dev/null && container=
podman volume rm "tessera-check-$$" >/dev/null
echo "deploy-check: image built, healthy on /healthz, not root, data in the volume, exit 0 on SIGTERM"
