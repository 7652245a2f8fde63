#!/usr/bin/python3
"""Summarises one run of bench/http_bench.sh: reads the files it left in RESULTS_DIR and
prints Markdown tables (the ones in docs/BENCHMARKS.md, "HTTP: REST and /metrics").

Files read (all written by http_bench.sh):
  meta.txt      free-form lines about the machine, printed as they are
  runs.tsv      endpoint server connections round cpu_ticks clk_tck seconds wrk_output_file
                wrk_cpu_seconds
  sizes.tsv     endpoint server bytes_of_one_response
  idle.tsv      server seconds cpu_ticks clk_tck rss_max_kb rss_end_kb hwm_end_kb note
  latency-*.txt one curl %{time_total} (seconds) per line
  loaded.tsv    server rss_end_kb hwm_end_kb (after the load runs)
"""
import os
import re
import statistics
import sys

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}
OURS = "hyperiond"
# endpoint -> (label, competitor server); the order is the table's
ENDPOINTS = [
    ("metrics", "/metrics", "node_exporter"),
    ("processes", "process list", "glances"),
    ("system", "/api/v1/hosts/local/system", None),
]
PATHS = {
    ("metrics", "hyperiond"): "/metrics",
    ("metrics", "node_exporter"): "/metrics",
    ("processes", "hyperiond"): "/api/v1/hosts/local/processes",
    ("processes", "glances"): "/api/3/processlist",
    ("system", "hyperiond"): "/api/v1/hosts/local/system",
}


def ms(value, unit):
    return float(value) * UNITS[unit]


