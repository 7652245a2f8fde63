#!/usr/bin/env bash
# Reproduces "Authentication: a login and a token check" in docs/BENCHMARKS.md: builds
# bench/auth_bench.cpp with the release preset and runs it at the default Argon2id cost
# (auth.password_iterations 3, auth.password_memory 64MiB), then at the cost the tests use.
# Then, end to end over HTTP: 20 logins with curl against a release hyperiond, and the same
# /api/v1/hosts/local/system request with and without a bearer token (metrics.public is not
# involved: /healthz is public, so it is the unauthenticated baseline of the same size class).
# About a minute. Needs: curl.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
jobs=${HYPERION_BENCH_JOBS:-2}
log "building (release preset, with the benchmarks)"
cmake --preset release -DHYPERION_BUILD_BENCH=ON >/dev/null
cmake --build --preset release --target auth_bench hyperiond --parallel "$jobs" >/dev/null
log "auth_bench at the default cost"
build/release/bench/auth_bench
echo
log "auth_bench at the tests' cost (8 MiB, 1 pass)"
build/release/bench/auth_bench --iterations 1 --memory-mib 8 --logins 50

work=$(mktemp -d /tmp/hyperion-auth-bench.XXXXXX)
started=()
trap 'if ((${#started[@]})); then kill "${started[@]}" 2>/dev/null; wait "${started[@]}" 2>/dev/null; fi; rm -rf "$work"' EXIT
bench_start_hyperiond build/release/daemon/hyperiond "$work" --auth-login-attempts-per-minute 1000
url=http://127.0.0.1:$port
until curl -sf -o /dev/null "$url/healthz"; do sleep 0.1; done
echo
log "over HTTP: 20 logins, then 500 requests with a bearer token and 500 to /healthz"
for _ in $(seq 20); do
  curl -s -o /dev/null -w '%{time_total}\n' -H 'Content-Type: application/json' \
    -d "{\"username\":\"bench\",\"password\":\"$bench_password\"}" "$url/api/v1/auth/login"
done | sort -n | awk '{ t[NR] = $1 } END { printf "| POST /api/v1/auth/login (curl, new connection each) | median %.1f ms | max %.1f ms |\n", t[int(NR / 2) + 1] * 1000, t[NR] * 1000 }'
token=$(bench_login "$url")
seq_urls() { local i; for ((i = 0; i < 500; i++)); do printf -- '-o /dev/null %s\n' "$1"; done; }
for what in token healthz; do
  if [[ $what == token ]]; then
    mapfile -t args < <(seq_urls "$url/api/v1/hosts")
    h=(-H "Authorization: Bearer $token")
  else
    mapfile -t args < <(seq_urls "$url/healthz")
    h=()
  fi
  # one keep-alive connection, as a dashboard or a script holds it
  # shellcheck disable=SC2068
  curl -s "${h[@]}" -w '%{time_total}\n' ${args[@]} | sort -n |
    awk -v w="$what" '{ t[NR] = $1 } END { printf "| %s, keep-alive | median %.0f µs | p95 %.0f µs |\n", (w == "token" ? "GET /api/v1/hosts with a bearer token" : "GET /healthz, public"), t[int(NR / 2) + 1] * 1e6, t[int(NR * 0.95)] * 1e6 }'
done
