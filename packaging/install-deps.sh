#!/usr/bin/env bash
# Installs every Debian 12 package that building and testing Hyperion needs.
# Idempotent: re-running installs only what is missing. Needs root (uses sudo otherwise).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build ccache pkg-config
  # libraries
  libfmt-dev nlohmann-json3-dev
  # tests: Catch2 v2, and the system tools the agreement tests compare against
  catch2 procps iproute2 coreutils
)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

export DEBIAN_FRONTEND=noninteractive
as_root apt-get update -q
as_root apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=600 "${packages[@]}"
