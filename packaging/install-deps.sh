#!/usr/bin/env bash
# Installs the Debian 12 packages that building Hyperion needs; with --tests, also those its
# tests need (a real Chromium, Prometheus's promtool, systemd-nspawn, ...).
# Idempotent: re-running installs only what is missing. Needs root (uses sudo otherwise).
set -euo pipefail

usage() { echo "usage: $0 [--tests]" >&2; exit 2; }
tests=0
for arg in "$@"; do
  case "$arg" in
    --tests) tests=1 ;;
    -h|--help) usage ;;
    *) echo "$0: unknown argument '$arg'" >&2; usage ;;
  esac
done

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries
  libfmt-dev nlohmann-json3-dev libboost1.81-dev libtomlplusplus-dev zlib1g-dev libsystemd-dev
  libsqlite3-dev libsodium-dev libssl-dev
)
if [ "$tests" -eq 1 ]; then
  packages+=(
    # Catch2 v2; the system tools the agreement tests compare against; Python for the HTTP
    # and WebSocket integration tests; promtool (package prometheus) to check /metrics
    catch2 procps iproute2 coreutils python3 prometheus
    # a real systemd in a container for the unit file, and curl inside it
    systemd-container curl
    # the dashboard's browser tests drive Debian's Chromium (never a downloaded browser)
    chromium fonts-liberation fonts-dejavu-core
    # an independent TOTP client to check our codes against
    oathtool
    # openssl makes the certificates of the TLS tests
    openssl
    # clang 14 with libFuzzer and the sanitizer runtimes: the fuzz preset (fuzz/, bench/fuzz.sh)
    clang
  )
fi
# The dashboard is bundled with Node.js at build time. Use the one on the machine when it is
# recent enough (esbuild needs 18; the browser tests' playwright-core needs 20), else Debian's.
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  packages+=(nodejs npm)
fi

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${packages[@]}"
