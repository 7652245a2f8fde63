#!/usr/bin/env bash
# Reproduces "HTTP: REST and /metrics against node_exporter and Glances" in docs/BENCHMARKS.md.
#
# Builds hyperiond with the release preset, brings the machine to ~500 processes (as
# bench/run.sh does), then in one run, on 127.0.0.1 only:
#   1. idle footprint: hyperiond with no clients, and prometheus-node-exporter scraped once a
#      second by a curl loop, side by side for 60 s: CPU (utime+stime ticks of
#      /proc/PID/stat) and RSS (VmRSS sampled every second, VmHWM at the end);
#   2. one request at a time on the idle daemon: 200 sequential /metrics requests, 50 a
#      second, over one keep-alive connection and on a new connection each (curl
#      %{time_total});
#   3. wrk -t2 --latency, interleaved and rotating the order every round: our /metrics
#      against node_exporter's, our process list against Glances' /api/3/processlist, and
#      our /api/v1/hosts/local/system; each at every connection count, every round. Before
#      and after each wrk run it reads the server's utime+stime, for CPU per request.
# It prints Markdown tables (bench/http/report.py). Every process it starts is killed on exit.
# About 7 minutes on 2 vCPUs; a watchdog stops it HTTP_BENCH_DEADLINE seconds after the
# build (default 470).
#
# Needs: wrk, curl, prometheus-node-exporter, glances with python3-bottle (its web server),
# /usr/bin/python3; perf for --perf.
#
# Environment: HYPERION_BENCH_PROCESSES (500), HYPERION_BENCH_JOBS (2, build parallelism),
# HTTP_BENCH_ROUNDS (3), HTTP_BENCH_DURATION (10, seconds per wrk run),
# HTTP_BENCH_CONNECTIONS ("50 10"), HTTP_BENCH_IDLE_SECONDS (60), HTTP_BENCH_DEADLINE (470),
# HTTP_BENCH_KEEP (a directory: keep the raw wrk outputs and samples there).
# --perf: afterwards, `perf record -g` the daemon for 15 s idle and during 5 s of wrk on
# /metrics and on the process list, and print the top of each `perf report` (~40 s more).
set -euo pipefail
cd "$(dirname "$0")/.."

procs=${HYPERION_BENCH_PROCESSES:-500}
jobs=${HYPERION_BENCH_JOBS:-2}
rounds=${HTTP_BENCH_ROUNDS:-3}
duration=${HTTP_BENCH_DURATION:-10}
read -r -a conns_list <<<"${HTTP_BENCH_CONNECTIONS:-50 10}"
idle_seconds=${HTTP_BENCH_IDLE_SECONDS:-60}
deadline=${HTTP_BENCH_DEADLINE:-470}
keep=${HTTP_BENCH_KEEP:-}
perf=0
for arg in "$@"; do
  case $arg in
    --perf) perf=1 ;;
    *) echo "usage: $0 [--perf]" >&2; exit 2 ;;
  esac
done
daemon=build/release/daemon/hyperiond
py=/usr/bin/python3   # Debian's python, not pyenv's

for tool in wrk curl prometheus-node-exporter glances "$py"; do
  command -v "$tool" >/dev/null || { echo "http_bench: $tool is missing (see docs/BENCHMARKS.md)" >&2; exit 1; }
done
"$py" -c 'import bottle' 2>/dev/null ||
  { echo "http_bench: glances -w needs python3-bottle: apt-get install python3-bottle" >&2; exit 1; }
((perf == 0)) || command -v perf >/dev/null || { echo "http_bench: perf is missing" >&2; exit 1; }

. bench/lib.sh  # after the cd to the repository root
bench_scratch http-bench "$keep"






free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}




