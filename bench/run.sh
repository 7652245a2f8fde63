#!/usr/bin/env bash
# Reproduces "Collector: one local sample" in docs/BENCHMARKS.md.
#
# Builds collect_bench with the release preset, then:
#   1. with ~100 processes on the machine: counts heap allocations per steady tick;
#   2. with ~500 processes: times the process and full ticks against their floors and
#      counts allocations again (the count per tick must not grow with the processes).
# The extra processes are sleeping `sleep`s plus a few Python processes with threads; every
# process this script starts is killed on exit. Runs in about a minute on 2 vCPUs.
#
# Environment: HYPERION_BENCH_PROCESSES (500), HYPERION_BENCH_LOW_PROCESSES (100),
# HYPERION_BENCH_JOBS (2, build parallelism). Extra arguments go to collect_bench
# (e.g. --rounds 100, --trace-allocs).
set -euo pipefail
cd "$(dirname "$0")/.."

high=${HYPERION_BENCH_PROCESSES:-500}
low=${HYPERION_BENCH_LOW_PROCESSES:-100}
jobs=${HYPERION_BENCH_JOBS:-2}
bench=build/release/bench/collect_bench

. bench/lib.sh  # after the cd to the repository root
bench_scratch ""
SPAWN_SECONDS=300



echo "== building collect_bench (release preset)" >&2
cmake --preset release -DHYPERION_BUILD_BENCH=ON >/dev/null
cmake --build --preset release --target collect_bench --parallel "$jobs" >/dev/null

echo "== $(count_processes) processes before the benchmark" >&2
spawn_to "$low"
sleep 1
echo "== allocation count at ~$low processes" >&2
"$bench" --alloc-only "$@"

# A realistic mix has threads too: four Python processes with eight sleeping threads each.
if command -v python3 >/dev/null; then
  for _ in 1 2 3 4; do
    python3 -c 'import threading, time
for _ in range(8): threading.Thread(target=time.sleep, args=(300,), daemon=True).start()
time.sleep(300)' &
    started+=($!)
  done
fi
spawn_to "$high"
sleep 1
echo "== timing and allocation count at ~$high processes" >&2
echo
"$bench" "$@"
