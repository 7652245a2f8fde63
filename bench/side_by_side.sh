#!/usr/bin/env bash
# Side-by-side CPU of hyperiond and prometheus-node-exporter, with ~500 processes, for the
# target "hyperiond with every family at 1 s in at most 0.8 % of one core and at most three
# quarters of node_exporter's CPU (node_exporter scraped once a second), in the same window".
#
# Builds hyperiond with the release preset, brings the machine to ~500 processes (sleeping
# `sleep`s plus four Python processes with eight threads each, as bench/http_bench.sh does),
# then, on 127.0.0.1 free ports only, measures these servers:
#   (a) hyperiond, default intervals, no client;
#   (b) hyperiond, every family at 1 s (every --intervals-NAME flag of `hyperiond --help`),
#       no client;
#   (d) as (b), and /metrics (public: --metrics-public true) scraped once a second by curl;
#   (c) prometheus-node-exporter, default collectors, /metrics scraped once a second by curl.
# Each hyperiond has its own --data-dir under a temporary directory and listens on
# 127.0.0.1:0. Every window starts 5 s after the servers (the scrapers run during the warm-up
# too) and lasts SIDE_BY_SIDE_SECONDS. CPU is utime+stime (all threads) from /proc/PID/stat
# over the window, as % of one core; memory is VmRSS sampled every second and VmHWM at the end.
#
# Two passes per round:
#   together: (a), (b), (d) and (c) all in the same window. Each hyperiond keeps descriptors
#             open on every process, the others' included, so each one's socket-owner scan
#             also reads the other daemons' descriptors: this inflates every hyperiond's cost;
#   alone:    each hyperiond variant on its own next to node_exporter, one pair after the
#             other: (a)+(c), (b)+(c), (d)+(c); the order of the pairs rotates every round.
# Then it prints Markdown tables (bench/side_by_side/report.py): per round and the median, with
# the load average before and after every round (the machine may be shared).
#
# Options:
#   --perf      afterwards, (b) alone: `perf record -g -p PID` for 15 s, and the top of
#               `perf report --no-children --sort sym` and of `perf report --children --sort sym`;
#               then 10 s with --call-graph dwarf (the release build has no frame pointers)
#   --families  afterwards, (b) alone with one family at a time at 1h instead of 1s
#               (SIDE_BY_SIDE_FAMILY_SECONDS each), plus all at 1 s and all at 1 h, for
#               SIDE_BY_SIDE_FAMILY_ROUNDS rounds: what each family costs at 1 s
# Each window also notes other users' processes with 100 or more descriptors: another
# daemon keeping descriptors on every process (a test's hyperiond) makes ours re-read its fd
# links whenever its count changes, and so inflates the figures.
# Environment: HYPERION_BENCH_PROCESSES (500), HYPERION_BENCH_JOBS (1, build parallelism),
# SIDE_BY_SIDE_SECONDS (60), SIDE_BY_SIDE_ROUNDS (3), SIDE_BY_SIDE_WARMUP (5),
# SIDE_BY_SIDE_FAMILY_SECONDS (30), SIDE_BY_SIDE_FAMILY_ROUNDS (1), SIDE_BY_SIDE_REF (a commit, e.g. HEAD: build and measure
# that commit from a `git archive` snapshot instead of the working tree, when the tree is in
# the middle of an edit), SIDE_BY_SIDE_DEADLINE (seconds after the build; default from the
# settings above), SIDE_BY_SIDE_KEEP (a directory: keep the raw TSVs and logs there).
# Defaults: about 18 minutes on 2 vCPUs, plus ~9 with --families and ~1 with --perf.
#
# Needs: curl, prometheus-node-exporter (apt-get install prometheus-node-exporter), python3;
# perf for --perf (apt-get install linux-perf).
set -euo pipefail
cd "$(dirname "$0")/.."

procs=${HYPERION_BENCH_PROCESSES:-500}
jobs=${HYPERION_BENCH_JOBS:-1}
seconds=${SIDE_BY_SIDE_SECONDS:-60}
rounds=${SIDE_BY_SIDE_ROUNDS:-3}
warmup=${SIDE_BY_SIDE_WARMUP:-5}
fam_seconds=${SIDE_BY_SIDE_FAMILY_SECONDS:-30}
fam_rounds=${SIDE_BY_SIDE_FAMILY_ROUNDS:-1}
keep=${SIDE_BY_SIDE_KEEP:-}
perf=0
families=0
for arg in "$@"; do
  case $arg in
    --perf) perf=1 ;;
    --families) families=1 ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--perf] [--families]" >&2; exit 2 ;;
  esac
