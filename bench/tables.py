#!/usr/bin/env python3
"""Prints the result tables of docs/benchmarks.md from the JSON files loadgen wrote (default docs/bench-results).

Usage: bench/tables.py [DIR] — paste the output over the Results section, so no figure is typed by hand.
"""
import json
import pathlib
import sys

ORDER = ["collab-n100-max", "collab-n100-r33", "collab-n1000-r33", "collab-n1000-r100", "collab-n5000-r10",
         "storm-n100-max", "storm-n1000-max"]
IDLE = ["idle-n1000", "idle-n5000", "idle-n10000"]


def load(directory, name):
    path = directory / f"{name}.json"
    return json.loads(path.read_text()) if path.exists() else None


def all_events(run):
    rows = run["latency"]
    return next((r for r in rows if r["kind"] == "all events"), rows[-1])


def cpu(run):
    usage = run["usage"]
    def pct(key):
        return f"{usage[key]['cpu_percent']:.0f}" if usage.get(key) else "–"
    return f"{pct('server')} / {pct('postgres')} / {pct('loadgen')}"


def main():
    directory = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "docs/bench-results")
    print("| run | N | K | target rate | ops/s | msgs/s | p50 | p90 | p99 | max | 1st p50 | server / pg / loadgen CPU % | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    ratio_rows = []
    for name in ORDER:
        data = load(directory, name)
        if not data:
            continue
        load_avg = data["machine"]["load_average_1m"]
        for i, run in enumerate(data["runs"]):
            params = run["params"]
            label = name if i == 0 else "  ↳ " + ("commit baseline" if run["target"] == "postgres baseline" else "fan-out baseline")
            if run["target"] == "postgres baseline":
                continue
            rate = params.get("rate", 0.0)
            rate = "max" if not rate else f"{rate:.0f}/s"
            lat = all_events(run)
            print(f"| {label} | {params.get('sessions', '')} | {params.get('active', '')} | {rate} | {run['ops_per_s']:.0f} | "
                  f"{run['msgs_per_s']:.0f} | {lat['p50_ms']:.1f} | {lat['p90_ms']:.1f} | {lat['p99_ms']:.1f} | {lat['max_ms']:.1f} | "
                  f"{lat['first_p50_ms']:.1f} | {cpu(run)} | {load_avg:.1f} |")
        ratio_rows.append((name, data["ratios"]))
    print()
    print("| run | figure | Loket | baseline | ratio |")
    print("|---|---|---|---|---|")
    for name, ratios in ratio_rows:
        for r in ratios:
            print(f"| {name} | {r['what']} | {r['loket']:.1f} | {r['baseline']:.1f} | {r['ratio']:.2f} |")
    print()
    print("| run | sessions connected | connect time | server RSS before → connected | per connection | probe reached all after | server RSS peak |")
    print("|---|---|---|---|---|---|---|")
    for name in IDLE:
        data = load(directory, name)
        if not data:
            continue
        run = data["runs"][0]
        extra, conn, lat = run["extra"], run["connect"], run["latency"][0]
        print(f"| {name} | {conn['connected']} (failed {conn['failed']}) | {conn['seconds']:.1f} s | "
              f"{extra['server_rss_before_mib']:.0f} → {extra['server_rss_connected_mib']:.0f} MiB | "
              f"{extra['server_kib_per_connection']:.1f} KiB | {lat['p99_ms']:.0f} ms | {run['usage']['server']['rss_peak_mib']:.0f} MiB |")


if __name__ == "__main__":
    main()
