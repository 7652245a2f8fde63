#!/usr/bin/env bash
# Reproduces "History store" in docs/BENCHMARKS.md.
#
#   1. records this machine with the real collectors at the daemon's default intervals for
#      HYPERION_HISTORY_SECONDS (1800) while a varying workload runs (sha256sum of a 512 MiB
#      file, dd writes with fdatasync, a Python busy loop, HTTP downloads over loopback, idle
#      gaps), into the scratch directory;
#   2. replays the recording tiled to 24 h through HistoryStore as the daemon drives it (journal
#      every 5 s, seal every 30 min, retention steps): bytes per sample, writer CPU per
#      snapshot, query latencies; then the same 24 h of samples into a naive SQLite table (both
#      layouts) and into Prometheus' TSDB (promtool tsdb create-blocks-from openmetrics);
#   3. replays HYPERION_HISTORY_LONG_HOURS (720; 0 skips) for the 30-day queries, with the
#      default retention (raw 7 d, minutes 90 d); the queries again after ANALYZE (with the
#      planner's statistics the chunk lookup uses the (series, tier, start) index);
#   4. idle daemon with history on and off, alternately, twice each: CPU and RSS over 120 s
#      after a 20 s warm-up (HYPERION_HISTORY_IDLE=0 skips).
# About 55 minutes with the defaults. Needs: promtool (Debian's prometheus), python3, curl.
#
# Environment: HYPERION_HISTORY_RECORDING=FILE replays an earlier recording instead of step 1;
# HYPERION_HISTORY_KEEP=DIR keeps the scratch directory (recording, databases, raw output);
# HYPERION_BENCH_BUILD_DIR builds there (a plain Release configure) instead of the release
# preset; HYPERION_BENCH_JOBS (2).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_scratch history-bench "${HYPERION_HISTORY_KEEP:-}"

seconds=${HYPERION_HISTORY_SECONDS:-1800}
long_hours=${HYPERION_HISTORY_LONG_HOURS:-720}
idle=${HYPERION_HISTORY_IDLE:-1}
jobs=${HYPERION_BENCH_JOBS:-2}
promtool=${PROMTOOL:-$(command -v promtool || echo /usr/bin/promtool)}

if [[ -n ${HYPERION_BENCH_BUILD_DIR:-} ]]; then
  build=$HYPERION_BENCH_BUILD_DIR
  log "building history_bench and hyperiond in $build (Release)"
  cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHYPERION_BUILD_TESTS=OFF -DHYPERION_DASHBOARD=OFF \
    -DHYPERION_BUILD_BENCH=ON >/dev/null
  cmake --build "$build" --target history_bench hyperiond --parallel "$jobs" >/dev/null
else
  build=build/release
  log "building history_bench and hyperiond (release preset)"
  cmake --preset release -DHYPERION_BUILD_BENCH=ON >/dev/null
  cmake --build --preset release --target history_bench hyperiond --parallel "$jobs" >/dev/null
fi
# Copies: a rebuild while this runs must not change the binaries under it.
cp "$build/bench/history_bench" "$build/daemon/hyperiond" "$work/"
bench=$work/history_bench
daemon=$work/hyperiond
results=$work/results.txt
: >"$results"
{
  echo "machine $(nproc) CPU, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -r)"
  echo "cpu_model $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
} >>"$results"

# ---------------------------------------------------------------- 1. the recording
phase() {  # one phase of the workload, by number
  local big=$work/big.bin port=$2
  case $1 in
    0) exec sha256sum "$big" >/dev/null ;;                                                    # CPU + cached reads
    1) dd if=/dev/zero of="$work/dd.tmp" bs=1M count=$((64 + RANDOM % 256)) conv=fdatasync status=none
       rm -f "$work/dd.tmp" ;;                                                              # disk writes
    2) exec python3 -c "
import random, time
end = time.time() + random.uniform(5, 40)
while time.time() < end:
    t = time.time() + random.uniform(0.05, 0.8)
    while time.time() < t: pass
    time.sleep(random.uniform(0.05, 1.0))" ;;                                                 # bursty CPU
    3) for _ in $(seq $((1 + RANDOM % 4))); do curl -s -o /dev/null "http://127.0.0.1:$port/big.bin"; done ;;  # loopback
    4) exec sleep $((10 + RANDOM % 50)) ;;                                                  # idle
    5) exec dd if="$big" of=/dev/null bs=1M count=$((64 + RANDOM % 448)) iflag=direct status=none ;;  # disk reads
  esac
}
workload() {  # until TERM: random phases, each in a child that the trap ends
  local child=
  trap 'if [[ -n $child ]]; then kill "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi; exit 0' TERM
  dd if=/dev/urandom of="$work/big.bin" bs=1M count=512 status=none
  while :; do
    phase $((RANDOM % 6)) "$1" &
    child=$!
    wait "$child" || true
    sleep $((RANDOM % 5)) &
    child=$!
    wait "$child" || true
  done
}

if [[ -n ${HYPERION_HISTORY_RECORDING:-} ]]; then
  recording=$HYPERION_HISTORY_RECORDING
  log "replaying $recording (no new recording)"
