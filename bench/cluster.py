#!/usr/bin/env python3
"""Summarises the runs behind docs/benchmarks.md "Several instances: numbers" and "Issue 9 §4"
(docs/bench-results/cluster/*.json) as Markdown tables: per run, then median and spread (min-max)."""
import glob, json, os, statistics, sys

DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "docs", "bench-results", "cluster")


def files(prefix):
    return sorted(glob.glob(os.path.join(DIR, prefix + "*.json")))


def every(run):
    return next(l for l in run["latency"] if l["kind"] == "all events")


def missing(run):
    return run["errors"]["count"] + sum(l["missing_deliveries"] for l in run["latency"])


def spread(values, fmt="%.2f"):
    return (fmt + " (" + fmt + "–" + fmt + ")") % (statistics.median(values), min(values), max(values))


cross = files("cross-")
if cross:
    print("| run | load (1 min) | spread p50 / p99 ms | one instance p50 / p99 ms | p99 ratio | p50 ratio | errors + missed |")
    print("|---|---|---|---|---|---|---|")
    ratios, p50s = [], []
    for path in cross:
        d = json.load(open(path))
        s, o = d["runs"]
        r99, r50 = d["ratios"][0]["ratio"], d["ratios"][1]["ratio"]
        ratios.append(r99)
        p50s.append(r50)
        print("| %s | %.1f | %.1f / %.1f | %.1f / %.1f | %.2f | %.2f | %d |" % (
            os.path.basename(path)[:-5], d["machine"]["load_average_1m"], every(s)["p50_ms"], every(s)["p99_ms"],
            every(o)["p50_ms"], every(o)["p99_ms"], r99, r50, missing(s) + missing(o)))
    print()
    print("p99 ratio, median (spread): " + spread(ratios) + "; p50 ratio: " + spread(p50s))
    print()

collab = files("collab-")
if collab:
    print("| run | load (1 min) | Loket p50 / p99 ms | fan-out baseline at Loket's rate p50 / p99 ms | p99 ratio | errors + missed |")
    print("|---|---|---|---|---|---|")
    ratios = {}
    for path in collab:
        d = json.load(open(path))
        loket = next(r for r in d["runs"] if r["target"] == "loket")
        base = next(r for r in d["runs"] if r["target"] == "fan-out baseline")
        r = every(loket)["p99_ms"] / base["latency"][-1]["p99_ms"]
        ratios.setdefault(os.path.basename(path)[:-5].rsplit("-", 1)[0], []).append(r)
        print("| %s | %.1f | %.1f / %.1f | %.1f / %.1f | %.2f | %d |" % (
            os.path.basename(path)[:-5], d["machine"]["load_average_1m"], every(loket)["p50_ms"], every(loket)["p99_ms"],
            base["latency"][-1]["p50_ms"], base["latency"][-1]["p99_ms"], r, missing(loket)))
    print()
    for name, found in sorted(ratios.items()):
        print(name + ": p99 ratio to the fan-out baseline, median (spread): " + spread(found))
    print()

resume = files("resume-")
if resume:
    print("| run | load (1 min) | tickets on file | events missed | resume: bytes read (payload) | reload: bytes read (payload), tickets | resume / reload | errors |")
    print("|---|---|---|---|---|---|---|---|")
    for path in resume:
        d = json.load(open(path))
        run = d["runs"][0]
        for n, rd in enumerate(run["extra"]["rounds"], 1):
            print("| %s.%d | %.1f | %d | %d | %d (%d) | %d (%d), %d | %.4f | %d |" % (
                os.path.basename(path)[:-5], n, d["machine"]["load_average_1m"], run["params"]["tickets"], rd["replayed"],
                rd["resume_wire_bytes"], rd["resume_payload_bytes"], rd["reload_wire_bytes"], rd["reload_payload_bytes"],
                rd["reload_tickets"], rd["resume_wire_bytes"] / rd["reload_wire_bytes"], run["errors"]["count"]))
    by_tickets = {}
    for path in resume:
        run = json.load(open(path))["runs"][0]
        by_tickets.setdefault(run["params"]["tickets"], []).extend(run["extra"]["rounds"])
    print()
    for tickets, rounds in sorted(by_tickets.items()):
        print("%d tickets, %d rounds: resume %s bytes, reload %s bytes" % (
            tickets, len(rounds), spread([r["resume_wire_bytes"] for r in rounds], "%.0f"),
            spread([r["reload_wire_bytes"] for r in rounds], "%.0f")))
    print()

idle = files("idle-")
if idle:
    print("| run | instance | load (1 min) | connected (failed) | connect time | server RSS before → connected | per connection | probe reached all after |")
    print("|---|---|---|---|---|---|---|---|")
    per = {}
    for path in idle:
        d = json.load(open(path))
        run = d["runs"][0]
        name = os.path.basename(path)[:-5]
        key = name.rsplit("-i", 1)[0]
        x = run["extra"]
        per.setdefault(key, []).append((run["connect"]["connected"], x.get("server_kib_per_connection", 0.0)))
        print("| %s | %s | %.1f | %d (%d) | %.1f s | %.0f → %.0f MiB | %.1f KiB | %.0f ms |" % (
            key, name.rsplit("-", 1)[1], d["machine"]["load_average_1m"], run["connect"]["connected"], run["connect"]["failed"],
            run["connect"]["seconds"], x.get("server_rss_before_mib", 0), x.get("server_rss_connected_mib", 0),
            x.get("server_kib_per_connection", 0), every(run)["max_ms"] if len(run["latency"]) > 1 else run["latency"][0]["max_ms"]))
    print()
    shapes = {}
    for key, v in per.items():
        shapes.setdefault(key.rsplit("-", 1)[0], []).append(v)
    for shape, runs in sorted(shapes.items()):
        totals = [sum(c for c, _ in v) for v in runs]
        kibs = [k for v in runs for _, k in v]
        print("%s, %d runs: sessions over all instances %s; KiB per connection per instance %s" % (
            shape, len(runs), spread(totals, "%.0f"), spread(kibs, "%.1f")))
