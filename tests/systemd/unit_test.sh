#!/usr/bin/env bash
# Our systemd unit under a real systemd (252, booted in a container by systemd_ct.sh):
# Type=notify start completes on READY=1 with our status text, the watchdog is fed, a reload
# reaches the daemon, its log lines land in the journal at their priority, the first start
# creates an admin whose one-time password is in the journal and must be changed, the API
# answers inside the unit's sandbox, and a stop ends with Result=success and exit status 0.
#
# What this does not prove: other systemd versions, boot ordering, running as non-root.
#
# usage: unit_test.sh HYPERIOND_BINARY UNIT_FILE
set -euo pipefail

binary=${1:?usage: unit_test.sh HYPERIOND UNIT_FILE}
unit=${2:?usage: unit_test.sh HYPERIOND UNIT_FILE}
if [ "$(id -u)" -ne 0 ]; then
  echo "unit_test: needs root to boot systemd in a container" >&2
  exit 1
fi
ct=$(cd "$(dirname "$0")" && pwd)/systemd_ct.sh
name=hyp-unit-$$
trap '"$ct" stop "$name"' EXIT

fail() {
  echo "FAIL: $*" >&2
  nsenter -t "$leader" -a journalctl -u hyperiond --no-pager -n 50 >&2 || true
  exit 1
}

"$ct" prepare "$name"
root=$("$ct" root "$name")
install -m 0755 "$binary" "$root/usr/sbin/hyperiond"
install -m 0644 "$unit" "$root/etc/systemd/system/hyperiond.service"
leader=$("$ct" start "$name")
inside() { nsenter -t "$leader" -a "$@"; }

# Type=notify: start returns only once the daemon said READY=1.
inside systemctl start hyperiond || fail "systemctl start"
show=$(inside systemctl show hyperiond -p ActiveState -p SubState -p StatusText -p NRestarts)
echo "$show"
grep -qx 'ActiveState=active' <<<"$show" || fail "not active"
grep -qx 'SubState=running' <<<"$show" || fail "not running"
grep -qx 'StatusText=serving on port 9800' <<<"$show" || fail "no READY status text"

# The API answers inside the sandbox (ProtectSystem=strict, StateDirectory, ...).
for _ in $(seq 1 300); do
  code=$(inside curl -s -o /dev/null -w '%{http_code}' 127.0.0.1:9800/healthz || true)
  [ "$code" = 200 ] && break
  sleep 0.1
done
[ "$code" = 200 ] || fail "/healthz answered $code"
# First start: the admin's one-time password is in the journal, once; it logs in, must change
# the password before anything else, and then reads the API.
pw=$(inside journalctl -u hyperiond --no-pager -o cat | sed -n "s/.*one-time password \([^ ]*\) .*/\1/p")
[ "$(wc -l <<<"$pw")" = 1 ] && [ -n "$pw" ] || fail "no single one-time admin password in the journal"
login() {
  inside curl -s -H 'Content-Type: application/json' -d "{\"username\":\"admin\",\"password\":\"$1\"}" \
    127.0.0.1:9800/api/v1/auth/login | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p'
}
token=$(login "$pw")
[ -n "$token" ] || fail "the one-time password does not log in"
code=$(inside curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" 127.0.0.1:9800/api/v1/hosts/local/system)
[ "$code" = 403 ] || fail "a temporary password reads the API (status $code, want 403)"
inside curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d "{\"current_password\":\"$pw\",\"new_password\":\"unit-test-password-42\"}" 127.0.0.1:9800/api/v1/auth/password ||
  fail "changing the one-time password"
token=$(login unit-test-password-42)
[ -n "$token" ] || fail "the new password does not log in"
code=$(inside curl -s -o /dev/null -w '%{http_code}' '127.0.0.1:9800/api/v1/hosts/local/processes')
[ "$code" = 401 ] || fail "the API answers without credentials (status $code, want 401)"
# Bodies are captured before grep: with pipefail, `curl | grep -q` fails whenever grep exits
# at the first match while curl is still writing (SIGPIPE).
processes=$(inside curl -sf -H "Authorization: Bearer $token" '127.0.0.1:9800/api/v1/hosts/local/processes?name=hyperiond') ||
  fail "process list"
grep -q '"comm":"hyperiond"' <<<"$processes" || fail "the process list does not show hyperiond"
metrics=$(inside curl -sf -H "Authorization: Bearer $token" 127.0.0.1:9800/metrics) || fail "/metrics"
[ "$(inside stat -c %a /var/lib/hyperion/hyperion.db)" = 600 ] || fail "the database is not 0600"
[ "$(inside stat -c %a /var/lib/hyperion/keys/secrets.key)" = 600 ] || fail "the key file is not 0600"
grep -q '^node_cpu_seconds_total{' <<<"$metrics" || fail "/metrics has no node_cpu_seconds_total"
inside test -d /var/lib/hyperion || fail "StateDirectory /var/lib/hyperion missing"

# The watchdog is fed: its timestamp moves.
w1=$(inside systemctl show hyperiond -p WatchdogTimestampMonotonic --value)
sleep 2.5
w2=$(inside systemctl show hyperiond -p WatchdogTimestampMonotonic --value)
[ "$w1" != 0 ] && [ "$w2" -gt "$w1" ] || fail "watchdog timestamp did not move ($w1 -> $w2)"

# Reload reaches the daemon; the log line is in the journal at priority info (6).
inside systemctl reload hyperiond || fail "systemctl reload"
for _ in $(seq 1 100); do
  inside journalctl -u hyperiond --no-pager -o cat -p info | grep 'reloaded the configuration' >/dev/null && break
  sleep 0.1
done
inside journalctl -u hyperiond --no-pager -o cat -p info | grep 'reloaded the configuration' >/dev/null ||
  fail "no reload line in the journal"
inside journalctl -u hyperiond --no-pager -o cat -p warning | grep 'reloaded the configuration' >/dev/null &&
  fail "an info line was filed as a warning"
[ "$(inside systemctl show hyperiond -p ActiveState --value)" = active ] || fail "not active after reload"

# Stop: SIGTERM, clean exit.
inside systemctl stop hyperiond || fail "systemctl stop"
result=$(inside systemctl show hyperiond -p Result -p ExecMainStatus -p ExecMainCode)
echo "$result"
grep -qx 'Result=success' <<<"$result" || fail "stop result"
grep -qx 'ExecMainStatus=0' <<<"$result" || fail "exit status"
inside journalctl -u hyperiond --no-pager -o cat | grep '^stopped$' >/dev/null || fail "no 'stopped' line"
echo "unit_test: passed"
