#!/usr/bin/env bash
# `porthole cat` benchmark: files read out of a real Debian bookworm minbase image (one 48.8
# MB gzip layer, 121 MB of tar), against GNU tar extracting the same member to stdout from
# the same layer blob (`tar -xzOf`, which also reads the whole archive: a later member of
# the same name would win). Porthole also follows symlinks inside the image and hashes the
# whole layer to check its diff_id before printing anything. A benchmark, not a test: it
# prints numbers and never fails on them.
#
#   bench/cat.sh                      # 7 alternating runs per file
#   BENCH_RUNS=11 BENCH_PORTHOLE=/path/to/porthole bench/cat.sh
#
# The Debian layer is bench/pull.sh's fixture (made through it when missing).
set -euo pipefail

RUNS=${BENCH_RUNS:-7}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install -y time)"

release_cli
if [[ ! -f $FIX/debian-minbase.json ]]; then
    log "making the Debian fixture through bench/pull.sh"
    BENCH_IMAGES=debian-minbase BENCH_RUNS=1 BENCH_PORTHOLE=$PORTHOLE "$BENCH/pull.sh" >/dev/null
fi

WORK=$(mktemp -d /var/tmp/porthole-cat-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 "$BENCH/fixtures.py" layout "$WORK/image" debian "$FIX/debian-minbase" >/dev/null
tar -C "$WORK/image" -cf "$WORK/image.tar" .
id=$("$PORTHOLE" --store "$WORK/store" --json load -i "$WORK/image.tar" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')
LAYER=$FIX/debian-minbase.tar.gz

timed() { # OUTFILE CMD...: prints "seconds rss_kib"
    local out=$1; shift
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$@" >"$out" 2>/dev/null
    cat "$WORK/time"
}

log "first cat (indexes the layer first)"
read -r first first_rss < <(timed "$WORK/p" "$PORTHOLE" --store "$WORK/store" cat "$id" /etc/os-release)

# PATH in the image, and the member GNU tar is asked for (where the symlinks lead).
for pair in "/etc/os-release ./usr/lib/os-release" \
            "/var/lib/dpkg/status ./var/lib/dpkg/status" \
            "/bin/bash ./usr/bin/bash"; do
    read -r path member <<<"$pair"
    rows=()
    for _ in $(seq "$RUNS"); do
        read -r t rss < <(timed "$WORK/p" "$PORTHOLE" --store "$WORK/store" cat "$id" "$path")
        rows+=("p $t $rss")
        read -r t rss < <(timed "$WORK/t" tar -xzOf "$LAYER" "$member")
        rows+=("t $t $rss")
    done
    cmp -s "$WORK/p" "$WORK/t" || die "porthole cat $path differs from tar -xzOf $member"
    bytes=$(stat -c %s "$WORK/p")
    printf '%s\n' "${rows[@]}" | python3 -c '
import statistics, sys
path, size = sys.argv[1], int(sys.argv[2])
p, t, prss, trss = [], [], [], []
for line in sys.stdin:
    who, s, rss = line.split()
    (p if who == "p" else t).append(float(s))
    (prss if who == "p" else trss).append(int(rss))
mp, mt = statistics.median(p), statistics.median(t)
print(f"{path} ({size:,} bytes), median of {len(p)}: porthole cat {mp:.3f} s, "
      f"tar -xzOf {mt:.3f} s ({mt / mp:.2f}x); peak RSS {max(prss) // 1024} / {max(trss) // 1024} MiB")
' "$path" "$bytes"
done
echo "first cat (cold: indexing the layer included): ${first} s, peak RSS $((first_rss / 1024)) MiB"
