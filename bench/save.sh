#!/usr/bin/env bash
# Save and load benchmark: `porthole save` against skopeo writing the same image from the
# same OCI layout as a docker-archive and as an oci-archive, and GNU tar archiving the
# layout's files (the floor: copying bytes without checking them); then `porthole load` of
# that archive against skopeo copying it (oci-archive:) into a layout, and GNU tar -x. A benchmark, not a test: it prints
# numbers and never fails on them. See bench/README.md.
#
#   bench/save.sh                      # 5 runs per tool and image
#   BENCH_RUNS=3 BENCH_IMAGES=big bench/save.sh
#
# Uses the fixture layers bench/pull.sh makes and caches in bench/out/fixtures (made when missing).
set -euo pipefail

RUNS=${BENCH_RUNS:-5}
IMAGES=${BENCH_IMAGES:-"debian-minbase big twenty"}
BIG_SIZE=${BENCH_BIG_SIZE:-1G}
TWENTY_LAYER=${BENCH_TWENTY_LAYER:-48M}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install -y time)"

release_cli
declare -A LAYERS
make_layers

WORK=$(mktemp -d "${TMPDIR:-/tmp}/porthole-bench-save.XXXXXX")
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
    for run in $(seq "$RUNS"); do
        log "$image run $run"
        rm -f "$WORK"/*.tar
        measure "$image" porthole "$run" "$PORTHOLE" --store "$store" save bench -o "$WORK/p.tar"
        measure "$image" skopeo-docker-archive "$run" skopeo copy -q "oci:$store:bench" "docker-archive:$WORK/d.tar"
        rm -f "$WORK/d.tar"
        measure "$image" skopeo-oci-archive "$run" skopeo copy -q "oci:$store:bench" "oci-archive:$WORK/o.tar"
        rm -f "$WORK/o.tar"
        measure "$image" gnu-tar "$run" tar -cf "$WORK/t.tar" -C "$store" .
        # Loading that archive back: porthole load, skopeo's oci-archive into a layout,
        # and GNU tar extracting it.
        rm -rf "$WORK/loaded" "$WORK/skopeo-loaded" "$WORK/extracted"
        measure "$image" porthole-load "$run" "$PORTHOLE" --store "$WORK/loaded" load -i "$WORK/p.tar"
        measure "$image" skopeo-load "$run" skopeo copy -q "oci-archive:$WORK/p.tar:bench" "oci:$WORK/skopeo-loaded:bench"
        mkdir -p "$WORK/extracted"
        measure "$image" gnu-tar-x "$run" tar -xf "$WORK/p.tar" -C "$WORK/extracted"
        rm -rf "$WORK/loaded" "$WORK/skopeo-loaded" "$WORK/extracted"
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
tools = ["porthole", "skopeo-docker-archive", "skopeo-oci-archive", "gnu-tar"]
print("image           " + "".join(f"{t:>24}" for t in tools) + "   skopeo-docker/porthole  skopeo-oci/porthole")
for image, by in rows.items():
    med = {t: statistics.median(s for s, _ in by[t]) for t in tools}
    rss = {t: max(r for _, r in by[t]) / 1024 for t in tools}
    cells = "".join(f"{f'{med[t]:.2f} s, {rss[t]:.0f} MiB':>24}" for t in tools)
    print(f"{image:<16}{cells}   {med['skopeo-docker-archive'] / med['porthole']:>21.1f}x"
          f"  {med['skopeo-oci-archive'] / med['porthole']:>18.1f}x")
print()
tools = ["porthole-load", "skopeo-load", "gnu-tar-x"]
print("loading it back " + "".join(f"{t:>24}" for t in tools) + "   skopeo/porthole")
for image, by in rows.items():
    med = {t: statistics.median(s for s, _ in by[t]) for t in tools}
    rss = {t: max(r for _, r in by[t]) / 1024 for t in tools}
    cells = "".join(f"{f'{med[t]:.2f} s, {rss[t]:.0f} MiB':>24}" for t in tools)
    print(f"{image:<16}{cells}   {med['skopeo-load'] / med['porthole-load']:>15.1f}x")
PY
