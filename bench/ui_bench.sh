#!/usr/bin/env bash
# Reproduces "Dashboard: size and time to first chart" in docs/BENCHMARKS.md.
#
# Builds hyperiond with the release preset (which bundles the dashboard), prints the embedded
# files' sizes raw and gzipped (build/release/web/ui/dist/manifest.json), then starts hyperiond
# on 127.0.0.1:0 with its defaults and loads the page UI_BENCH_RUNS times (30) in Debian's
# Chromium (headless, via playwright-core from web/ui): the time from navigation start to the
# first live frame and to the first chart drawn (performance marks the page sets), and the
# bytes on the wire, cold (a new browser context: empty cache) and warm (a reload).
# About a minute once built. Needs: chromium (packaging/install-deps.sh --tests), node.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${UI_BENCH_RUNS:-30}
jobs=${HYPERION_BENCH_JOBS:-2}
daemon=build/release/daemon/hyperiond
. bench/lib.sh

log "building (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release -j "$jobs" >/dev/null

log "embedded files"
node -e '
  const m = require(process.argv[1]);
  console.log("| file | bytes | gzipped |\n| --- | ---: | ---: |");
  let raw = 0, gz = 0;
  for (const f of m) { raw += f.bytes; gz += f.gzip_bytes; console.log(`| ${f.path.replace(/-[A-Z0-9]{8}\./, "-HASH.")} | ${f.bytes} | ${f.gzip_bytes} |`); }
  console.log(`| **total** | ${raw} (${(raw / 1024).toFixed(1)} KiB) | **${gz} (${(gz / 1024).toFixed(1)} KiB)** |\n`);
' "$PWD/build/release/web/ui/dist/manifest.json"

bench_scratch ui-bench
bench_start_hyperiond "$daemon" "$work"
sleep 2  # the first samples, so that the page's first frame carries CPU usage
log "loading the page $runs times, cold and warm"
node bench/ui/first_chart.mjs "http://127.0.0.1:$port/" "$runs" bench "$bench_password"
