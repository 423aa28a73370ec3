#!/usr/bin/env bash
# App benchmark: start-up to first interactive paint and idle memory of the release app,
# against the budget of issue 6 (1 s, 150 MiB) and WebKitGTK's own MiniBrowser.
# A benchmark, not a test: it prints numbers and never fails on them. See bench/README.md.
#
#   bench/app.sh                       # 5 runs, 5 s of idling before memory is read
#   BENCH_RUNS=10 BENCH_IDLE=10 bench/app.sh
#
# Needs (Debian): xvfb xauth python3, the app's build dependencies (scripts/setup.sh).
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
mkdir -p "$BENCH/out"
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

log "building the UI and the release app"
(cd "$ROOT" && npm --prefix ui run build >/dev/null && cargo build --release -p porthole-app --features porthole-app/custom-protocol)
TARGET=${CARGO_TARGET_DIR:-target}
[[ $TARGET = /* ]] || TARGET=$ROOT/$TARGET
APP=$TARGET/release/porthole-app
[[ -x $APP ]] || { log "error: no binary at $APP"; exit 1; }

xvfb-run -a -s "-screen 0 1280x800x24" python3 "$BENCH/app.py" "$APP" "$BENCH/out/app-results.json"
