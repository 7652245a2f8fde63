#!/usr/bin/env bash
# Reproduces "Fuzzing" in docs/BENCHMARKS.md: builds the fuzz preset (clang, libFuzzer,
# ASan+UBSan) if needed, then runs each fuzz target, one at a time, for a million inputs
# (-runs=1000000 -max_len=65536) on a scratch copy of its seed corpus (fuzz/corpus/<what>),
# and prints per target: executions, seconds, exec/s, the corpus before and after, and whether
# the run was clean (exit 0 and no crash-, leak-, timeout- or oom- file).
#
#   bench/fuzz.sh                    # every target (tens of minutes on 2 cores)
#   bench/fuzz.sh jwt proc_stat      # some of them
#   HYPERION_FUZZ_RUNS=100000 bench/fuzz.sh
#
# The table goes to stdout and, with each target's libFuzzer output, to the log
# (HYPERION_FUZZ_LOG, default build/fuzz/fuzz-bench.log). A finding is kept in
# build/fuzz/fuzz-findings/<what>/ with the command that reproduces it. Exits 1 if any target
# was not clean. Needs: clang (packaging/install-deps.sh --tests).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
runs=${HYPERION_FUZZ_RUNS:-1000000}
jobs=${HYPERION_BENCH_JOBS:-2}
logfile=${HYPERION_FUZZ_LOG:-build/fuzz/fuzz-bench.log}
findings=build/fuzz/fuzz-findings

if [[ ! -f build/fuzz/CMakeCache.txt ]]; then
  log "configuring (fuzz preset)"
  cmake --preset fuzz >/dev/null
fi
log "building (fuzz preset)"
cmake --build --preset fuzz --parallel "$jobs" >/dev/null

if (($# > 0)); then
  targets=("$@")
else
  targets=()
  for src in fuzz/fuzz_*.cpp; do
    name=${src#fuzz/fuzz_}
    targets+=("${name%.cpp}")
  done
fi

work=$(mktemp -d /tmp/hyperion-fuzz-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$(dirname "$logfile")"
{
  echo "# bench/fuzz.sh $(date -u +%Y-%m-%dT%H:%M:%SZ), $runs runs per target"
  echo "# $(nproc) CPUs, $(uname -sr), $(clang++ --version | head -1), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
} >"$logfile"
: >"$logfile.details"

header='| target | executions | seconds | exec/s | corpus files before → after | result |'
rule='| --- | ---: | ---: | ---: | ---: | --- |'
printf '%s\n%s\n' "$header" "$rule" | tee -a "$logfile"
failed=0
for what in "${targets[@]}"; do
  binary=$PWD/build/fuzz/fuzz/fuzz_$what
  if [[ ! -x $binary ]]; then
    echo "bench/fuzz.sh: no target $binary" >&2
    exit 2
  fi
  dir=$work/$what
  rm -rf "${findings:?}/$what"
  mkdir -p "$dir/corpus"
  if [[ -d fuzz/corpus/$what ]]; then cp -R "fuzz/corpus/$what/." "$dir/corpus/"; fi
  before=$(find "$dir/corpus" -type f | wc -l)
  log "fuzz_$what: $runs runs"
  start=$(date +%s.%N)
  set +e
  (cd "$dir" && "$binary" -runs="$runs" -max_len=65536 -timeout=10 -print_final_stats=1 \
    -artifact_prefix="$dir/" "$dir/corpus" >"$dir/output" 2>&1)
  rc=$?
  set -e
  end=$(date +%s.%N)
  seconds=$(elapsed "$start" "$end")
  executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/output" | tail -1)
  executions=${executions:-0}
  rate=$(awk -v n="$executions" -v s="$seconds" 'BEGIN { printf "%d", (s > 0 ? n / s : 0) }')
  seconds=$(awk -v s="$seconds" 'BEGIN { printf "%.1f", s }')
  after=$(find "$dir/corpus" -type f | wc -l)
  shopt -s nullglob
  artifacts=("$dir"/crash-* "$dir"/leak-* "$dir"/timeout-* "$dir"/oom-*)
  shopt -u nullglob
  if ((rc == 0 && ${#artifacts[@]} == 0)); then
    result=clean
  else
    result="**exit $rc, ${#artifacts[@]} finding(s)**"
    failed=1
    mkdir -p "$findings/$what"
    for a in "${artifacts[@]}"; do
      cp "$a" "$findings/$what/"
      echo "$binary $PWD/$findings/$what/$(basename "$a")" >>"$findings/$what/reproduce.txt"
    done
    cp "$dir/output" "$findings/$what/output.txt"
  fi
  {
    echo "## fuzz_$what: exit $rc"
    tail -n 40 "$dir/output"
  } >>"$logfile.details"
  printf '| fuzz_%s | %s | %s | %s | %s → %s | %s |\n' "$what" "$executions" "$seconds" "$rate" "$before" "$after" \
    "$result" | tee -a "$logfile"
  rm -rf "$dir"
done
log "log: $logfile (libFuzzer's last lines per target: $logfile.details)"
exit "$failed"
