#!/usr/bin/python3
"""Markdown tables from the raw results of bench/live_bench.sh (its work directory)."""

import glob
import math
import os
import sys


def pct(sorted_values, p):
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return float("nan")
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]


def mib(kb):
    return f"{int(kb) / 1024:.1f}"


def threads_delta(th0, th1):
    """Per-thread ticks between two 'TID:ticks ...' lists, in TID (creation) order."""
    a = dict(x.split(":") for x in th0.split())
    out = []
    for x in th1.split():
        tid, t = x.split(":")
        out.append(int(t) - int(a.get(tid, 0)))
    return out


def main(work):
    rows = {}
    for line in open(os.path.join(work, "daemon.tsv")):
        f = line.rstrip("\n").split("\t")
        rows[f[0]] = f[1:]

    def cpu_pct(r):
        secs, ticks, hz = float(r[0]), int(r[1]), int(r[2])
        return 100.0 * ticks / hz / secs

    def samples(name):
        return [l.rstrip("\n").split("\t") for l in open(os.path.join(work, name)) if l.strip()]

    idle_s, loaded_s = samples("idle-samples.tsv"), samples("loaded-samples.tsv")
    idle, loaded, cl = rows["idle"], rows["loaded"], rows["clients"]
    # Threads in creation order: main, sampling loop, HTTP/live io (daemon/src/service.cpp
    # starts the sampler, then the server).
    ti = threads_delta(idle[4], idle[5])
    tl = threads_delta(loaded[4], loaded[5])

    def th_pct(r, t):
        return 100.0 * t / int(r[2]) / float(r[0])

    print("".join(open(os.path.join(work, "meta.txt"))))
    ready = [l.split() for l in open(os.path.join(work, "ready.txt"))]
    subscribed = sum(int(r[0]) for r in ready)
    print(f"{subscribed} of {sum(int(r[1]) for r in ready)} clients subscribed, in "
          f"{max(float(r[2]) for r in ready):.1f} s; windows of {float(idle[0]):.1f} s (idle) and "
          f"{float(loaded[0]):.1f} s (loaded).")
    print()

    # --- the daemon ------------------------------------------------------------------------
    ci, cl_ = cpu_pct(idle), cpu_pct(loaded)
    ri = [int(s[1]) for s in idle_s]
    rl = [int(s[1]) for s in loaded_s]
    print("| daemon | idle, 0 clients | 1,000 clients + 1 stalled | difference |")
    print("| --- | ---: | ---: | ---: |")
    print(f"| CPU, % of one core | {ci:.2f} | **{cl_:.2f}** | {cl_ - ci:+.2f} |")
    if len(ti) >= 3 and len(tl) >= 3:
        names = ["main thread", "sampling thread", "HTTP/live thread"]
        for k in (1, 2):
            a, b = th_pct(idle, ti[k]), th_pct(loaded, tl[k])
            print(f"| … {names[k]} | {a:.2f} | {b:.2f} | {b - a:+.2f} |")
    print(f"| RSS at start of window, MiB | {mib(ri[0])} | {mib(rl[0])} | {(rl[0] - ri[0]) / 1024:+.1f} |")
    print(f"| RSS at end of window, MiB | {mib(ri[-1])} | {mib(rl[-1])} | {(rl[-1] - ri[-1]) / 1024:+.1f} |")
    print(f"| RSS min–max over the window, MiB | {mib(min(ri))}–{mib(max(ri))} | {mib(min(rl))}–{mib(max(rl))} | |")
    print(f"| VmHWM at end of window, MiB | {mib(idle[3])} | {mib(loaded[3])} | |")
    client_cpu = 100.0 * int(cl[1]) / int(cl[2]) / float(cl[0])
    print()
    print(f"Client process(es) during the loaded window: **{client_cpu:.1f} % of one core**, "
          f"RSS {mib(cl[3])} MiB.")
    print()

    # --- delays ----------------------------------------------------------------------------
    frames = []
    window = None
    for path in sorted(glob.glob(os.path.join(work, "frames.*.tsv"))):
        for line in open(path):
            if line.startswith("#"):
                if "window=" in line:
                    w = line.split("window=")[1].split()[0]
                    start, length = w.split("+")
                    window = (float(start), float(length))
                if "error" in line:
                    sys.stdout.write(line)
                continue
            c, ts, k, r, a = line.split("\t")
            frames.append((int(c), int(ts), float(k), float(r), float(a)))
    start, length = window
    # Frames published in the window and with time to arrive before it ends: each must have
    # reached every client (at the edges a frame is seen by some clients only).
    inside = [f for f in frames if start <= f[1] / 1000 and f[1] / 1000 + 0.5 <= start + length]
    published = sorted({f[1] for f in inside})
    expected = len(published) * subscribed
    print(f"Frames published in the window (with 0.5 s to arrive before it ends): {len(published)}; "
          f"received **{len(inside)} of {expected}** expected ({len(published)} × {subscribed}); "
          f"{len(frames)} recorded in all.")
    print()
    print("| delay from timestamp_ms to … | p50 ms | p90 ms | p99 ms | max ms |")
    print("| --- | ---: | ---: | ---: | ---: |")
    labels = {2: "the client's socket (kernel receive time, SO_TIMESTAMPNS)",
              3: "the client's read of the socket (its event loop)",
              4: "the client's code (`await ws.recv()` returns)"}
    for col in (2, 3, 4):
        d = sorted(f[col] * 1000 - f[1] for f in inside)
        print(f"| {labels[col]} | {pct(d, 50):.1f} | {pct(d, 90):.1f} | {pct(d, 99):.1f} | {max(d):.1f} |")
    by_ts = {}
    for f in inside:
        by_ts.setdefault(f[1], []).append(f[2] * 1000 - f[1])
    first = sorted(min(v) for v in by_ts.values())
    spread = sorted(max(v) - min(v) for v in by_ts.values())
    print()
    print(f"Per published frame (kernel receive times): first client reached after p50 {pct(first, 50):.1f} ms, "
          f"max {max(first):.1f} ms (collection and hand-off to the io thread); last minus first "
          f"client (the fan-out) p50 {pct(spread, 50):.1f} ms, max {max(spread):.1f} ms.")
    print()

    # --- the stalled client ----------------------------------------------------------------
    offset, sport, rcvbuf = open(os.path.join(work, "stalled.tsv")).read().split()
    offset = float(offset)
    print(f"Stalled client (local port {sport}, SO_RCVBUF {rcvbuf} bytes as the kernel reports it; "
          f"it subscribed {offset:.1f} s before the window started):")
    print()
    print("| t, s | daemon RSS, MiB | hyperion_live_clients | daemon's socket: state, Send-Q bytes "
          "| stalled socket: state, Recv-Q bytes |")
    print("| ---: | ---: | ---: | --- | --- |")
    dropped = None
    for s in loaded_s:
        t, rss, lc, ds, _dr, dq, cs, cr, _cq = s
        row = f"| {t} | {mib(rss)} | {lc} | {ds} {dq} | {cs} {cr} |"
        if dropped is None and ds != "ESTAB":
            dropped = int(t) + offset
            if int(t) % 5:
                print(row)
        if int(t) % 5 == 0:
            print(row)
    print()
    if dropped is None:
        print("The daemon did not close the stalled connection within the window.")
    else:
        print(f"The daemon closed it about {dropped:.0f} s after its subscription "
              f"(first 1 s sample with its side of the connection no longer ESTAB).")
    ci_rss = [int(s[1]) for s in loaded_s]
    print(f"Daemon RSS over the loaded window: {mib(ci_rss[0])} MiB at the start, {mib(ci_rss[-1])} MiB at the end, "
          f"{mib(min(ci_rss))}–{mib(max(ci_rss))} MiB in between.")


if __name__ == "__main__":
    main(sys.argv[1])
