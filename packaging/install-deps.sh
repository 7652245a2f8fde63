#!/usr/bin/env bash
# Installs every Debian 12 package that building and testing Hyperion needs.
# Idempotent: re-running installs only what is missing. Needs root (uses sudo otherwise).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries
  libfmt-dev nlohmann-json3-dev libboost1.81-dev libtomlplusplus-dev zlib1g-dev libsystemd-dev
  # tests: Catch2 v2; the system tools the agreement tests compare against; Python for the
  # HTTP integration tests; promtool (package prometheus) to check /metrics
  catch2 procps iproute2 coreutils python3 prometheus
  # tests: a real systemd in a container for the unit file, and curl inside it
  systemd-container curl
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${packages[@]}"
