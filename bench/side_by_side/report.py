#!/usr/bin/python3
"""Summarises one run of bench/side_by_side.sh: reads the files it left in RESULTS_DIR and
prints Markdown tables.

Files read (all written by side_by_side.sh):
  meta.txt     free-form lines about the machine, printed as they are
  results.tsv  pass round variant seconds cpu_ticks clk_tck rss_max_kb hwm_end_kb processes
               threads load_before load_after others (pass: together, alone-a, alone-b,
               alone-d (that variant and c) or families; variant: a, b, d, c, or for
               families the label of the run; others: other users' processes with 100+
               descriptors, "comm:count,...")
  loads.tsv    round before|after "load1 load5 load15"
"""
import os
import statistics
import sys

TARGET_CPU = 0.8      # % of one core, (b)
TARGET_RATIO = 0.75   # (b) / node_exporter
NAMES = {
    "a": "(a) hyperiond, default intervals, no client",
    "b": "(b) hyperiond, every family at 1 s, no client",
    "d": "(d) hyperiond, every family at 1 s, /metrics scraped every 1 s",
    "c": "(c) node_exporter, /metrics scraped every 1 s",
}


def read_rows(path):
    rows = []
    with open(path) as f:
        for line in f:
            p = line.rstrip("\n").split("\t")
            if len(p) < 12:
                continue
            secs, ticks, hz = float(p[3]), int(p[4]), int(p[5])
            rows.append({
                "pass": p[0], "round": int(p[1]), "variant": p[2], "secs": secs,
                "cpu": 100.0 * ticks / hz / secs, "ticks": ticks, "rss_max": int(p[6]),
                "hwm": int(p[7]), "procs": int(p[8]), "threads": int(p[9]),
                "load0": p[10], "load1": p[11], "others": p[12] if len(p) > 12 else "?",
            })
    return rows


def pct(x):
    return f"{x:.2f} %"


def foreign(r):
    """True when another hyperiond (not ours) kept descriptors on every process in r's window."""
    return any(o.split(":")[0] == "hyperiond" for o in r["others"].split(","))


def mark(r):
    return " ‡" if foreign(r) else ""


def ratio(x):
    return f"{x:.2f}"


def mib(kb):
    return f"{kb / 1024:.1f} MiB"


def load1(s):
    return s.split()[0]