done
py=/usr/bin/python3   # Debian's python, not pyenv's
[[ -x $py ]] || py=$(command -v python3)

for tool in curl prometheus-node-exporter "$py"; do
  command -v "$tool" >/dev/null ||
    { echo "side_by_side: $tool is missing (apt-get install -y prometheus-node-exporter curl python3)" >&2; exit 1; }
done
if ((perf)) && ! command -v perf >/dev/null; then
  echo "side_by_side: perf is missing (apt-get install -y linux-perf); --perf is skipped" >&2
  perf=0
fi

# The default deadline: every window, its warm-up and ~15 s of start and stop, plus the options.
phase_cost=$((warmup + seconds + 15))
default_deadline=$((rounds * 4 * phase_cost + 60))
((perf == 0)) || default_deadline=$((default_deadline + warmup + 30 + 120))
((families == 0)) || default_deadline=$((default_deadline + fam_rounds * 14 * (warmup + fam_seconds + 10)))
deadline=${SIDE_BY_SIDE_DEADLINE:-$default_deadline}

. bench/lib.sh  # after the cd to the repository root
bench_scratch side-by-side "$keep"   # `started`: every PID this script started and has not stopped yet
SPAWN_SECONDS=$((deadline + 120))   # the sleeping processes outlive the run; the trap kills them

# Stops the PIDs in "$@" (SIGTERM, then waits) and drops them from `started`.
stop_pids() {
  local p q keep_list=()
  kill "$@" 2>/dev/null || true
  wait "$@" 2>/dev/null || true
  for q in "${started[@]}"; do
    for p in "$@"; do [[ $q == "$p" ]] && continue 2; done
    keep_list+=("$q")
  done
  started=("${keep_list[@]}")
}