else
  recording=$work/recording.txt
  http_port=$((20000 + RANDOM % 20000))
  (cd "$work" && exec python3 -m http.server --bind 127.0.0.1 "$http_port" >/dev/null 2>&1) &
  started+=($!)
  workload "$http_port" >/dev/null 2>&1 &
  load_pid=$!
  started+=("$load_pid")
  log "recording ${seconds}s of this machine (the collectors at the default intervals) under a varying load"
  "$bench" record --seconds "$seconds" --out "$recording" >>"$results"
  kill "$load_pid" 2>/dev/null || true  # its trap ends the running phase
  wait "$load_pid" 2>/dev/null || true
  rm -f "$work/big.bin" "$work/dd.tmp"
fi

# ---------------------------------------------------------------- 2. 24 h side by side
log "replay: 24 h through HistoryStore"
"$bench" replay --in "$recording" --hours 24 --db "$work/history-24h.db" | sed 's/^/h24_/' >>"$results"
for kind in without_rowid rowid; do
  log "naive SQLite table ($kind): 24 h, a transaction per 5 s"
  "$bench" naive --in "$recording" --hours 24 --db "$work/naive-$kind.db" --kind "$kind" >>"$results"
  rm -f "$work/naive-$kind.db"
done
log "Prometheus TSDB: 24 h as OpenMetrics, promtool tsdb create-blocks-from openmetrics"
"$bench" openmetrics --in "$recording" --hours 24 --out "$work/samples.om" >>"$results"
echo "openmetrics_text_bytes $(stat -c %s "$work/samples.om")" >>"$results"
for dur in 2h 24h; do
  rm -rf "$work/tsdb-$dur"
  "$promtool" tsdb create-blocks-from openmetrics --max-block-duration="$dur" "$work/samples.om" "$work/tsdb-$dur" \
    >"$work/promtool-$dur.log" 2>&1 || { cat "$work/promtool-$dur.log" >&2; exit 1; }
  echo "prom_${dur}_blocks $(find "$work/tsdb-$dur" -name meta.json | wc -l)" >>"$results"
  echo "prom_${dur}_bytes $(du -sb "$work/tsdb-$dur" | cut -f1)" >>"$results"
  echo "prom_${dur}_chunk_bytes $(find "$work/tsdb-$dur" -path '*/chunks/*' -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')" >>"$results"
  echo "prom_${dur}_index_bytes $(find "$work/tsdb-$dur" -name index -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')" >>"$results"
  rm -rf "$work/tsdb-$dur"
done
rm -f "$work/samples.om"

# ---------------------------------------------------------------- 3. 30 days
if ((long_hours > 0)); then
  log "replay: $long_hours h through HistoryStore (default retention)"
  "$bench" replay --in "$recording" --hours "$long_hours" --db "$work/history-long.db" --analyze 1 | sed 's/^/long_/' >>"$results"
  rm -f "$work/history-long.db"*
fi

# ---------------------------------------------------------------- 4. the idle daemon
if ((idle)); then
  hz=$(getconf CLK_TCK)
  for round in 1 2; do
    for mode in on off; do
      log "idle daemon, history $mode (round $round): 20 s warm-up, 120 s measured"
      d=$work/idle-$mode-$round
      mkdir -p "$d"
      flags=()
      [[ $mode == off ]] && flags=(--history-enabled false)
      bench_start_hyperiond "$daemon" "$d" "${flags[@]}"
      sleep 20
      t0=$(cpu_ticks "$hyp")
      s0=$(date +%s.%N)
      rss_sum=0
      rss_n=0
      for _ in $(seq 24); do
        sleep 5
        rss_sum=$((rss_sum + $(status_kb "$hyp" VmRSS)))
        rss_n=$((rss_n + 1))
      done
      t1=$(cpu_ticks "$hyp")
      s1=$(date +%s.%N)
      echo "idle_${mode}_${round}_cpu_percent $(awk -v a="$t0" -v b="$t1" -v hz="$hz" -v s="$s0" -v e="$s1" 'BEGIN { printf "%.3f", (b - a) / hz / (e - s) * 100 }')" >>"$results"
      echo "idle_${mode}_${round}_rss_kb $((rss_sum / rss_n))" >>"$results"
      echo "idle_${mode}_${round}_hwm_kb $(status_kb "$hyp" VmHWM)" >>"$results"
      kill "$hyp"
      wait "$hyp" 2>/dev/null || true
    done
  done
fi

# ---------------------------------------------------------------- the table
echo
echo "raw results:"
cat "$results"
echo
python3 - "$results" <<'EOF'
import sys
r = {}
for line in open(sys.argv[1]):
    k, _, v = line.rstrip("\n").partition(" ")
    r[k] = v