def main():
    d = sys.argv[1]
    rows = read_rows(os.path.join(d, "results.tsv"))
    loads = {}
    lp = os.path.join(d, "loads.tsv")
    if os.path.exists(lp):
        with open(lp) as f:
            for line in f:
                r, when, l = line.rstrip("\n").split("\t")
                loads[(int(r), when)] = l
    with open(os.path.join(d, "meta.txt")) as f:
        print(f.read().rstrip())
    print()

    rounds = sorted({r["round"] for r in rows if r["pass"] != "families"})
    get = {(r["pass"], r["round"], r["variant"]): r for r in rows}
    summary = {}

    # --- together --------------------------------------------------------------------------
    t = [r for r in rows if r["pass"] == "together"]
    if t:
        print("### Together: (a), (b), (d) and (c) in the same window")
        print()
        print("The three hyperiond run at once: each keeps descriptors open on every process, the")
        print("others' included, so each one's socket-owner scan also reads the other daemons'")
        print("descriptors. This inflates every hyperiond's cost; see the next table for each alone.")
        print()
        print("| round | load avg before → after (1/5/15 min) | processes (threads) | (a) default | (b) all at 1 s | (d) all at 1 s + scrape | (c) node_exporter | (b) ÷ (c) | (d) ÷ (c) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        cols = {k: [] for k in ("a", "b", "d", "c", "bc", "dc")}
        clean = []
        for rn in rounds:
            g = {v: get.get(("together", rn, v)) for v in "abdc"}
            if not all(g.values()):
                continue
            for v in "abdc":
                cols[v].append(g[v]["cpu"])
            cols["bc"].append(g["b"]["cpu"] / g["c"]["cpu"])
            cols["dc"].append(g["d"]["cpu"] / g["c"]["cpu"])
            if not foreign(g["a"]):
                clean.append(len(cols["a"]) - 1)
            print(f"| {rn}{mark(g['a'])} | {g['a']['load0']} → {g['a']['load1']} | {g['a']['procs']} ({g['a']['threads']}) | "
                  f"{pct(g['a']['cpu'])} | {pct(g['b']['cpu'])} | {pct(g['d']['cpu'])} | {pct(g['c']['cpu'])} | "
                  f"{ratio(cols['bc'][-1])} | {ratio(cols['dc'][-1])} |")
        if cols["a"]:
            m = {k: statistics.median(v) for k, v in cols.items()}
            print(f"| **median** | | | {pct(m['a'])} | **{pct(m['b'])}** | {pct(m['d'])} | {pct(m['c'])} | "
                  f"**{ratio(m['bc'])}** | {ratio(m['dc'])} |")
            summary["together"] = m
            if clean and len(clean) < len(cols["a"]):
                mc = {k: statistics.median(v[i] for i in clean) for k, v in cols.items()}
                print(f"| median without ‡ ({len(clean)} of {len(cols['a'])}) | | | {pct(mc['a'])} | {pct(mc['b'])} | "
                      f"{pct(mc['d'])} | {pct(mc['c'])} | {ratio(mc['bc'])} | {ratio(mc['dc'])} |")
                summary["together, without ‡"] = mc
        print()
        print("‡: another hyperiond (a test's, not ours) was running in that window.")
        print()

    # --- alone -----------------------------------------------------------------------------
    al = [r for r in rows if r["pass"].startswith("alone-")]
    if al:
        print("### Alone: each hyperiond variant next to node_exporter, one pair after the other")
        print()
        print("Each pair has its own window (and its own node_exporter); the order of the pairs rotates every round.")
        print()
        print("| round | load avg before → after the round | (a) default | (c) | (a) ÷ (c) | (b) all at 1 s | (c) | (b) ÷ (c) | (d) all at 1 s + scrape | (c) | (d) ÷ (c) |")
        print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
        cols = {k: [] for k in ("a", "ca", "ac", "b", "cb", "bc", "d", "cd", "dc")}
        clean_cols = {k: [] for k in cols}
        for rn in rounds:
            cells = []
            ok = True
            for v in "abd":
                h, c = get.get(("alone-" + v, rn, v)), get.get(("alone-" + v, rn, "c"))
                if not h or not c:
                    ok = False
                    break
                cols[v].append(h["cpu"])
                cols["c" + v].append(c["cpu"])
                cols[v + "c"].append(h["cpu"] / c["cpu"])
                if not foreign(h):
                    clean_cols[v].append(h["cpu"])
                    clean_cols["c" + v].append(c["cpu"])
                    clean_cols[v + "c"].append(h["cpu"] / c["cpu"])
                cells += [pct(h["cpu"]) + mark(h), pct(c["cpu"]), ratio(h["cpu"] / c["cpu"])]
            if not ok:
                continue
            lb = loads.get((rn, "before"), "?")
            la = loads.get((rn, "after"), "?")
            print(f"| {rn} | {lb} → {la} | " + " | ".join(cells) + " |")
        if cols["a"]:
            m = {k: statistics.median(v) for k, v in cols.items()}
            print(f"| **median** | | {pct(m['a'])} | {pct(m['ca'])} | {ratio(m['ac'])} | **{pct(m['b'])}** | "
                  f"{pct(m['cb'])} | **{ratio(m['bc'])}** | {pct(m['d'])} | {pct(m['cd'])} | {ratio(m['dc'])} |")
            summary["alone"] = m
            if any(len(clean_cols[k]) < len(cols[k]) for k in cols) and all(clean_cols[k] for k in cols):
                mc = {k: statistics.median(v) for k, v in clean_cols.items()}
                n = {v: len(clean_cols[v]) for v in "abd"}
                print(f"| median without ‡ (a: {n['a']}, b: {n['b']}, d: {n['d']} of {len(cols['a'])}) | | "
                      f"{pct(mc['a'])} | {pct(mc['ca'])} | {ratio(mc['ac'])} | {pct(mc['b'])} | "
                      f"{pct(mc['cb'])} | {ratio(mc['bc'])} | {pct(mc['d'])} | {pct(mc['cd'])} | {ratio(mc['dc'])} |")
                summary["alone, without ‡"] = mc
        print()
        print("‡: another hyperiond (a test's, not ours) was running in that window.")
        print()

    # --- memory ----------------------------------------------------------------------------
    if t or al:
        print("### Memory (median over the rounds)")
        print()
        print("RSS max: VmRSS sampled every second in the window. VmHWM: the peak since the process")
        print("started, so it includes start-up (hyperiond hashes a dummy password then).")
        print()
        print("| server | together: RSS max | together: VmHWM | alone: RSS max | alone: VmHWM |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for v in "abdc":
            cells = []
            for p in ("together", "alone"):
                rs = [r for r in rows if r["pass"].startswith(p) and r["variant"] == v]
                if rs:
                    cells += [mib(statistics.median(r["rss_max"] for r in rs)),
                              mib(statistics.median(r["hwm"] for r in rs))]
                else:
                    cells += ["", ""]
            print(f"| {NAMES[v]} | " + " | ".join(cells) + " |")
        print()

    # --- targets ---------------------------------------------------------------------------
    if summary:
        print(f"### Targets: (b) at most {TARGET_CPU} % of one core and at most {TARGET_RATIO} × node_exporter's CPU")
        print()
        print("| pass | (b) CPU, median | ≤ 0.8 % | (b) ÷ (c), median | ≤ 0.75 | (d) CPU | (d) ÷ (c) |")
        print("| --- | ---: | --- | ---: | --- | ---: | ---: |")
        for p, m in summary.items():
            print(f"| {p} | {pct(m['b'])} | {'met' if m['b'] <= TARGET_CPU else '**not met**'} | "
                  f"{ratio(m['bc'])} | {'met' if m['bc'] <= TARGET_RATIO else '**not met**'} | "
                  f"{pct(m['d'])} | {ratio(m['dc'])} |")
        print()

    # --- families --------------------------------------------------------------------------
    fam = [r for r in rows if r["pass"] == "families"]
    if fam:
        labels = list(dict.fromkeys(r["variant"] for r in sorted(fam, key=lambda r: (r["variant"] != "all at 1 s", r["variant"] == "all at 1 h"))))
        frounds = sorted({r["round"] for r in fam})
        by = {(r["variant"], r["round"]): r for r in fam}
        # the median of the runs without another hyperiond (‡) when there are any, else of all
        med = {}
        for l in labels:
            runs = [r for r in fam if r["variant"] == l]
            med[l] = statistics.median(r["cpu"] for r in (([r for r in runs if not foreign(r)]) or runs))
        base = med.get("all at 1 s")
        print("### What each family costs at 1 s (hyperiond alone, no client)")
        print()
        print("Every family at 1 s except the one named, which is at 1 h; the order of the runs rotates")
        print("every round. The cost of a family is the median of the all-at-1 s runs minus the median")
        print("of the runs without it. ‡: another hyperiond (a test's) was running in that run; the")
        print("medians leave those runs out when the same configuration has others.")
        print()
        print("| run | " + " | ".join(f"round {n}" for n in frounds) + " | median | cost of the family at 1 s |")
        print("| --- | " + " | ".join("---:" for _ in frounds) + " | ---: | ---: |")
        for l in labels:
            cells = [pct(by[(l, n)]["cpu"]) + mark(by[(l, n)]) if (l, n) in by else "" for n in frounds]
            cost = ""
            if base is not None and l != "all at 1 s":
                cost = pct(base - med[l]) + (" (all families)" if l == "all at 1 h" else "")
            print(f"| {l} | " + " | ".join(cells) + f" | {pct(med[l])} | {cost} |")
        print()

    # --- others ----------------------------------------------------------------------------
    seen = {}
    for r in rows:
        key = (r["pass"] + (": " + r["variant"] if r["pass"] == "families" else ""), r["round"])
        seen.setdefault(key, (r["others"], r["load0"]))
    print("### Other users' processes with 100+ descriptors, per window")
    print()
    print("hyperiond re-reads the fd links of any process whose descriptor count changed; another")
    print("daemon that keeps descriptors on every process (a test's hyperiond) changes its count")
    print("whenever a process starts or exits, and so adds to our daemon's cost.")
    print()
    print("| window | round | others (comm:descriptors) |")
    print("| --- | ---: | --- |")
    for (p, n), (o, _) in seen.items():
        print(f"| {p} | {n} | {o} |")
    print()

if __name__ == "__main__":
    main()