# Filler `sleep`s: adds or stops some so that the machine has about $1 processes.
fillers=()
fill_to() {
  local have
  have=$(count_processes)
  while ((have < $1)); do
    sleep "$SPAWN_SECONDS" &
    started+=($!)
    fillers+=($!)
    have=$((have + 1))
  done
  if ((have > $1)); then
    local n=$((have - $1))
    ((n <= ${#fillers[@]})) || n=${#fillers[@]}
    if ((n > 0)); then
      local drop=("${fillers[@]:0:n}")
      fillers=("${fillers[@]:n}")
      stop_pids "${drop[@]}"
    fi
  fi
}

free_port() {
  "$py" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (up to 30 s) until URL $1 answers 200; $2 is the server's PID, $3 its log.
wait_http() {
  local i
  for ((i = 0; i < 120; i++)); do
    curl -sf -m 2 -o /dev/null "$1" && return 0
    alive "$2" || { echo "side_by_side: server for $1 exited:" >&2; cat "$3" >&2; exit 1; }
    sleep 0.25
  done
  echo "side_by_side: $1 did not answer in 30 s" >&2; cat "$3" >&2; exit 1
}

# VmRSS / VmHWM in kB without a fork (the sampling loop runs every second next to the servers).
status_field() {
  local k v _
  while read -r k v _; do
    [[ $k == "$2:" ]] && { echo "$v"; return 0; }
  done <"/proc/$1/status"
  echo 0
}

loadavg() { local a b c _; read -r a b c _ </proc/loadavg; echo "$a $b $c"; }

# Other users' processes with 100 descriptors or more ("comm:count,..."; "none"): hyperiond
# re-reads the fd links of a process whose descriptor count changed, so another daemon that
# keeps descriptors on every process (a test's hyperiond) adds to its cost. PIDs in "$@" are
# ours and left out. One python3, outside the measured window.
others() {
  "$py" - "$@" <<'PY'
import os, sys
ours = set(sys.argv[1:])
found = []
for p in os.listdir("/proc"):
    if not p.isdigit() or p in ours:
        continue
    try:
        n = os.stat(f"/proc/{p}/fd").st_size or len(os.listdir(f"/proc/{p}/fd"))
        if n >= 100:
            with open(f"/proc/{p}/comm") as f:
                found.append((n, f.read().strip()))
    except OSError:
        pass
print(",".join(f"{c}:{n}" for n, c in sorted(found, reverse=True)) or "none")
PY
}

# The source: the working tree, or with SIDE_BY_SIDE_REF a `git archive` of that commit in
# /tmp/hyperion-side-by-side-src-SHA (kept, so that the next run with the same commit reuses its
# build). The working tree is built in place, into build/release.
src=.
source_text="working tree at $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
if [[ -n ${SIDE_BY_SIDE_REF:-} ]]; then
  sha=$(git rev-parse --verify "${SIDE_BY_SIDE_REF}^{commit}")
  src=/tmp/hyperion-side-by-side-src-${sha:0:12}
  if [[ ! -f $src/CMakePresets.json ]]; then
    rm -rf "$src.tmp"; mkdir -p "$src.tmp"
    git archive "$sha" | tar -x -C "$src.tmp"
    mv "$src.tmp" "$src"
  fi
  source_text="commit ${sha:0:12} (${SIDE_BY_SIDE_REF}), built in $src"
elif ! git diff --quiet HEAD -- 2>/dev/null; then
  source_text+=" + uncommitted changes"
fi
daemon=$src/build/release/daemon/hyperiond
log "building hyperiond (release preset, -j$jobs) from the $source_text"
(cd "$src" && cmake --preset release >/dev/null && cmake --build --preset release --target hyperiond -j"$jobs" >/dev/null) ||
  { echo "side_by_side: the build failed (SIDE_BY_SIDE_REF=HEAD builds the last commit instead)" >&2; exit 1; }

# Every family's --intervals-NAME flag, from the daemon's own help.
help_text=$("$daemon" --help 2>&1)
mapfile -t interval_flags < <(grep -o -- '--intervals-[a-z0-9-]*' <<<"$help_text" | sort -u)
((${#interval_flags[@]})) || { echo "side_by_side: no --intervals-* flag in hyperiond --help" >&2; exit 1; }
every_1s=()
for f in "${interval_flags[@]}"; do every_1s+=("$f" 1s); done
grep -q -- '--metrics-public' <<<"$help_text" ||
  { echo "side_by_side: hyperiond has no --metrics-public" >&2; exit 1; }

# The watchdog: the benchmark is bounded in time whatever happens.
( sleep "$deadline" & s=$!; trap 'kill $s 2>/dev/null; exit 0' TERM; wait $s
  echo "side_by_side: deadline of ${deadline} s reached" >&2; kill -TERM $$ ) &
started+=($!)
t0=$SECONDS

log "$(count_processes) processes before the benchmark; families: ${interval_flags[*]#--intervals-}"
# A realistic mix has threads too: four Python processes with eight sleeping threads each.
for _ in 1 2 3 4; do
  "$py" -c 'import threading, time
for _ in range(8): threading.Thread(target=time.sleep, args=('"$SPAWN_SECONDS"',), daemon=True).start()
time.sleep('"$SPAWN_SECONDS"')' &
  started+=($!)
done

declare -A pid url

# Starts server $1 (a, b, d or c; $2 names its directory) and sets pid[$1] and url[$1].
start_server() {
  local v=$1 dir=$work/$2
  mkdir -p "$dir"
  # bench_start_hyperiond reads the log right after starting the daemon in the background,
  # maybe before the child has opened it: the file must already exist
  : >"$dir/hyperiond.log"
  case $v in
    a) bench_start_hyperiond "$daemon" "$dir" ;;
    b) bench_start_hyperiond "$daemon" "$dir" "${every_1s[@]}" ;;
    d) bench_start_hyperiond "$daemon" "$dir" "${every_1s[@]}" --metrics-public true ;;
    x) bench_start_hyperiond "$daemon" "$dir" "${extra_flags[@]}" ;;   # --families
    c)
      local ne_port
      ne_port=$(free_port)
      prometheus-node-exporter --web.listen-address=127.0.0.1:"$ne_port" >"$dir/node_exporter.log" 2>&1 &
      pid[c]=$!
      started+=($!)
      url[c]=http://127.0.0.1:$ne_port
      wait_http "${url[c]}/metrics" "${pid[c]}" "$dir/node_exporter.log"
      return 0
      ;;
  esac
  pid[$v]=$hyp
  url[$v]=http://127.0.0.1:$port
  wait_http "${url[$v]}/healthz" "$hyp" "$dir/hyperiond.log"
  [[ $v != d ]] || wait_http "${url[$v]}/metrics" "$hyp" "$dir/hyperiond.log"
}

# A curl loop on URL $1 once a second (as bench/http_bench.sh scrapes node_exporter); sets REPLY.
start_scraper() {
  ( c=; trap 'kill $c 2>/dev/null; exit 0' TERM
    while :; do
      curl -s -m 2 -o /dev/null "$1" & c=$!; wait $c
      sleep 1 & c=$!; wait $c
    done ) &
  REPLY=$!
  started+=($REPLY)
}

# One window: $1 pass, $2 round, $3 window length, then the servers (a b d c). Starts them,
# the scrapers for c and d, waits the warm-up, measures, stops everything it started.
hz=$(getconf CLK_TCK)
: >"$work/results.tsv"
window_n=0
window() {
  local pass=$1 round=$2 secs_wanted=$3 v i r
  shift 3
  local servers=("$@") scrapers=()
  window_n=$((window_n + 1))
  for v in "${servers[@]}"; do start_server "$v" "$window_n-$pass-r$round-$v"; done
  for v in "${servers[@]}"; do
    if [[ $v == c || $v == d ]]; then start_scraper "${url[$v]}/metrics"; scrapers+=("$REPLY"); fi
  done
  fill_to "$procs"   # after the servers and scrapers (other users' processes come and go)
  sleep "$warmup"
  local nprocs nthreads load0 load1 s0 s1 other
  declare -A t0s t1s rmax
  nprocs=$(count_processes); nthreads=$(count_threads)
  other=$(others "${started[@]}")
  load0=$(loadavg)
  for v in "${servers[@]}"; do t0s[$v]=$(cpu_ticks "${pid[$v]}"); rmax[$v]=0; done
  s0=$(date +%s.%N)
  for ((i = 0; i < secs_wanted; i++)); do
    sleep 1
    for v in "${servers[@]}"; do
      r=$(status_field "${pid[$v]}" VmRSS)
      ((r <= rmax[$v])) || rmax[$v]=$r
    done
  done
  for v in "${servers[@]}"; do t1s[$v]=$(cpu_ticks "${pid[$v]}"); done
  s1=$(date +%s.%N)
  load1=$(loadavg)
  local secs
  secs=$(elapsed "$s0" "$s1")
  for v in "${servers[@]}"; do
    alive "${pid[$v]}" || { echo "side_by_side: server $v died during the window" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$pass" "$round" "${label:-$v}" "$secs" \
      $((t1s[$v] - t0s[$v])) "$hz" "${rmax[$v]}" "$(status_field "${pid[$v]}" VmHWM)" \
      "$nprocs" "$nthreads" "$load0" "$load1" "$other" >>"$work/results.tsv"
  done
  ((${#scrapers[@]} == 0)) || stop_pids "${scrapers[@]}"
  local server_pids=()
  for v in "${servers[@]}"; do server_pids+=("${pid[$v]}"); done
  stop_pids "${server_pids[@]}"
  log "  $pass, round $round, ${label:-${servers[*]}}: $(for v in "${servers[@]}"; do
    awk -v v="$v" -v t=$((t1s[$v] - t0s[$v])) -v hz="$hz" -v s="$secs" \
      'BEGIN { printf "%s %.2f %%  ", v, 100 * t / hz / s }'; done)(load $load0 -> $load1, $nprocs processes; others with 100+ fds: $other)"
}

{
  echo "| | |"
  echo "| --- | --- |"
  echo "| CPU | $(nproc) × $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo) |"
  echo "| memory | $(awk '/^MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo) |"
  echo "| kernel | $(uname -sr) |"
  echo "| servers | $("$daemon" --version 2>&1 | head -1) (release preset, $source_text); node_exporter $(prometheus-node-exporter --version 2>&1 | awk 'NR == 1 { print $3 }'), default collectors |"
  echo "| families at 1 s in (b) and (d) | ${interval_flags[*]#--intervals-} |"
  echo "| window | ${seconds} s after a ${warmup} s warm-up, ${rounds} rounds, CLK_TCK $hz |"
  echo "| date | $(date -u '+%Y-%m-%d %H:%M UTC'), load average before: $(loadavg) |"
} >"$work/meta.txt"

for ((r = 1; r <= rounds; r++)); do
  log "round $r of $rounds ($((SECONDS - t0)) s so far), load average $(loadavg)"
  echo -e "$r\tbefore\t$(loadavg)" >>"$work/loads.tsv"
  window together "$r" "$seconds" a b d c
  case $((r % 3)) in
    1) order=(a b d) ;;
    2) order=(b d a) ;;
    0) order=(d a b) ;;
  esac
  for v in "${order[@]}"; do window "alone-$v" "$r" "$seconds" "$v" c; done
  echo -e "$r\tafter\t$(loadavg)" >>"$work/loads.tsv"
done
echo "| load average after | $(loadavg) |" >>"$work/meta.txt"

if ((families)); then
  # (b) alone, no client: all at 1 s, each family in turn at 1 h (the others at 1 s), all at
  # 1 h; SIDE_BY_SIDE_FAMILY_ROUNDS rounds, the order rotating by one every round.
  fam_labels=("all at 1 s")
  for f in "${interval_flags[@]}"; do fam_labels+=("${f#--intervals-} at 1 h"); done
  fam_labels+=("all at 1 h")
  fam_flags() {   # sets extra_flags for label $1
    local g slow=${1% at 1 h}
    extra_flags=()
    for g in "${interval_flags[@]}"; do
      if [[ $1 == "all at 1 h" || ${g#--intervals-} == "$slow" ]]; then extra_flags+=("$g" 1h); else extra_flags+=("$g" 1s); fi
    done
  }
  log "families: ${#fam_labels[@]} runs of ${fam_seconds} s, ${fam_rounds} rounds, hyperiond alone"
  for ((fr = 1; fr <= fam_rounds; fr++)); do
    n=${#fam_labels[@]}
    for ((k = 0; k < n; k++)); do
      label=${fam_labels[$(((k + fr - 1) % n))]}
      fam_flags "$label"
      window families "$fr" "$fam_seconds" x
    done
  done
  unset label
fi

if ((perf)); then
  log "perf: (b) alone, every family at 1 s, no client, 15 s"
  start_server b perf-b
  fill_to "$procs"
  sleep "$warmup"
  echo "others with 100+ fds during the profile: $(others "${started[@]}")" >"$work/perf.txt"
  if perf record -q -g -p "${pid[b]}" -o "$work/perf-b.data" -- sleep 15 >"$work/perf-record.log" 2>&1; then
    {
      echo "perf report --no-children --sort sym (self time, top 30):"
      perf report -i "$work/perf-b.data" --stdio --no-children --sort sym -g none 2>/dev/null |
        grep -E '^ +[0-9]' | head -30 || true
      echo
      echo "perf report --children --sort sym (with callees' time, top 40):"
      perf report -i "$work/perf-b.data" --stdio --children --sort sym -g none 2>/dev/null |
        grep -E '^ +[0-9]' | head -40 || true
      echo
      echo "perf report --no-children --sort dso:"
      perf report -i "$work/perf-b.data" --stdio --no-children --sort dso -g none 2>/dev/null |
        grep -E '^ +[0-9]' | head -10 || true
    } >>"$work/perf.txt"
    # The release build has no frame pointers: -g cannot walk hyperiond's own stack, so its
    # callers are guesses. DWARF unwinding can, for another 10 s.
    if perf record -q --call-graph dwarf,16384 -p "${pid[b]}" -o "$work/perf-b-dwarf.data" -- sleep 10 \
      >>"$work/perf-record.log" 2>&1; then
      {
        echo
        echo "perf record --call-graph dwarf, 10 s; perf report --children --sort sym, hyperiond's and libc's symbols (top 40):"
        perf report -i "$work/perf-b-dwarf.data" --stdio --children --sort sym -g none 2>/dev/null |
          grep -E '^ +[0-9]' | grep -F '[.]' | grep -v ' 0x0' | head -40 || true
      } >>"$work/perf.txt"
    fi
  else
    { echo "perf record failed:"; cat "$work/perf-record.log"; } >>"$work/perf.txt"
  fi
  stop_pids "${pid[b]}"
fi

echo
"$py" bench/side_by_side/report.py "$work"
if [[ -f $work/perf.txt ]]; then echo; echo '```'; cat "$work/perf.txt"; echo '```'; fi
echo
echo "(benchmark took $((SECONDS - t0)) s after the build)"