# Waits (up to 30 s) until URL $1 answers 200; $2 is the server's PID, $3 its log.
wait_http() {
  local i
  for ((i = 0; i < 120; i++)); do
    curl -sf -m 2 -o /dev/null "${hdr[@]}" "$1" && return 0
    alive "$2" || { echo "http_bench: server for $1 exited:" >&2; cat "$3" >&2; exit 1; }
    sleep 0.25
  done
  echo "http_bench: $1 did not answer in 30 s" >&2; cat "$3" >&2; exit 1
}

log "building hyperiond (release preset)"
cmake --preset release -DHYPERION_BUILD_BENCH=OFF >/dev/null
cmake --build --preset release --target hyperiond --parallel "$jobs" >/dev/null

# The watchdog: the benchmark is bounded in time whatever happens.
( sleep "$deadline" & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s
  echo "http_bench: deadline of ${deadline} s reached" >&2; kill -TERM $$ ) &
started+=($!)
t0=$SECONDS

log "$(count_processes) processes before the benchmark"
# A realistic mix has threads too: four Python processes with eight sleeping threads each.
for _ in 1 2 3 4; do
  "$py" -c 'import threading, time
for _ in range(8): threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
time.sleep(600)' &
  started+=($!)
done
spawn_to $((procs - 3))   # the three servers make up the rest

# --- servers -------------------------------------------------------------------------------
# wrk's connections all come from 127.0.0.1: http.max_connections_per_address (32 by default,
# against floods from one address) would refuse the 50 of -c50.
bench_start_hyperiond "$daemon" "$work" --http-max-connections-per-address 256
hyp_url=http://127.0.0.1:$port

# node_exporter refuses more than --web.max-requests (40) parallel scrapes with a fast 503;
# wrk -c50 would count those, so the limit is off: every request is a real scrape.
ne_port=$(free_port)
prometheus-node-exporter --web.listen-address=127.0.0.1:"$ne_port" --web.max-requests=0 \
  >"$work/node_exporter.log" 2>&1 &
ne=$!
started+=($ne)
ne_url=http://127.0.0.1:$ne_port

# Every request carries the bench user's token (node_exporter and Glances ignore it).
hdr=()
wait_http "$hyp_url/healthz" "$hyp" "$work/hyperiond.log"
token=$(bench_login "$hyp_url")
[[ -n $token ]] || { echo "http_bench: cannot log in to hyperiond" >&2; exit 1; }
hdr=(-H "Authorization: Bearer $token")
wait_http "$hyp_url/api/v1/hosts/local/processes" "$hyp" "$work/hyperiond.log"
wait_http "$ne_url/metrics" "$ne" "$work/node_exporter.log"
log "hyperiond on $hyp_url, node_exporter on $ne_url; $(count_processes) processes"

{
  echo "| | |"
  echo "| --- | --- |"
  echo "| CPU | $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) |"
  echo "| memory | $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) |"
  echo "| kernel | $(uname -sr) |"
  echo "| processes | $(count_processes) (threads: $(count_threads)) |"
  echo "| servers | $("$daemon" --version 2>&1 | head -1) (release preset); node_exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }'); $(glances --version 2>/dev/null | head -1) |"
  echo "| wrk | $(wrk --version 2>&1 | awk 'NR == 1 { print $2 }'), -t2, ${duration} s per run, ${rounds} rounds, connections: ${conns_list[*]} |"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $(cut -d' ' -f1-3 /proc/loadavg) |"
} >"$work/meta.txt"

# --- 1. idle footprint ---------------------------------------------------------------------
log "idle footprint: ${idle_seconds} s (hyperiond without clients; node_exporter scraped every second)"
sleep 5   # past start-up
( c=; trap 'kill $c 2>/dev/null; exit 0' TERM
  while :; do
    curl -s -m 2 -o /dev/null "$ne_url/metrics" & c=$!; wait $c
    sleep 1 & c=$!; wait $c
  done ) &
scraper=$!
started+=($scraper)
hyp_t0=$(cpu_ticks "$hyp"); ne_t0=$(cpu_ticks "$ne"); s0=$(date +%s.%N)
hyp_max=0; ne_max=0
for ((i = 0; i < idle_seconds; i++)); do
  sleep 1
  r=$(status_kb "$hyp" VmRSS); if ((r > hyp_max)); then hyp_max=$r; fi
  r=$(status_kb "$ne" VmRSS); if ((r > ne_max)); then ne_max=$r; fi
