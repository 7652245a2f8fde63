#!/usr/bin/env bash
# Reproduces "Live WebSocket: 1,000 clients" in docs/BENCHMARKS.md.
#
# Builds hyperiond with the release preset and starts it on 127.0.0.1:0 with default
# intervals (system/cpu every 1 s) and --live-max-clients 2000. Then, on loopback only:
#   1. idle: the daemon with no client for LIVE_BENCH_SECONDS (60): CPU (utime+stime of
#      /proc/PID/stat, also per thread) and RSS (VmRSS every second, VmHWM at the end);
#   2. loaded: two asyncio processes (bench/live/clients.py, python3-websockets; one alone
#      takes ~50-80 ms to hand a tick's 1,000 frames to its code) open 1,000 WebSockets
#      between them, 100 at a time, each subscribed to hosts/local/system. When all are
#      subscribed, one more client (bench/live/stalled.py, a raw socket with a small
#      SO_RCVBUF) subscribes to hosts/local/system and hosts/local/processes and never reads.
#      For the next LIVE_BENCH_SECONDS: every frame's delay (receipt wall time minus the
#      frame's timestamp_ms), the daemon's CPU and RSS as in 1, the client processes' CPU, and
#      every second the stalled connection's state and queue on both ends (`ss`); every 5 s
#      hyperion_live_clients from /metrics (also in 1, for the same cost).
# It prints Markdown tables (bench/live/report.py). Every process it starts is killed on exit.
# About 2.5 minutes on 2 vCPUs once hyperiond is built; a watchdog stops it
# LIVE_BENCH_DEADLINE seconds after the build (default 220).
#
# Needs: /usr/bin/python3 with python3-websockets, curl, ss (iproute2); perf for --perf.
# Environment: LIVE_BENCH_CLIENTS (1000), LIVE_BENCH_RAMP (100 connections at a time),
# LIVE_BENCH_SECONDS (60, each of the two phases), LIVE_BENCH_CLIENT_PROCS (2: client
# processes sharing the clients), LIVE_BENCH_DEADLINE (220), LIVE_BENCH_KEEP (a directory: keep
# the raw samples and per-frame delays there), HYPERION_BENCH_JOBS (2, build parallelism).
# --perf: after the loaded window, with the 1,000 clients still connected, `perf record -g`
# the daemon for 15 s and print the top of `perf report` (~20 s more).
set -euo pipefail
cd "$(dirname "$0")/.."

clients=${LIVE_BENCH_CLIENTS:-1000}
ramp=${LIVE_BENCH_RAMP:-100}
seconds=${LIVE_BENCH_SECONDS:-60}
client_procs=${LIVE_BENCH_CLIENT_PROCS:-2}
deadline=${LIVE_BENCH_DEADLINE:-220}
keep=${LIVE_BENCH_KEEP:-}
jobs=${HYPERION_BENCH_JOBS:-2}
perf=0
for arg in "$@"; do
  case $arg in
    --perf) perf=1 ;;
    *) echo "usage: $0 [--perf]" >&2; exit 2 ;;
  esac
done
daemon=build/release/daemon/hyperiond
py=/usr/bin/python3   # Debian's python, with Debian's python3-websockets

for tool in "$py" curl ss; do
  command -v "$tool" >/dev/null || { echo "live_bench: $tool is missing (see docs/BENCHMARKS.md)" >&2; exit 1; }
done
"$py" -c 'import websockets.client' 2>/dev/null ||
  { echo "live_bench: $py has no websockets module: apt-get install python3-websockets" >&2; exit 1; }
((perf == 0)) || command -v perf >/dev/null || { echo "live_bench: perf is missing" >&2; exit 1; }
# One descriptor per client socket, in this shell's children (the daemon raises its own).
ulimit -n 4096 2>/dev/null || { echo "live_bench: cannot raise RLIMIT_NOFILE to 4096 (hard limit $(ulimit -Hn))" >&2; exit 1; }

. bench/lib.sh  # after the cd to the repository root
bench_scratch live-bench "$keep"
now() { date +%s.%N; }
sleep_until() { local d; d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }'); sleep "$d"; }


