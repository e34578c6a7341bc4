#!/usr/bin/env python3
"""Summarises the before/after runs of issue 9 (docs/bench-results/issue9/*.json) as the Markdown
tables in docs/benchmarks.md: per run, then median and spread (min-max) per side."""
import glob, json, os, statistics, sys

DIR = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "docs", "bench-results", "issue9")


def row(path):
    d = json.load(open(path))
    loket = next(r for r in d["runs"] if r["target"] == "loket")
    raw = next(r for r in d["runs"] if r["target"] == "postgres baseline")
    every = next(l for l in loket["latency"] if l["kind"] == "all events")
    missing = sum(l["missing_deliveries"] for l in loket["latency"])
    return {
        "run": os.path.basename(path)[:-5],
        "commits": loket["commits_per_s"],
        "raw": raw["commits_per_s"],
        "ratio": loket["commits_per_s"] / raw["commits_per_s"],
        "p99": every["p99_ms"],
        "cpu": "%.0f / %.0f" % (loket["usage"]["server"]["cpu_percent"], loket["usage"]["postgres"]["cpu_percent"]),
        "load": d["machine"]["load_average_1m"],
        "errors": loket["errors"]["count"] + missing,
        # CPU time (server + PostgreSQL) per collaboration cycle (3 commits), in microseconds.
        "cpu_per_op": (loket["usage"]["server"]["cpu_percent"] + loket["usage"]["postgres"]["cpu_percent"])
        / 100 * loket["duration_s"] / loket["ops"] * 1e6,
    }


rows = [row(p) for p in sorted(glob.glob(os.path.join(DIR, "*.json")))]
print("| run | Loket commits/s | raw PostgreSQL commits/s | ratio | p99 to every session, ms | server / pg CPU % | load (1 min) | errors + missed |")
print("|---|---|---|---|---|---|---|---|")
for r in rows:
    print("| %(run)s | %(commits).0f | %(raw).0f | %(ratio).3f | %(p99).1f | %(cpu)s | %(load).1f | %(errors)d |" % r)
print()
print("| side | runs | ratio median | ratio spread | Loket commits/s median | raw commits/s median | server + pg CPU per cycle, µs (median) |")
print("|---|---|---|---|---|---|---|")
medians = {}
for side in ("main", "events"):
    mine = [r for r in rows if r["run"].endswith("-" + side) or ("-" + side + "-") in r["run"]]
    if not mine:
        continue
    ratios = [r["ratio"] for r in mine]
    medians[side] = statistics.median(ratios)
    print("| %s | %d | %.3f | %.3f–%.3f | %.0f | %.0f | %.0f |" % (
        side, len(mine), medians[side], min(ratios), max(ratios),
        statistics.median(r["commits"] for r in mine), statistics.median(r["raw"] for r in mine),
        statistics.median(r["cpu_per_op"] for r in mine)))
if len(medians) == 2:
    print()
    print("after / before (median ratios): %.2f" % (medians["events"] / medians["main"]))
