#!/usr/bin/env bash
# Unpack benchmark: `porthole unpack` against `umoci unpack --rootless` of the same OCI
# layout, and a shell loop of GNU tar -xf per layer (the floor: no whiteouts, no checks);
# also `porthole export` to a file. Medians of BENCH_RUNS runs, ratios, peak RSS.
# A benchmark, not a test: it prints numbers and never fails on them. See bench/README.md.
#
#   bench/unpack.sh                      # 5 runs per tool and image
#   BENCH_RUNS=3 BENCH_IMAGES=twenty bench/unpack.sh
#
# Uses the fixture layers bench/pull.sh makes and caches in bench/out/fixtures (made when missing).
# Needs: umoci, GNU tar, /usr/bin/time, python3.
set -euo pipefail

RUNS=${BENCH_RUNS:-5}
IMAGES=${BENCH_IMAGES:-"debian-minbase twenty"}
BIG_SIZE=${BENCH_BIG_SIZE:-1G}
TWENTY_LAYER=${BENCH_TWENTY_LAYER:-48M}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install -y time)"
command -v umoci >/dev/null || die "umoci not found (apt-get install -y umoci)"

release_cli
declare -A LAYERS
make_layers

WORK=$(mktemp -d "${TMPDIR:-/tmp}/porthole-bench-unpack.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
trap 'exit 130' INT TERM

RESULTS=$WORK/results.tsv
: >"$RESULTS"
for image in $IMAGES; do
    layers=${LAYERS[$image]}
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
        measure "$image" porthole "$run" "$PORTHOLE" --store "$store" unpack bench "$WORK/p"
        measure "$image" umoci "$run" umoci unpack --rootless --image "$store:bench" "$WORK/u"
        measure "$image" tar-loop "$run" bash "$WORK/tar-loop.sh" "$WORK/t"
        rm -rf "$WORK/p" "$WORK/u" "$WORK/t"
        measure "$image" porthole-export "$run" "$PORTHOLE" --store "$store" export bench -o "$WORK/e.tar"
        rm -f "$WORK/e.tar"
    done
done

echo
python3 - "$RESULTS" "$BENCH" <<'PY'
import statistics, sys
sys.path.insert(0, sys.argv[2])
from fixtures import read_results
rows = {image: {tool: [(r["seconds"], r["peak_rss_kib"]) for r in runs]
                for tool, runs in by.items()}
        for image, by in read_results(sys.argv[1]).items()}
tools = ["porthole", "umoci", "tar-loop", "porthole-export"]
print("image           " + "".join(f"{t:>20}" for t in tools) + "   umoci/porthole  porthole/tar-loop")
for image, by in rows.items():
    med = {t: statistics.median(s for s, _ in by[t]) for t in tools}
    rss = {t: max(r for _, r in by[t]) / 1024 for t in tools}
    cells = "".join(f"{f'{med[t]:.2f} s, {rss[t]:.0f} MiB':>20}" for t in tools)
    print(f"{image:<16}{cells}   {med['umoci'] / med['porthole']:>13.1f}x"
          f"  {med['porthole'] / med['tar-loop']:>16.2f}x")
PY
