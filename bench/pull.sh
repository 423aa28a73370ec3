#!/usr/bin/env bash
# Pull benchmark: porthole vs skopeo, pulling the same images from a local registry.
# A benchmark, not a test: it prints numbers and never fails on them. See bench/README.md.
#
#   bench/pull.sh                      # everything, 5 runs per tool and image, --jobs 4
#   BENCH_RUNS=3 BENCH_JOBS=6 bench/pull.sh
#   BENCH_IMAGES="big twenty" bench/pull.sh
#   BENCH_PORTHOLE=/path/to/porthole bench/pull.sh   # a prebuilt binary, no build
#
# Needs (Debian): docker-registry skopeo debootstrap time openssl python3 gzip (pigz if present).
# debootstrap needs root and the Debian mirror; fixtures are cached under bench/out/.
set -euo pipefail

RUNS=${BENCH_RUNS:-5}
JOBS=${BENCH_JOBS:-4}
IMAGES=${BENCH_IMAGES:-"debian-minbase big twenty"}
BIG_SIZE=${BENCH_BIG_SIZE:-1G}          # the mixed layer's uncompressed size
TWENTY_LAYER=${BENCH_TWENTY_LAYER:-48M} # each of the twenty layers' uncompressed size

# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

for tool in docker-registry skopeo openssl python3 gzip curl; do
    command -v "$tool" >/dev/null || die "$tool not found (apt-get install docker-registry skopeo openssl python3 gzip curl)"
done
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install -y time)"

# --- 1. the release CLI ------------------------------------------------------------------
release_cli

# --- 2. the fixtures (cached) ------------------------------------------------------------
declare -A LAYERS
make_layers

# --- 3. the registry ---------------------------------------------------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/porthole-bench.XXXXXX")
cleanup() { stop_registry; rm -rf "$WORK"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start_registry
log "registry (pid $REGISTRY_PID) on $REG, storage in $WORK/registry"

# --- 4. push -----------------------------------------------------------------------------
META_IMAGES=()
for image in $IMAGES; do
    # shellcheck disable=SC2086  # the layer list is space-separated paths without spaces
    summary=$(python3 "$BENCH/fixtures.py" layout "$WORK/oci-$image" bench ${LAYERS[$image]})
    log "pushing $image: $summary"
    skopeo copy -q --dest-tls-verify=false "oci:$WORK/oci-$image:bench" "docker://$REG/bench/$image:bench"
    rm -rf "$WORK/oci-$image"
    META_IMAGES+=("$(python3 -c 'import json,sys; d=json.loads(sys.argv[2]); d["name"]=sys.argv[1]; print(json.dumps(d))' "$image" "$summary")")
done

# --- 5. measure --------------------------------------------------------------------------
SKOPEO_PAR=()
if skopeo copy --help 2>&1 | grep -q -- '--image-parallel-copies'; then
    SKOPEO_PAR=(--image-parallel-copies "$JOBS")
    SKOPEO_NOTE="skopeo --image-parallel-copies $JOBS"
else
    SKOPEO_NOTE="this skopeo has no --image-parallel-copies: it copies up to 6 layers at once (containers/image default)"
    log "note: $SKOPEO_NOTE"
fi
export PORTHOLE_CONFIG=$WORK/porthole-config.json  # no user config (mirrors, jobs) leaks in
echo '{}' >"$PORTHOLE_CONFIG"

RESULTS=$WORK/results.tsv
: >"$RESULTS"
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
for image in $IMAGES; do
    ref=$REG/bench/$image:bench
    for run in $(seq "$RUNS"); do
        dest=$WORK/dest
        rm -rf "$dest"
        measure "$image" porthole "$run" "$PORTHOLE" --store "$dest" pull --jobs "$JOBS" "$ref"
        if [[ $run = 1 ]]; then  # the cached layer indexes, on disk
            printf '%s\t%s\n' "$image" "$(du -sb "$dest/porthole-cache/layers" | cut -f1)" >>"$WORK/index-bytes.tsv"
        fi
        rm -rf "$dest"
        measure "$image" porthole-noindex "$run" "$PORTHOLE" --store "$dest" pull --no-index \
            --jobs "$JOBS" "$ref"
        rm -rf "$dest"
        measure "$image" skopeo "$run" skopeo copy --src-tls-verify=false "${SKOPEO_PAR[@]}" \
            "docker://$ref" "oci:$dest:bench"
        rm -rf "$dest"
    done
done
LOAD_AFTER=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 6. report ---------------------------------------------------------------------------
python3 - "$WORK/meta.json" "$RUNS" "$JOBS" "$SKOPEO_NOTE" "$LOAD_BEFORE" "$LOAD_AFTER" \
    "$(skopeo --version)" "$(docker-registry --version 2>&1 | head -1)" \
    "$(git -C "$ROOT" describe --always --dirty 2>/dev/null || echo unknown)" \
    "$("$PORTHOLE" --version 2>/dev/null || echo porthole)" "${META_IMAGES[@]}" <<'EOF'
import json, os, sys, time
out, runs, jobs, note, lb, la, skopeo, registry, rev, porthole, *images = sys.argv[1:]
json.dump({
    "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    "runs": int(runs), "jobs": int(jobs), "skopeo_parallelism": note,
    "loadavg_before": lb, "loadavg_after": la, "cpus": os.cpu_count(),
    "skopeo": skopeo, "registry": registry, "porthole": porthole, "git_head": rev,
    "images": [json.loads(i) for i in images],
}, open(out, "w"), indent=1)
EOF
cp "$RESULTS" "$OUT/pull-results.tsv"
echo
python3 "$BENCH/fixtures.py" summarize "$RESULTS" "$WORK/meta.json" "$OUT/pull-results.json" "$WORK/index-bytes.tsv"
echo "load average before: $LOAD_BEFORE, after: $LOAD_AFTER ($(nproc) CPUs)"
