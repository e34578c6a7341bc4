#!/usr/bin/env bash
# Idle capacity across several instances on one PostgreSQL (docs/benchmarks.md, "Several instances"):
# starts INSTANCES `loket` processes (the first on its embedded PostgreSQL, the others on its socket, each
# with a data directory of its own), then one `loadgen idle` per instance, all at once, each attached to
# its instance by URL and pid. One load generator per instance because every session is a socket on
# both sides and each process may open 20,000 files. Each load generator connects to its own port, and
# Linux shares ephemeral ports between different destinations, so no extra source addresses are needed.
# Writes one JSON file per instance to $OUT. Build first: cargo build --release -p loket-server -p loket-bench
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${CARGO_TARGET_DIR:-$ROOT/target}/release"
OUT="${OUT:-$ROOT/docs/bench-results}"
INSTANCES="${INSTANCES:-3}"
SESSIONS="${SESSIONS:-19000}"
HOLD="${HOLD:-20}"
NAME="${NAME:-cluster-idle}"
ADMIN_EMAIL=bench-admin@example.org
ADMIN_PASSWORD=loket-bench-password
mkdir -p "$OUT"
ulimit -n "$(ulimit -Hn)"
DIR="$(mktemp -d "${TMPDIR:-/tmp}/loket-cluster-idle.XXXXXX")"
# The embedded PostgreSQL runs as its own system user when loket runs as root: it must reach the data directory.
chmod o+x "$DIR"
PIDS=()
cleanup() {
  # The others first: the first instance's PostgreSQL serves them.
  for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
    kill -TERM "${PIDS[$i]}" 2>/dev/null || true
    wait "${PIDS[$i]}" 2>/dev/null || true
  done
  rm -rf "$DIR"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
DATABASE_URL_ALL="host=$DIR/i0/postgres/run port=5432 user=postgres dbname=loket"
PORTS=()
for ((i = 0; i < INSTANCES; i++)); do
  port="$(free_port)"
  PORTS+=("$port")
  mkdir -p "$DIR/i$i"
  if ((i == 0)); then db=(env -u DATABASE_URL -u TELEGRAM_BOT_TOKEN); else db=(env -u TELEGRAM_BOT_TOKEN DATABASE_URL="$DATABASE_URL_ALL"); fi
  "${db[@]}" LOKET_ADMIN_EMAIL="$ADMIN_EMAIL" LOKET_ADMIN_PASSWORD="$ADMIN_PASSWORD" LOKET_LOG=warn \
    "$BIN/loket" --bind "127.0.0.1:$port" --data-dir "$DIR/i$i" >"$DIR/i$i.log" 2>&1 &
  PIDS+=("$!")
  for _ in $(seq 1 900); do
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    kill -0 "${PIDS[$i]}" 2>/dev/null || { cat "$DIR/i$i.log"; exit 1; }
    sleep 0.2
  done
done
echo "== $NAME: $INSTANCES instances, $SESSIONS sessions each (load: $(cut -d' ' -f1-3 /proc/loadavg))"
GENS=()
for ((i = 0; i < INSTANCES; i++)); do
  LOKET_BENCH_ADMIN_PASSWORD="$ADMIN_PASSWORD" "$BIN/loadgen" --url "http://127.0.0.1:${PORTS[$i]}" \
    --pid "${PIDS[$i]}" --admin-email "$ADMIN_EMAIL" --database-url "$DATABASE_URL_ALL" \
    idle -n "$SESSIONS" --hold "$HOLD" --json "$OUT/$NAME-i$i.json" >"$DIR/gen$i.out" 2>&1 &
  GENS+=("$!")
done
status=0
for ((i = 0; i < INSTANCES; i++)); do
  wait "${GENS[$i]}" || status=$?
  echo "-- instance $i"
  grep -E "connect:|errors|server_kib|latency|Created" "$DIR/gen$i.out" || cat "$DIR/gen$i.out"
done
exit "$status"
