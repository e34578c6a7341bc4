# Sourced by the scripts: puts the tools installed under ./tools on PATH.
# shellcheck shell=bash
LOKET_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export PATH="$LOKET_ROOT/tools/node_modules/.bin:$HOME/.cargo/bin:$PATH"