f = lambda k: float(r[k])
def row(*cells): print("| " + " | ".join(str(c) for c in cells) + " |")
n = f("h24_samples")
print(f"machine: {r['machine']}, {r['cpu_model']}")
if "record_values" in r:
    print(f"recording: {r['record_snapshots']} snapshots, {r['record_values']} values, {r['record_series']} series; "
          f"live add() {r['live_add_us_per_snapshot']} µs/snapshot (p50 {r['live_add_p50_us']}, p99 {r['live_add_p99_us']}, "
          f"max {r['live_add_max_us']}; flatten alone {r['live_flatten_us_per_snapshot']})")
print()
row("24 h of recorded 1-s host data", "bytes", "bytes per sample", "vs Hyperion")
row("---", "---:", "---:", "---:")
hyp = f("h24_file_bytes")
row("Hyperion history, database file", int(hyp), f"{hyp / n:.3f}", "1.00×")
raw = f("h24_chunk_bytes_raw")
row("… raw chunks only (sum of length(data))", int(raw), f"{raw / n:.3f}", f"{raw / hyp:.2f}×")
row("… minute + hour roll-up chunks", int(f("h24_chunk_bytes_minute") + f("h24_chunk_bytes_hour")),
    f"{(f('h24_chunk_bytes_minute') + f('h24_chunk_bytes_hour')) / n:.3f}", "")
for kind in ("without_rowid", "rowid"):
    b = f(f"naive_{kind}_file_bytes")
    row(f"naive SQLite, one row per sample ({kind.replace('_', ' ')})", int(b), f"{b / f(f'naive_{kind}_samples'):.3f}", f"{b / hyp:.1f}×")
for dur in ("2h", "24h"):
    b = f(f"prom_{dur}_bytes")
    row(f"Prometheus TSDB, {dur} blocks ({r[f'prom_{dur}_blocks']}; chunks {r[f'prom_{dur}_chunk_bytes']}, index {r[f'prom_{dur}_index_bytes']})",
        int(b), f"{b / f('openmetrics_samples'):.3f}", f"{b / hyp:.2f}×")
print()
print(f"samples: Hyperion {int(n)}, naive {r['naive_without_rowid_samples']}, OpenMetrics {r['openmetrics_samples']}; "
      f"series {r['h24_series']}; 24 h replay took {r['h24_replay_wall_s']} s")
print()
row("writer CPU per snapshot (thread CPU time, 24 h replay)", "µs")
row("---", "---:")
for k, name in (("add_us_per_snapshot", "add (add_value of every value of the snapshot)"),
                ("journal_us_per_snapshot", "journal writes, amortised"), ("seal_us_per_snapshot", "seals, amortised"),
                ("maintain_us_per_snapshot", "retention steps, amortised"), ("writer_total_us_per_snapshot", "total")):
    row(name, r["h24_" + k])
row("longest seal (ms)", r["h24_max_seal_ms"])
print()
row("query (median / p99 of 50, ms)", "24 h store", "tier", f"{r.get('long_hours', '-')} h store", "tier",
    "same, after ANALYZE", "tier")
row("---", "---:", "---", "---:", "---", "---:", "---")
for q in ("1_metric_1h_1000pts", "1_metric_24h_1000pts", "10_metrics_24h_1000pts", "1_metric_7d_1000pts",
          "1_metric_30d_1000pts", "10_metrics_30d_1000pts"):
    cells = []
    for p in ("h24_", "long_", "long_analyzed_"):
        if p + f"query_{q}_median_ms" in r:
            cells += [f"{r[p + f'query_{q}_median_ms']} / {r[p + f'query_{q}_p99_ms']}", r[p + f"query_{q}_tier"]]
        else:
            cells += ["-", "-"]
    row(q.replace("_", " "), *cells)
if "long_file_bytes" in r:
    print()
    print(f"{r['long_hours']} h replay: file {int(f('long_file_bytes'))} bytes, {r['long_samples']} samples added, "
          f"raw points kept {r['long_raw_points_kept']}, chunks pruned {r['long_chunks_pruned']}, "
          f"writer {r['long_writer_total_us_per_snapshot']} µs/snapshot, replay {r['long_replay_wall_s']} s")
if "idle_on_1_cpu_percent" in r:
    print()
    row("idle daemon (120 s after 20 s)", "CPU % round 1", "round 2", "RSS MiB round 1", "round 2")
    row("---", "---:", "---:", "---:", "---:")
    for m in ("on", "off"):
        row(f"history {m}", r[f"idle_{m}_1_cpu_percent"], r[f"idle_{m}_2_cpu_percent"],
            f"{f(f'idle_{m}_1_rss_kb') / 1024:.1f}", f"{f(f'idle_{m}_2_rss_kb') / 1024:.1f}")
    cpu_on = (f("idle_on_1_cpu_percent") + f("idle_on_2_cpu_percent")) / 2
    cpu_off = (f("idle_off_1_cpu_percent") + f("idle_off_2_cpu_percent")) / 2
    rss_on = (f("idle_on_1_rss_kb") + f("idle_on_2_rss_kb")) / 2
    rss_off = (f("idle_off_1_rss_kb") + f("idle_off_2_rss_kb")) / 2
    row("on / off", f"CPU {cpu_on / cpu_off:.2f}×", "", f"RSS {rss_on / rss_off:.2f}×", "")
EOF
