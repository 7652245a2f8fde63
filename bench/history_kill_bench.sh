#!/usr/bin/env bash
# The SIGKILL test of tests/integration/history_test.py (class Kills) run HYPERION_KILLS times
# (500): a release hyperiond killed at random moments (right after the start, just after a
# seal boundary, anywhere), each time the file checked (PRAGMA integrity_check) and the last
# committed sample looked for after a restart. Reports pass or fail, the duration and the
# number of kills. Quoted in "History store" in docs/BENCHMARKS.md. Roughly 3-5 s per kill.
#
# Environment: HYPERION_KILLS (500), HYPERION_KILL_SEED (1), HYPERIOND (a binary to test instead
# of building one), HYPERION_BENCH_BUILD_DIR (see bench/history_bench.sh), HYPERION_BENCH_JOBS.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_scratch history-kill

kills=${HYPERION_KILLS:-500}
jobs=${HYPERION_BENCH_JOBS:-2}
if [[ -z ${HYPERIOND:-} ]]; then
  if [[ -n ${HYPERION_BENCH_BUILD_DIR:-} ]]; then
    build=$HYPERION_BENCH_BUILD_DIR
    log "building hyperiond in $build (Release)"
    cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHYPERION_BUILD_TESTS=OFF -DHYPERION_DASHBOARD=OFF >/dev/null
    cmake --build "$build" --target hyperiond --parallel "$jobs" >/dev/null
  else
    build=build/release
    log "building hyperiond (release preset)"
    cmake --preset release >/dev/null
    cmake --build --preset release --target hyperiond --parallel "$jobs" >/dev/null
  fi
  HYPERIOND=$build/daemon/hyperiond
fi
# A copy: a rebuild while this runs must not change the binary under it.
cp "$HYPERIOND" "$work/hyperiond"

log "history_test.Kills with HYPERION_KILLS=$kills ($(nproc) CPU)"
start=$(date +%s.%N)
set +e
(cd tests/integration && HYPERION_KILLS=$kills HYPERIOND=$work/hyperiond /usr/bin/python3 -m unittest -v history_test.Kills) \
  >"$work/unittest.log" 2>&1 &
started+=($!)
wait $!
rc=$?
set -e
end=$(date +%s.%N)
cat "$work/unittest.log"
seconds=$(elapsed "$start" "$end")
verdict=$([[ $rc == 0 ]] && echo PASS || echo FAIL)
echo
echo "| SIGKILL test (history_test.Kills) | kills | result | duration | per kill |"
echo "| --- | ---: | --- | ---: | ---: |"
awk -v k="$kills" -v v="$verdict" -v s="$seconds" \
  'BEGIN { printf "| integrity_check after every kill, the last committed sample found after the restart | %d | %s | %.0f s | %.2f s |\n", k, v, s, s / k }'
exit "$rc"