# "TID:ticks ..." for every thread of process $1, in creation (TID) order.
thread_ticks() {
  local t s acc=()
  for t in $(find /proc/"$1"/task -mindepth 1 -maxdepth 1 -printf '%f\n' | sort -n); do
    s=$(<"/proc/$1/task/$t/stat") || continue
    s=${s##*) }
    read -r -a f <<<"$s"
    acc+=("$t:$((f[11] + f[12]))")
  done
  echo "${acc[*]}"
}

live_clients() { curl -s -m 2 -H "Authorization: Bearer $token" "$url/metrics" | awk '$1 == "hyperion_live_clients" { print $2 }'; }
# "STATE RECVQ SENDQ" of the TCP socket whose local port is $1, or "gone".
sock_state() {
  local line
  line=$(ss -tnH state all "( sport = :$1 )" 2>/dev/null | awk 'NR == 1 { print $1, $2, $3 }')
  echo "${line:-gone - -}"
}
# "STATE RECVQ SENDQ" of the daemon's socket whose peer port is $1, or "gone".
peer_state() {
  local line
  line=$(ss -tnH state all "( dport = :$1 and sport = :$port )" 2>/dev/null | awk 'NR == 1 { print $1, $2, $3 }')
  echo "${line:-gone - -}"
}

log "building hyperiond (release preset)"
cmake --preset release >/dev/null
cmake --build --preset release --target hyperiond --parallel "$jobs" >/dev/null

# The watchdog: the benchmark is bounded in time whatever happens.
( sleep "$deadline" & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s
  echo "live_bench: deadline of ${deadline} s reached" >&2; kill -TERM $$ ) &
started+=("$!")
t0=$SECONDS

# --- daemon --------------------------------------------------------------------------------
# Default settings, but room for the 1,000 clients and the stalled one.
# Every client comes from 127.0.0.1 and opens 100 connections at a time: the per-address, total
# and not-yet-authenticated connection limits (32, 256 and 64 by default, against floods) are
# raised with the client limit.
bench_start_hyperiond "$daemon" "$work" --live-max-clients 2000 --http-max-connections 2100 \
  --http-max-connections-per-address 2100 --http-max-unauthenticated-connections 2100
url=http://127.0.0.1:$port
for ((i = 0; i < 100; i++)); do
  curl -sf -m 2 -o /dev/null "$url/healthz" && break
  alive "$hyp" || { echo "live_bench: hyperiond exited:" >&2; cat "$work/hyperiond.log" >&2; exit 1; }
  sleep 0.1
done
token=$(bench_login "$url")
[[ -n $token ]] || { echo "live_bench: cannot log in to hyperiond" >&2; exit 1; }
log "hyperiond on $url; $(count_processes) processes on the machine"

{
  echo "| | |"
  echo "| --- | --- |"
  echo "| CPU | $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) |"
  echo "| memory | $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) |"
  echo "| kernel | $(uname -sr); tcp_wmem $(sysctl -n net.ipv4.tcp_wmem 2>/dev/null | tr '\t' ' ') |"
  echo "| processes | $(count_processes) |"
  echo "| daemon | $("$daemon" --version 2>&1 | head -1) (release preset), default intervals, --live-max-clients 2000, --http-max-connections, --http-max-connections-per-address and --http-max-unauthenticated-connections 2100 |"
  echo "| client | $("$py" --version 2>&1), websockets $("$py" -c 'import websockets; print(websockets.__version__)'), ${client_procs} process(es), ${clients} connections opened ${ramp} at a time |"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $(cut -d' ' -f1-3 /proc/loadavg) |"
} >"$work/meta.txt"

# Samples once a second for $1 seconds from wall time $2 into $3; "$4" != "" adds the
# stalled connection (its local port).
sample() {
  local n=$1 start=$2 out=$3 sp=${4:-} i lc
  for ((i = 0; i <= n; i++)); do
    sleep_until "$(awk -v s="$start" -v i="$i" 'BEGIN { printf "%.3f", s + i }')"
    lc=-
    if ((i % 5 == 0)); then lc=$(live_clients); fi
    if [[ -n $sp ]]; then
      printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$(status_kb "$hyp" VmRSS)" "${lc:--}" \
        "$(peer_state "$sp" | tr ' ' '\t')" "$(sock_state "$sp" | tr ' ' '\t')"
    else
      printf '%s\t%s\t%s\n' "$i" "$(status_kb "$hyp" VmRSS)" "${lc:--}"
    fi
  done >"$out"
}

# --- 1. idle -------------------------------------------------------------------------------
sleep 5   # past start-up
log "idle: ${seconds} s without clients"
s0=$(now); c0=$(cpu_ticks "$hyp"); th0=$(thread_ticks "$hyp")
sample "$seconds" "$s0" "$work/idle-samples.tsv"
c1=$(cpu_ticks "$hyp"); th1=$(thread_ticks "$hyp"); s1=$(now)
hz=$(getconf CLK_TCK)
printf 'idle\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(elapsed "$s0" "$s1")" $((c1 - c0)) "$hz" \
  "$(status_kb "$hyp" VmHWM)" "$th0" "$th1" >"$work/daemon.tsv"

# --- 2. 1,000 clients and a stalled one ----------------------------------------------------
log "loaded: opening ${clients} clients, ${ramp} at a time, in ${client_procs} process(es)"
cpids=()
per=$(((clients + client_procs - 1) / client_procs))
for ((k = 0; k < client_procs; k++)); do
  first=$((k * per)); n=$((clients - first < per ? clients - first : per))
  "$py" bench/live/clients.py --token "$token" --url "ws://127.0.0.1:$port/api/v1/live" --clients "$n" --first-id "$first" \
    --ramp "$ramp" --seconds "$seconds" --ready-file "$work/ready.$k" --go-file "$work/go" \
    --out "$work/frames.$k.tsv" 2>"$work/clients.$k.log" &
  cpids+=($!)
  started+=("$!")
done
for ((i = 0; i < 600; i++)); do
  ready=0
  for ((k = 0; k < client_procs; k++)); do [[ -f $work/ready.$k ]] && ready=$((ready + 1)); done
  ((ready == client_procs)) && break
  for p in "${cpids[@]}"; do
    alive "$p" || { echo "live_bench: a client process exited:" >&2; cat "$work"/clients.*.log >&2; exit 1; }
  done
  sleep 0.1
done
((ready == client_procs)) || { echo "live_bench: the clients did not connect in 60 s" >&2; exit 1; }
cat "$work"/ready.* >"$work/ready.txt"
log "connected: $(awk '{ s += $1; t += $2 } END { print s "/" t }' "$work/ready.txt") subscribed, hyperion_live_clients $(live_clients)"
sleep 2   # the upgrades are done; let one tick pass

"$py" bench/live/stalled.py --token "$token" --port "$port" --port-file "$work/stalled.port" \
  hosts/local/system hosts/local/processes >"$work/stalled.out" 2>"$work/stalled.log" &
stalled=$!
started+=("$stalled")
for ((i = 0; i < 50; i++)); do [[ -f $work/stalled.port ]] && break; sleep 0.1; done
[[ -f $work/stalled.port ]] || { echo "live_bench: the stalled client did not subscribe" >&2; cat "$work/stalled.log" >&2; exit 1; }
sp=$(cut -d' ' -f1 "$work/stalled.port")
stalled_at=$(now)

log "loaded: ${seconds} s with $(live_clients) clients (one of them stalled)"
s0=$(now); c0=$(cpu_ticks "$hyp"); th0=$(thread_ticks "$hyp")
cc0=0; for p in "${cpids[@]}"; do cc0=$((cc0 + $(cpu_ticks "$p"))); done
echo "$s0" >"$work/go.tmp" && mv "$work/go.tmp" "$work/go"
sample "$seconds" "$s0" "$work/loaded-samples.tsv" "$sp"
c1=$(cpu_ticks "$hyp"); th1=$(thread_ticks "$hyp")
cc1=0; for p in "${cpids[@]}"; do cc1=$((cc1 + $(cpu_ticks "$p"))); done
s1=$(now)
printf 'loaded\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(elapsed "$s0" "$s1")" $((c1 - c0)) "$hz" \
  "$(status_kb "$hyp" VmHWM)" "$th0" "$th1" >>"$work/daemon.tsv"
printf 'clients\t%s\t%s\t%s\t%s\n' "$(elapsed "$s0" "$s1")" $((cc1 - cc0)) "$hz" \
  "$(for p in "${cpids[@]}"; do status_kb "$p" VmRSS; done | awk '{ s += $1 } END { print s }')" >>"$work/daemon.tsv"
printf '%s\t%s\t%s\n' "$(elapsed "$stalled_at" "$s0")" "$sp" "$(cut -d' ' -f2 "$work/stalled.port")" >"$work/stalled.tsv"
for ((i = 0; i < 100; i++)); do
  done_n=0
  for ((k = 0; k < client_procs; k++)); do [[ -f $work/frames.$k.tsv ]] && done_n=$((done_n + 1)); done
  ((done_n == client_procs)) && break
  sleep 0.1
done
echo "| load average after | $(cut -d' ' -f1-3 /proc/loadavg) |" >>"$work/meta.txt"

# --- report --------------------------------------------------------------------------------
echo
"$py" bench/live/report.py "$work"
echo
echo "(benchmark took $((SECONDS - t0)) s after the build)"

if ((perf)); then
  log "perf: hyperiond for 15 s with the ${clients} clients connected"
  perf record -q -g -p "$hyp" -o "$work/perf.data" -- sleep 15 2>/dev/null &
  started+=("$!")
  wait "$!" || true
  echo; echo "perf, hyperiond with ${clients} clients (self time by symbol, top 30):"
  { perf report -i "$work/perf.data" --stdio --no-children --sort dso,sym -g none 2>/dev/null || true; } |
    grep -E '^ +[0-9]' | cut -c1-150 | head -30 || true
  echo; echo "perf, the same (time with callees, top 30):"
  { perf report -i "$work/perf.data" --stdio --children --sort sym -g none 2>/dev/null || true; } |
    grep -E '^ +[0-9]' | cut -c1-150 | head -30 || true
fi