done
hyp_t1=$(cpu_ticks "$hyp"); ne_t1=$(cpu_ticks "$ne"); s1=$(date +%s.%N)
kill "$scraper"; wait "$scraper" 2>/dev/null || true
secs=$(elapsed "$s0" "$s1")
hz=$(getconf CLK_TCK)
printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
  hyperiond "$secs" $((hyp_t1 - hyp_t0)) "$hz" "$hyp_max" "$(status_kb "$hyp" VmRSS)" "$(status_kb "$hyp" VmHWM)" "none" \
  node_exporter "$secs" $((ne_t1 - ne_t0)) "$hz" "$ne_max" "$(status_kb "$ne" VmRSS)" "$(status_kb "$ne" VmHWM)" "curl every 1 s" \
  >"$work/idle.tsv"

# --- 2. one request at a time --------------------------------------------------------------
log "one request at a time: 200 sequential /metrics requests"
# 50 requests a second, so the 200 fall at every phase of the collector's ticks.
sequential() {   # $1 URL, $2 output file: one keep-alive connection, 20 warm-up requests
  local args=() i
  for ((i = 0; i < 220; i++)); do args+=(-o /dev/null "$1"); done
  curl -s -m 30 --rate 50/s -w '%{num_connects} %{time_total}\n' "${hdr[@]}" "${args[@]}" >"$work/curl.out"
  # curl reuses its connection for every URL: only the first transfer may connect
  awk 'NR > 1 && $1 != 0 { bad = 1 } END { exit bad }' "$work/curl.out" ||
    { echo "http_bench: curl did not keep its connection to $1" >&2; exit 1; }
  awk '{ print $2 }' "$work/curl.out" | tail -n 200 >"$2"
}
fresh() {   # $1 URL, $2 output file: a new curl and connection each time, 50 a second
  local i
  for ((i = 0; i < 200; i++)); do
    curl -s -m 5 -w '%{time_total}\n' -o /dev/null "${hdr[@]}" "$1"
    sleep 0.015
  done >"$2"
}
sequential "$hyp_url/metrics" "$work/latency-hyperiond-metrics-keepalive.txt"
fresh "$hyp_url/metrics" "$work/latency-hyperiond-metrics-fresh.txt"
sequential "$ne_url/metrics" "$work/latency-node_exporter-metrics-keepalive.txt"

# --- 3. load -------------------------------------------------------------------------------
gl_port=$(free_port)
glances -w --disable-webui -B 127.0.0.1 -p "$gl_port" >"$work/glances.log" 2>&1 &
gl=$!
started+=($gl)
gl_url=http://127.0.0.1:$gl_port
wait_http "$gl_url/api/3/processlist" "$gl" "$work/glances.log"

declare -A url pid
url[metrics.hyperiond]=$hyp_url/metrics;                      pid[hyperiond]=$hyp
url[metrics.node_exporter]=$ne_url/metrics;                   pid[node_exporter]=$ne
url[processes.hyperiond]=$hyp_url/api/v1/hosts/local/processes
url[processes.glances]=$gl_url/api/3/processlist;             pid[glances]=$gl
url[system.hyperiond]=$hyp_url/api/v1/hosts/local/system

: >"$work/sizes.tsv"
for k in metrics.hyperiond metrics.node_exporter processes.hyperiond processes.glances system.hyperiond; do
  printf '%s\t%s\t%s\n' "${k%%.*}" "${k#*.}" \
    "$(curl -s -m 10 -o /dev/null -w '%{size_download}' "${hdr[@]}" "${url[$k]}")" >>"$work/sizes.tsv"
  wrk -t2 -c10 -d2s --timeout 10s "${hdr[@]}" "${url[$k]}" >/dev/null   # warm-up, not recorded
