#!/usr/bin/env bash
# Lints /metrics of the live machine with the real `promtool check metrics` (docs: TESTING.md,
# section 4). usage: promtool_check.sh METRICS_DUMP [PROMTOOL]
#
# promtool exits 0 when clean, 3 on lint problems, 1 on a parse error. node_exporter's own
# names fail the lint (node_memory_MemAvailable_bytes is camelCase) and we keep them on
# purpose, so exit 3 passes only when every lint line names one of the node_exporter 1.5
# families below, and never a hyperion_* family. Anything else fails.
set -u

dump=${1:?usage: promtool_check.sh METRICS_DUMP [PROMTOOL]}
promtool=${2:-}
if [[ -z $promtool || $promtool == *NOTFOUND ]]; then
  promtool=$(command -v promtool || true)
fi
if [[ -z $promtool ]]; then
  echo "FAIL: promtool not found: install the Debian package 'prometheus' (it ships promtool)" >&2
  exit 1
fi

# Exactly the names node_exporter 1.5's meminfo collector exports for the fields we render.
allowed='^node_memory_(MemTotal|MemFree|MemAvailable|Buffers|Cached|Shmem|Slab|SReclaimable|Dirty|Writeback|SwapTotal|SwapFree|SwapCached|Hugepagesize)_bytes$|^node_memory_HugePages_(Total|Free|Rsvd|Surp)$'

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! "$dump" >"$tmp/metrics"; then
  echo "FAIL: $dump failed" >&2
  exit 1
fi
if ! grep -q '^hyperion_build_info{' "$tmp/metrics" || ! grep -q '^node_cpu_seconds_total{' "$tmp/metrics"; then
  echo "FAIL: the dump lacks hyperion_build_info or node_cpu_seconds_total" >&2
  exit 1
fi

"$promtool" check metrics <"$tmp/metrics" >"$tmp/lint" 2>&1
rc=$?
echo "promtool check metrics: exit $rc, $(grep -c '^# TYPE ' "$tmp/metrics") families, $(grep -vc '^#' "$tmp/metrics") samples"
cat "$tmp/lint"

case $rc in
  0) exit 0 ;;
  3)
    if [[ ! -s $tmp/lint ]]; then
      echo "FAIL: exit 3 without lint lines" >&2
      exit 1
    fi
    bad=0
    while IFS= read -r line; do
      name=${line%% *}
      if [[ $name == hyperion_* ]]; then
        echo "FAIL: lint problem in our own family: $line" >&2
        bad=1
      elif ! [[ $name =~ $allowed ]]; then
        echo "FAIL: lint problem outside the node_exporter families allowed to fail it: $line" >&2
        bad=1
      fi
    done <"$tmp/lint"
    if ((bad == 0)); then
      echo "PASS: only node_exporter's own names fail the lint"
    fi
    exit "$bad"
    ;;
  *)
    echo "FAIL: promtool exit $rc (1 = the text does not parse)" >&2
    exit 1
    ;;
esac
