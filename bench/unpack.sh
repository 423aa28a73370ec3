#!/usr/bin/env bash
# Unpack benchmark: `porthole unpack` against `umoci unpack --rootless` of the same OCI
# layout, and a shell loop of GNU tar -xf per layer (the floor: no whiteouts, no checks);
# also `porthole export` to a file. Medians of BENCH_RUNS runs, ratios, peak RSS.
# A benchmark, not a test: it prints numbers and never fails on them. See bench/README.md.
#
#   bench/unpack.sh                      # 5 runs per tool and image
#   BENCH_RUNS=3 BENCH_IMAGES=twenty bench/unpack.sh
#
# Uses the fixture layers bench/pull.sh makes and caches in bench/out/fixtures (run it once).
# Needs: umoci, GNU tar, /usr/bin/time, python3.
set -euo pipefail

RUNS=${BENCH_RUNS:-5}
IMAGES=${BENCH_IMAGES:-"debian-minbase twenty"}
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$BENCH")
FIX=$BENCH/out/fixtures
log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install -y time)"
command -v umoci >/dev/null || die "umoci not found (apt-get install -y umoci)"

log "building the release CLI"
(cd "$ROOT" && cargo build --release -p porthole-cli)
TARGET=${CARGO_TARGET_DIR:-target}
[[ $TARGET = /* ]] || TARGET=$ROOT/$TARGET
PORTHOLE=$TARGET/release/porthole

WORK=$(mktemp -d "${TMPDIR:-/tmp}/porthole-bench-unpack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

RESULTS=$WORK/results.tsv
: >"$RESULTS"
measure() { # IMAGE TOOL CMD...: time CMD, append a row
    local image=$1 tool=$2; shift 2
    /usr/bin/time -f '%e %M' -o "$WORK/time.txt" "$@" >"$WORK/out.log" 2>&1 \
        || { cat "$WORK/out.log" >&2; die "$tool failed on $image"; }
    read -r secs rss <"$WORK/time.txt"
    printf '%s\t%s\t%s\t%s\n' "$image" "$tool" "$secs" "$rss" >>"$RESULTS"
    log "$image $tool: ${secs}s, peak RSS $((rss / 1024)) MiB"
}

for image in $IMAGES; do
    case $image in
        debian-minbase) layers=$FIX/debian-minbase ;;
        big) layers=$FIX/big-1G ;;
        twenty) layers=$(for i in $(seq -w 1 20); do printf '%s ' "$FIX/twenty-48M-$i"; done) ;;
        *) die "unknown image $image (debian-minbase, big, twenty)" ;;
    esac
    for l in $layers; do [[ -f $l.json ]] || die "no fixture $l: run bench/pull.sh once first"; done
    store=$WORK/store-$image
    # shellcheck disable=SC2086  # space-separated paths without spaces
    python3 "$BENCH/fixtures.py" layout "$store" bench $layers >/dev/null
    cat "$store"/blobs/sha256/* >/dev/null  # the same warm page cache for every tool
    # The floor: each layer's tar extracted over the last, by GNU tar, as a shell loop.
    cat >"$WORK/tar-loop.sh" <<SH
set -e
mkdir -p "\$1"
for l in $(for l in $layers; do printf '%s.tar.gz ' "$l"; done); do tar -xf "\$l" -C "\$1"; done
SH
    for run in $(seq "$RUNS"); do
        log "$image run $run"
        rm -rf "$WORK/p" "$WORK/u" "$WORK/t" "$WORK/e.tar"
        measure "$image" porthole "$PORTHOLE" --store "$store" unpack bench "$WORK/p"
        measure "$image" umoci umoci unpack --rootless --image "$store:bench" "$WORK/u"
        measure "$image" tar-loop bash "$WORK/tar-loop.sh" "$WORK/t"
        rm -rf "$WORK/p" "$WORK/u" "$WORK/t"
        measure "$image" porthole-export "$PORTHOLE" --store "$store" export bench -o "$WORK/e.tar"
        rm -f "$WORK/e.tar"
    done
done

echo
python3 - "$RESULTS" <<'PY'
import statistics, sys
rows = {}
for line in open(sys.argv[1]):
    image, tool, secs, rss = line.split()
    rows.setdefault(image, {}).setdefault(tool, []).append((float(secs), int(rss)))
tools = ["porthole", "umoci", "tar-loop", "porthole-export"]
print("image           " + "".join(f"{t:>20}" for t in tools) + "   umoci/porthole  porthole/tar-loop")
for image, by in rows.items():
    med = {t: statistics.median(s for s, _ in by[t]) for t in tools}
    rss = {t: max(r for _, r in by[t]) / 1024 for t in tools}
    cells = "".join(f"{f'{med[t]:.2f} s, {rss[t]:.0f} MiB':>20}" for t in tools)
    print(f"{image:<16}{cells}   {med['umoci'] / med['porthole']:>13.1f}x"
          f"  {med['porthole'] / med['tar-loop']:>16.2f}x")
PY
