#!/usr/bin/env bash
# Boots a real systemd in a container for tests, on an overlay of / (all host packages, no host
# writes), as ../shared TESTING.md section 1 describes. The host's PID 1 is not systemd.
#
#   systemd_ct.sh start NAME [BIND_DIR]   prints the container leader's PID when systemd is up
#   systemd_ct.sh stop NAME               halts it and removes everything it made
#   systemd_ct.sh root NAME               prints the container's root directory (write units here
#                                         before start: the root is the lower layer)
set -euo pipefail

cmd=${1:?usage: systemd_ct.sh start|stop|root NAME [BIND_DIR]}
name=${2:?usage: systemd_ct.sh start|stop|root NAME [BIND_DIR]}
bind=${3:-}
base=/tmp/sdct-$name

leader_of() { ps -o pid= --ppid "$(cat "$base.pid")" | tr -d ' ' | head -n1; }

case "$cmd" in
  root)
    echo "$base/root"
    ;;
  prepare)
    # Mounts the overlay so that files can be written into the container before it boots.
    mkdir -p "$base"
    mountpoint -q "$base" || mount -t tmpfs -o size=1G tmpfs "$base"
    mkdir -p "$base/upper" "$base/work" "$base/root"
    mountpoint -q "$base/root" ||
      mount -t overlay overlay -o "lowerdir=/,upperdir=$base/upper,workdir=$base/work" "$base/root"
    systemd-id128 new > "$base/root/etc/machine-id"
    printf '[Unit]\nRequires=basic.target\nWants=dbus.service systemd-user-sessions.service\nAfter=basic.target dbus.service systemd-user-sessions.service\nAllowIsolate=yes\n' \
      > "$base/root/etc/systemd/system/test-env.target"
    ;;
  start)
    [ -d "$base/root/etc" ] || "$0" prepare "$name"
    (
      for h in systemd unified; do
        g=/sys/fs/cgroup/$h/sdct-$name
        mkdir -p "$g"
        echo $BASHPID > "$g/cgroup.procs"
      done
      exec systemd-nspawn -D "$base/root" -M "$name" --register=no --keep-unit --private-network \
        --console=read-only ${bind:+--bind=$bind} -b systemd.unit=test-env.target
    ) > "$base.log" 2>&1 < /dev/null &
    echo $! > "$base.pid"
    # 20 s is plenty on a quiet machine; a loaded CI machine gets a minute.
    for _ in $(seq 1 600); do
      leader=$(leader_of || true)
      if [ -n "$leader" ]; then
        state=$(nsenter -t "$leader" -a systemctl is-system-running 2>/dev/null || true)
        if [ "$state" = running ] || [ "$state" = degraded ]; then
          echo "$leader"
          exit 0
        fi
      fi
      sleep 0.1
    done
    echo "systemd_ct: $name did not boot within 60 s; its console:" >&2
    tail -n 30 "$base.log" >&2 || true
    exit 1
    ;;
  stop)
    if [ -f "$base.pid" ]; then
      pid=$(cat "$base.pid")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 100); do
        st=$(ps -o stat= -p "$pid" 2>/dev/null || true)
        [ -z "$st" ] || [[ "$st" == Z* ]] && break
        sleep 0.1
      done
      kill "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
      rm -f "$base.pid"
    fi
    umount "$base/root" 2>/dev/null || true
    umount "$base" 2>/dev/null || true
    rmdir "$base" 2>/dev/null || true
    rm -rf "/run/systemd/nspawn/propagate/$name" "$base.log"
    for h in systemd unified; do
      g=/sys/fs/cgroup/$h/sdct-$name
      [ -d "$g" ] && find "$g" -depth -type d -exec rmdir {} \; 2>/dev/null || true
    done
    ;;
  *)
    echo "usage: systemd_ct.sh start|stop|root|prepare NAME [BIND_DIR]" >&2
    exit 2
    ;;
esac