def parse_wrk(path):
    text = open(path).read()
    out = {"text": text}
    m = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", text)
    if not m:
        raise SystemExit(f"{path}: no 'requests in' line; wrk output:\n{text}")
    out["requests"] = int(m.group(1))
    out["seconds"] = ms(m.group(2), m.group(3)) / 1e3
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    out["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    out["errors"] = sum(int(g) for g in m.groups()) if m else 0
    out["timeouts"] = int(m.group(4)) if m else 0
    for pct in ("50", "99"):
        m = re.search(rf"^\s*{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.M)
        out["p" + pct] = ms(m.group(1), m.group(2)) if m else float("nan")
    out["ok"] = out["requests"] - out["non2xx"]
    out["rps"] = out["ok"] / out["seconds"]
    return out


def fmt_ms(v):
    if v != v:
        return "n/a"
    if v < 1:
        return f"{v * 1000:.0f} µs"
    if v < 10:
        return f"{v:.2f} ms"
    if v < 100:
        return f"{v:.1f} ms"
    return f"{v:.0f} ms"


def fmt_rate(v):
    return f"{v:,.0f}" if v >= 100 else f"{v:.1f}"


def fmt_ratio(v):
    return f"{v:.1f}×" if v < 100 else f"{v:.0f}×"


def pct(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def main():
    d = sys.argv[1]
    meta = os.path.join(d, "meta.txt")
    if os.path.exists(meta):
        print("### Machine and run\n")
        print(open(meta).read().rstrip())
        print()

    sizes = {}
    if os.path.exists(os.path.join(d, "sizes.tsv")):
        for line in open(os.path.join(d, "sizes.tsv")):
            e, s, b = line.split()
            sizes[(e, s)] = int(b)

    runs = {}  # (endpoint, server, conns) -> list of dicts
    for line in open(os.path.join(d, "runs.tsv")):
        e, s, c, r, ticks, hz, secs, f, wrk_cpu = line.rstrip("\n").split("\t")
        w = parse_wrk(os.path.join(d, f))
        w["cpu_s"] = int(ticks) / int(hz)
        w["cpu_ms_per_req"] = w["cpu_s"] * 1e3 / w["ok"] if w["ok"] else float("nan")
        w["cpu_pct"] = 100 * w["cpu_s"] / float(secs)
        w["wrk_pct"] = 100 * float(wrk_cpu) / float(secs)
        runs.setdefault((e, s, int(c)), []).append(w)

    conns = sorted({c for (_, _, c) in runs}, reverse=True)
    med = {}
    print("### Throughput, latency and CPU per request (wrk, median of the rounds)\n")
    print("| endpoint | server | conns | requests/s | p50 | p99 | server CPU per request "
          "| server CPU (% of one core) | wrk CPU (% of one core) | bytes per response | rounds |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    problems = []
    for c in conns:
        for e, _, other in ENDPOINTS:
            for s in [OURS] + ([other] if other else []):
                rs = runs.get((e, s, c))
                if not rs:
                    continue
                m = {k: statistics.median(r[k] for r in rs)
                     for k in ("rps", "p50", "p99", "cpu_ms_per_req", "cpu_pct", "wrk_pct")}
                med[(e, s, c)] = m
                bad = sum(r["non2xx"] for r in rs)
                errs = sum(r["errors"] for r in rs)
                if bad or errs:
                    problems.append(f"{s} {PATHS[(e, s)]} -c{c}: {bad} non-2xx responses, "
                                    f"{errs} socket errors over {len(rs)} rounds")
                size = f"{sizes[(e, s)]:,}" if (e, s) in sizes else "n/a"
                print(f"| `{PATHS[(e, s)]}` | {s} | {c} | {fmt_rate(m['rps'])} "
                      f"| {fmt_ms(m['p50'])} | {fmt_ms(m['p99'])} "
                      f"| {fmt_ms(m['cpu_ms_per_req'])} | {m['cpu_pct']:.0f} % | {m['wrk_pct']:.0f} % "
                      f"| {size} | {len(rs)} |")
    print()
    if problems:
        print("Errors (requests/s counts 2xx responses only):\n")
        for p in problems:
            print(f"- {p}")
        print()

    print("### Ratios (hyperiond against the other server, medians)\n")
    print("| endpoint | conns | requests/s: ours ÷ theirs | p50: theirs ÷ ours "
          "| p99: theirs ÷ ours | CPU per request: theirs ÷ ours |")
    print("| --- | ---: | ---: | ---: | ---: | ---: |")
    ratios = {}
    for c in conns:
        for e, label, other in ENDPOINTS:
            if not other or (e, OURS, c) not in med or (e, other, c) not in med:
                continue
            a, b = med[(e, OURS, c)], med[(e, other, c)]
            r = {"rps": a["rps"] / b["rps"], "p50": b["p50"] / a["p50"],
                 "p99": b["p99"] / a["p99"], "cpu": b["cpu_ms_per_req"] / a["cpu_ms_per_req"]}
            ratios[(e, c)] = r
            print(f"| {label} vs {other} | {c} | **{fmt_ratio(r['rps'])}** "
                  f"| {fmt_ratio(r['p50'])} | {fmt_ratio(r['p99'])} | {fmt_ratio(r['cpu'])} |")
    print()

    # per-round values, so the spread is visible
    print("<details><summary>Every round</summary>\n")
    print("| endpoint | server | conns | round | requests/s | p50 | p99 | CPU per request |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |")
    for (e, s, c), rs in sorted(runs.items(), key=lambda kv: (-kv[0][2], kv[0][0], kv[0][1])):
        for i, r in enumerate(rs, 1):
            print(f"| `{PATHS[(e, s)]}` | {s} | {c} | {i} | {fmt_rate(r['rps'])} "
                  f"| {fmt_ms(r['p50'])} | {fmt_ms(r['p99'])} | {fmt_ms(r['cpu_ms_per_req'])} |")
    print("\n</details>\n")

    lat = {}
    print("### One request at a time (idle daemon, 200 sequential requests, 50 a second)\n")
    print("| server | URL | connection | median | p90 | p99 | max |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for f in sorted(os.listdir(d)):
        m = re.fullmatch(r"latency-(\w+)-(\w+)-(keepalive|fresh)\.txt", f)
        if not m:
            continue
        v = [float(x) * 1e3 for x in open(os.path.join(d, f)).read().split()]
        if not v:
            continue
        server, ep, how = m.groups()
        lat[(server, ep, how)] = (statistics.median(v), pct(v, 99))
        conn = "one keep-alive connection" if how == "keepalive" else "new connection each"
        print(f"| {server} | `{PATHS[(ep, server)]}` | {conn} | {fmt_ms(statistics.median(v))} "
              f"| {fmt_ms(pct(v, 90))} | {fmt_ms(pct(v, 99))} | {fmt_ms(max(v))} |")
    print()

    idle = {}
    if os.path.exists(os.path.join(d, "idle.tsv")):
        print("### Idle footprint\n")
        print("| server | clients | seconds | CPU (% of one core) | RSS max | RSS at end | VmHWM at end |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
        for line in open(os.path.join(d, "idle.tsv")):
            s, secs, ticks, hz, rmax, rend, hwm, note = line.rstrip("\n").split("\t")
            cpu = 100 * int(ticks) / int(hz) / float(secs)
            idle[s] = (cpu, int(rmax) / 1024, int(hwm) / 1024)
            print(f"| {s} | {note} | {float(secs):.0f} | {cpu:.2f} % | {int(rmax) / 1024:.1f} MiB "
                  f"| {int(rend) / 1024:.1f} MiB | {int(hwm) / 1024:.1f} MiB |")
        print()
    if os.path.exists(os.path.join(d, "loaded.tsv")):
        print("After the load runs:\n")
        for line in open(os.path.join(d, "loaded.tsv")):
            s, rend, hwm = line.split()
            print(f"- {s}: RSS {int(rend) / 1024:.1f} MiB, VmHWM {int(hwm) / 1024:.1f} MiB")
        print()

    print("### Targets\n")
    print("| target | measured | met |")
    print("| --- | --- | --- |")

    def row(name, measured, ok):
        print(f"| {name} | {measured} | {'yes' if ok else '**no**'} |")

    for c in conns:
        r = ratios.get(("metrics", c))
        if r:
            a, b = med[("metrics", OURS, c)], med[("metrics", "node_exporter", c)]
            row(f"/metrics ≥ 10× node_exporter's requests/s (-c{c})", fmt_ratio(r["rps"]),
                r["rps"] >= 10)
            row(f"/metrics p99 below node_exporter's (-c{c})",
                f"{fmt_ms(a['p99'])} vs {fmt_ms(b['p99'])}", a["p99"] < b["p99"])
        r = ratios.get(("processes", c))
        if r:
            row(f"process list ≥ 10× Glances' requests/s (-c{c})", fmt_ratio(r["rps"]),
                r["rps"] >= 10)
    v = lat.get((OURS, "metrics", "keepalive"))
    if v:
        row("one /metrics request < 1 ms (keep-alive, median / p99)",
            f"{fmt_ms(v[0])} / {fmt_ms(v[1])}", v[0] < 1 and v[1] < 1)
    if OURS in idle:
        cpu, rmax, hwm = idle[OURS]
        row("idle ≤ 1 % of one core", f"{cpu:.2f} %", cpu <= 1)
        row("idle ≤ 20 MB RSS (max over the run; VmHWM)", f"{rmax:.1f} MiB; {hwm:.1f} MiB",
            max(rmax, hwm) * 1048576 <= 20e6)


if __name__ == "__main__":
    main()
