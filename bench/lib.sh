# Shared helpers of the benchmark scripts (sourced). A script calls bench_scratch first: every
# PID it starts goes into `started`, and the clean-up kills them on exit.

log() { echo "== $*" >&2; }

# bench_scratch NAME [KEEP]: `started` empty; with a NAME, a scratch directory in $work
# (/tmp/hyperion-NAME.XXXXXX). On exit every PID in `started` is killed and waited for, $work
# is copied to KEEP when one is given, and removed. INT and TERM end the script with 130,
# which runs the same clean-up.
bench_scratch() {
  started=()
  work=
  bench_name=$1
  bench_keep=${2:-}
  if [[ -n $bench_name ]]; then work=$(mktemp -d "/tmp/hyperion-$bench_name.XXXXXX"); fi
  trap bench_cleanup EXIT
  trap 'echo "${bench_name:-bench}: stopped" >&2; exit 130' INT TERM
}
bench_cleanup() {
  if ((${#started[@]})); then
    kill "${started[@]}" 2>/dev/null || true
    wait "${started[@]}" 2>/dev/null || true
  fi
  if [[ -n $work ]]; then
    if [[ -n $bench_keep ]]; then { mkdir -p "$bench_keep" && cp -r "$work"/. "$bench_keep"/; } || true; fi
    rm -rf "$work"
  fi
}

elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

count_processes() {
  local n=0 d
  for d in /proc/[0-9]*; do n=$((n + 1)); done
  echo "$n"
}

count_threads() {
  local n=0 d
  for d in /proc/[0-9]*/task/[0-9]*; do n=$((n + 1)); done
  echo "$n"
}

# Starts sleeping processes (for ${SPAWN_SECONDS:-600} s at most) until the machine has
# about $1 in all; their PIDs go into the caller's `started` array.
spawn_to() {
  local have
  have=$(count_processes)
  while ((have < $1)); do
    sleep "${SPAWN_SECONDS:-600}" &
    started+=($!)
    have=$((have + 1))
  done
}

# utime + stime of all threads of process $1, in clock ticks (comm may hold spaces and ')').
cpu_ticks() {
  local s
  s=$(</proc/"$1"/stat)
  s=${s##*) }
  read -r -a f <<<"$s"
  echo $((f[11] + f[12]))
}

# A field of /proc/$1/status in kB ("VmRSS", "VmHWM").
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' /proc/"$1"/status; }

# True while process $1 exists and is not a zombie.
alive() { [[ -r /proc/$1/stat ]] && [[ $(awk '{ print $3 }' /proc/"$1"/stat 2>/dev/null) != Z ]]; }

# Benchmarks read the API as a user: `bench` (admin) is added to the data directory before the
# daemon starts, and bench_login gets its access token. Start the daemon with
# "${bench_auth_flags[@]}" so that the token outlives the run.
bench_password=quartz-meadow-4242
bench_auth_flags=(--auth-access-token-ttl 1d)
bench_add_user() {  # $1 hyperiond, $2 data directory
  printf '%s\n' "$bench_password" | "$1" user add bench --role admin --password-stdin --data-dir "$2" >/dev/null
}
bench_login() {  # $1 base URL; prints the access token
  curl -sf -m 10 -H 'Content-Type: application/json' -d "{\"username\":\"bench\",\"password\":\"$bench_password\"}" \
    "$1/api/v1/auth/login" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}

# Starts hyperiond ($1) on 127.0.0.1:0 with default settings (no config file, no HYPERION_*
# variables from the caller) and the bench user, plus the settings in "${@:3}"; data in
# $2/data, log in $2/hyperiond.log. Sets hyp (its PID, also added to the caller's `started`)
# and port once it listens; exits with the log when it does not.
bench_start_hyperiond() {
  local daemon=$1 work=$2 v i
  shift 2
  : >"$work/empty.toml"
  local unset_env=()
  while read -r v; do unset_env+=(-u "$v"); done < <(compgen -e | grep '^HYPERION_' || true)
  bench_add_user "$daemon" "$work/data"
  # Empty before the start: the port is read from this file, which must not show an earlier run's.
  : >"$work/hyperiond.log"
  env "${unset_env[@]}" "$daemon" --config "$work/empty.toml" --listen 127.0.0.1:0 --data-dir "$work/data" \
    "${bench_auth_flags[@]}" "$@" 2>"$work/hyperiond.log" &
  hyp=$!
  started+=("$hyp")
  port=
  for ((i = 0; i < 200; i++)); do
    port=$(sed -n 's|.*listening on https\{0,1\}://127\.0\.0\.1:\([0-9]*\).*|\1|p' "$work/hyperiond.log" | head -1)
    [[ -n $port ]] && return 0
    alive "$hyp" || break
    sleep 0.05
  done
  echo "bench: hyperiond did not start:" >&2
  cat "$work/hyperiond.log" >&2
  exit 1
}
