#!/usr/bin/env bash
# Runs the measurements of docs/benchmarks.md and writes one JSON file per run to $OUT (default
# docs/bench-results). Build first: cargo build --release -p loket-server -p loket-bench
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release/loadgen"
OUT="${OUT:-$ROOT/docs/bench-results}"
DURATION="${DURATION:-15}"
mkdir -p "$OUT"
# Every session is a socket; the loadgen raises its own soft limit to the hard one, this covers shells.
ulimit -n "$(ulimit -Hn)"
run() { local name="$1"; shift; echo "== $name (load: $(cut -d' ' -f1-3 /proc/loadavg))"; "$BIN" "$@" --json "$OUT/$name.json" || true; }

run collab-n100-max      collab -n 100  -k 10 -m 50  --rate 0   --duration "$DURATION" --baselines
run collab-n100-r33      collab -n 100  -k 10 -m 50  --rate 33  --duration "$DURATION" --baselines
run collab-n1000-r33     collab -n 1000 -k 20 -m 100 --rate 33  --duration "$DURATION" --baselines
run collab-n1000-r100    collab -n 1000 -k 20 -m 100 --rate 100 --duration "$DURATION" --baselines
run collab-n5000-r10     collab -n 5000 -k 20 -m 100 --rate 10  --duration "$DURATION" --baselines
run storm-n100-max       storm  -n 100  -k 10 --rate 0 --duration "$DURATION" --baselines
run storm-n1000-max      storm  -n 1000 -k 10 --rate 0 --duration "$DURATION" --baselines
run idle-n1000           idle   -n 1000  --hold 20
run idle-n5000           idle   -n 5000  --hold 20
run idle-n10000          idle   -n 10000 --hold 20
# Several instances on one PostgreSQL (issue 10) and reconnect cost (issue 9):
run cross-n1000-r33      --instances 3 cross -n 1000 -k 20 -m 100 --rate 33 --duration "$DURATION"
run resume-t1000         resume -t 1000 --missed 100 --rounds 3
# Idle capacity across three instances: one load generator per instance (bench/cluster-idle.sh).
OUT="$OUT" SESSIONS="${CLUSTER_IDLE_SESSIONS:-19000}" "$ROOT/bench/cluster-idle.sh" || true
