#!/usr/bin/env bash
# Push benchmark: porthole push vs skopeo copy, both reading the same OCI layout (which is a
# Porthole store) and writing into an empty local registry each run, alternating.
# A benchmark, not a test: it prints numbers and never fails on them. See bench/README.md.
#
#   bench/push.sh                      # everything, 5 runs per tool and image
#   BENCH_RUNS=3 BENCH_IMAGES="twenty" bench/push.sh
#   BENCH_PORTHOLE=/path/to/porthole bench/push.sh   # a prebuilt binary, no build
#
# Concurrency: skopeo 1.9 (Debian 12) has no --image-parallel-copies and copies up to 6 blobs
# at once, so porthole gets --jobs 6 too (BENCH_JOBS overrides both where skopeo allows it).
# Fixtures are the ones bench/pull.sh makes (cached under bench/out/fixtures; run it first,
# or this script makes them the same way, debootstrap included).
#
# Needs (Debian): docker-registry skopeo time python3 gzip.
set -euo pipefail

RUNS=${BENCH_RUNS:-5}
IMAGES=${BENCH_IMAGES:-"debian-minbase big twenty"}
BIG_SIZE=${BENCH_BIG_SIZE:-1G}
TWENTY_LAYER=${BENCH_TWENTY_LAYER:-48M}

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in docker-registry skopeo python3 gzip; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install docker-registry skopeo python3 gzip)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install -y time)"

if skopeo copy --help 2>&1 | grep -q -- '--image-parallel-copies'; then
    JOBS=${BENCH_JOBS:-4}
    SKOPEO_PAR=(--image-parallel-copies "$JOBS")
    SKOPEO_NOTE="skopeo --image-parallel-copies $JOBS"
else
    JOBS=6
    SKOPEO_PAR=()
    SKOPEO_NOTE="skopeo without --image-parallel-copies copies up to 6 blobs at once; porthole --jobs 6"
fi

# --- 1. the release CLI ------------------------------------------------------------------
release_cli

# --- 2. the fixtures (as bench/pull.sh makes and caches them) ----------------------------
declare -A LAYERS
make_layers

WORK=$(mktemp -d "${TMPDIR:-/tmp}/porthole-bench-push.XXXXXX")
cleanup() { stop_registry; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

# One OCI layout per image: skopeo reads it as oci:DIR:bench, porthole as its store.
export PORTHOLE_CONFIG=$WORK/porthole-config.json  # no user config (jobs, registries) leaks in
echo '{}' >"$PORTHOLE_CONFIG"
declare -A IDS
for image in $IMAGES; do
    # shellcheck disable=SC2086  # the layer list is space-separated paths without spaces
    summary=$(python3 "$BENCH/fixtures.py" layout "$WORK/store-$image" bench ${LAYERS[$image]})
    IDS[$image]=$("$PORTHOLE" --store "$WORK/store-$image" --json images \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["id"])')
    log "$image: $summary, image ID ${IDS[$image]}"
done

# --- 3. an empty registry for every run --------------------------------------------------
# Started once up front, so a registry that cannot start fails before any measurement.
start_registry
log "registry starts fine ($REG); $SKOPEO_NOTE"

# --- 4. measure --------------------------------------------------------------------------
RESULTS=$WORK/results.tsv
: >"$RESULTS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for image in $IMAGES; do
    store=$WORK/store-$image
    for run in $(seq "$RUNS"); do
        # Alternate which tool goes first, so neither always meets a warmer page cache.
        order=(porthole skopeo)
        (( run % 2 == 0 )) && order=(skopeo porthole)
        for tool in "${order[@]}"; do
            start_registry
            dest=$REG/bench/$image:bench
            if [[ $tool = porthole ]]; then
                measure "$image" porthole "$run" "$PORTHOLE" --store "$store" push --jobs "$JOBS" \
                    "${IDS[$image]}" "$dest"
            else
                measure "$image" skopeo "$run" skopeo copy --dest-tls-verify=false "${SKOPEO_PAR[@]}" \
                    "oci:$store:bench" "docker://$dest"
            fi
            # Both must leave the same manifest in the registry.
            skopeo inspect --raw --tls-verify=false "docker://$dest" | sha256sum | cut -c1-64 \
                >"$WORK/$tool-manifest.sha"
        done
        cmp -s "$WORK/porthole-manifest.sha" "$WORK/skopeo-manifest.sha" \
            || log "note: the manifests differ ($image run $run): skopeo rewrote it"
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 5. report ---------------------------------------------------------------------------
cp "$RESULTS" "$OUT/push-results.tsv"
python3 - "$RESULTS" "$RUNS" "$SKOPEO_NOTE" "$LOAD_BEFORE" "$LOAD_AFTER" \
    "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" "$BENCH" <<'EOF'
import statistics, sys, time
path, runs, note, lb, la, rev, bench = sys.argv[1:]
sys.path.insert(0, bench)
from fixtures import read_results
results = read_results(path)
by = {(image, tool): [(r["seconds"], r["peak_rss_kib"], r["user_s"] + r["sys_s"]) for r in rs]
      for image, tools in results.items() for tool, rs in tools.items()}
print(f"push benchmark, {time.strftime('%Y-%m-%d %H:%M')}, {runs} runs each, git {rev}; {note}")
print(f"{'image':<16} {'porthole push':>14} {'skopeo copy':>12} {'skopeo/porthole':>16} "
      f"{'CPU p/s':>12} {'peak RSS p/s':>16}")
for image in results:
    p, s = by.get((image, "porthole"), []), by.get((image, "skopeo"), [])
    if not p or not s:
        continue
    mp, ms = statistics.median(x[0] for x in p), statistics.median(x[0] for x in s)
    cp, cs = statistics.median(x[2] for x in p), statistics.median(x[2] for x in s)
    rp, rs = max(x[1] for x in p) // 1024, max(x[1] for x in s) // 1024
    print(f"{image:<16} {mp:>13.2f}s {ms:>11.2f}s {ms / mp:>15.2f}x "
          f"{cp:>5.2f}/{cs:<5.2f}s {rp:>6}/{rs:<6} MiB")
print(f"load average before: {lb}, after: {la}")
EOF
