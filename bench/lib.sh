# Shared helpers of the benchmark scripts (sourced). A script that calls spawn_to keeps the
# PIDs it started in its own `started` array and kills them in its EXIT trap.

log() { echo "== $*" >&2; }

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
