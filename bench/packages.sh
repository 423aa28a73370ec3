#!/usr/bin/env bash
# Package benchmark: what package detection adds to indexing the Debian minbase layer, and
# how fast `porthole packages` answers on an image whose layers are already indexed, next to
# `dpkg-query -W` reading the same rootfs's database. Prints numbers, never fails on them.
#
#   bench/packages.sh                 # 7 runs each
#   BENCH_RUNS=15 bench/packages.sh
#
# Uses the Debian layer that bench/pull.sh builds (made here through it when missing).
set -euo pipefail

RUNS=${BENCH_RUNS:-7}
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
OUT=$BENCH/out
LAYER=$OUT/fixtures/debian-minbase
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

if [[ ! -f $LAYER.json ]]; then
    log "no Debian layer yet: making it with bench/pull.sh (one run)"
    BENCH_IMAGES=debian-minbase BENCH_RUNS=1 "$BENCH/pull.sh" >/dev/null
fi

log "building the release CLI and the benchmark"
(cd "$ROOT" && cargo build --release -p porthole-cli && cargo bench -p porthole-engine --bench packages --no-run)
TARGET=${CARGO_TARGET_DIR:-target}
[[ $TARGET = /* ]] || TARGET=$ROOT/$TARGET
PORTHOLE=$TARGET/release/porthole

echo "== 1. detection while indexing (in-process, the same blob each run)"
(cd "$ROOT" && BENCH_LAYER=$LAYER.tar.gz BENCH_RUNS=$RUNS cargo bench -q -p porthole-engine --bench packages)

WORK=$(mktemp -d "${TMPDIR:-/tmp}/porthole-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
python3 "$BENCH/fixtures.py" layout "$WORK/store" debian "$LAYER" >/dev/null
export PORTHOLE_CONFIG=$WORK/config.json
echo '{}' >"$PORTHOLE_CONFIG"

echo "== 2. porthole packages on an indexed image vs dpkg-query -W on the rootfs (medians of $RUNS)"
"$PORTHOLE" --store "$WORK/store" packages debian >/dev/null 2>&1  # indexes and caches
ROOTFS=$OUT/debian-minbase/rootfs
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() { # CMD...: wall milliseconds of one run
    local start end
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s%N)
    echo $(((end - start) / 1000))
}
P=() D=()
for _ in $(seq "$RUNS"); do
    P+=("$(time_ms "$PORTHOLE" --store "$WORK/store" packages debian --json)")
    D+=("$(time_ms dpkg-query --admindir "$ROOTFS/var/lib/dpkg" -W)")
done
p=$(printf '%s\n' "${P[@]}" | median)
d=$(printf '%s\n' "${D[@]}" | median)
count=$("$PORTHOLE" --store "$WORK/store" packages debian --json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
awk -v p="$p" -v d="$d" -v n="$count" 'BEGIN {
    printf "  porthole packages --json (%d packages, whole process) %7.1f ms\n", n, p / 1000
    printf "  dpkg-query -W (same rootfs)                           %7.1f ms  (porthole/dpkg-query = %.2f)\n", d / 1000, p / d
}'