done

: >"$work/runs.tsv"
# Sets REPLY to the CPU seconds (user + system) of this shell's waited-for children (wrk),
# from the builtin `times`: it must run in this shell, not in a $(...) subshell.
children_cpu() {
  times >"$work/times"
  REPLY=$(awk 'NR == 2 { for (i = 1; i <= 2; i++) { split($i, a, /[ms]/); t += a[1] * 60 + a[2] } print t }' "$work/times")
}
run_wrk() {   # $1 endpoint, $2 server, $3 connections, $4 round
  local k=$1.$2 out=wrk-$1-$2-c$3-r$4.txt t0 t1 s0 s1 w0 w1
  children_cpu; w0=$REPLY; s0=$(date +%s.%N); t0=$(cpu_ticks "${pid[$2]}")
  timeout $((duration + 30)) wrk -t2 -c"$3" -d"${duration}s" --timeout 10s --latency "${hdr[@]}" "${url[$k]}" >"$work/$out"
  t1=$(cpu_ticks "${pid[$2]}"); s1=$(date +%s.%N); children_cpu; w1=$REPLY
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$1" "$2" "$3" "$4" $((t1 - t0)) "$hz" \
    "$(elapsed "$s0" "$s1")" "$out" "$(awk -v a="$w0" -v b="$w1" 'BEGIN { print b - a }')" >>"$work/runs.tsv"
}
log "wrk: ${rounds} rounds × ${#conns_list[@]} connection counts × 5 runs of ${duration} s"
for ((r = 1; r <= rounds; r++)); do
  for c in "${conns_list[@]}"; do
    log "round $r, -c$c ($((SECONDS - t0)) s so far)"
    if ((r % 2)); then
      run_wrk metrics hyperiond "$c" "$r";   run_wrk metrics node_exporter "$c" "$r"
      run_wrk processes hyperiond "$c" "$r"; run_wrk processes glances "$c" "$r"
    else
      run_wrk metrics node_exporter "$c" "$r"; run_wrk metrics hyperiond "$c" "$r"
      run_wrk processes glances "$c" "$r";     run_wrk processes hyperiond "$c" "$r"
    fi
    run_wrk system hyperiond "$c" "$r"
  done
done
printf 'hyperiond\t%s\t%s\n' "$(status_kb "$hyp" VmRSS)" "$(status_kb "$hyp" VmHWM)" >"$work/loaded.tsv"
echo "| load average after | $(cut -d' ' -f1-3 /proc/loadavg) (wrk runs add about 2) |" >>"$work/meta.txt"

# --- report --------------------------------------------------------------------------------
echo
"$py" bench/http/report.py "$work"
echo
echo "(benchmark took $((SECONDS - t0)) s after the build)"

perf_top() {   # $1 perf.data, $2 title
  echo; echo "perf, $2 (self time by symbol, top 25):"
  { perf report -i "$1" --stdio --no-children --sort dso,sym -g none 2>/dev/null || true; } |
    grep -E '^ +[0-9]' | head -25 || true
}
if ((perf)); then
  log "perf: hyperiond idle, 15 s without clients"
  perf record -q -g -p "$hyp" -o "$work/perf-idle.data" -- sleep 15 2>/dev/null || true
  perf_top "$work/perf-idle.data" "hyperiond idle, 15 s"
  for k in metrics.hyperiond processes.hyperiond; do
    log "perf: hyperiond during wrk -c${conns_list[0]} on ${url[$k]}"
    perf record -q -g -p "$hyp" -o "$work/perf-${k%%.*}.data" -- sleep 5 2>/dev/null &
    p=$!
    wrk -t2 -c"${conns_list[0]}" -d5s --timeout 10s "${url[$k]}" >/dev/null
    wait "$p" || true
    perf_top "$work/perf-${k%%.*}.data" "hyperiond under wrk -c${conns_list[0]} on ${url[$k]#"$hyp_url"}"
  done
fi
