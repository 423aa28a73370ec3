#!/usr/bin/env bash
# `porthole diff` benchmark: a real Debian bookworm minbase image against the same image with
# an "upgrade" layer on top (a quarter of its dpkg packages bumped, 300 files rewritten, 100
# removed, 500 added). A benchmark, not a test: it prints numbers and never fails on them.
#
#   bench/diff.sh                      # 7 warm runs
#   BENCH_RUNS=11 bench/diff.sh
#   BENCH_PORTHOLE=/path/to/porthole bench/diff.sh
#
# No peer runs: neither Google's container-diff nor Docker Scout is packaged for Debian 12.
# The Debian layer is bench/pull.sh's fixture (made through it when missing).
set -euo pipefail

RUNS=${BENCH_RUNS:-7}
# shellcheck source=bench/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
[[ -x /usr/bin/time ]] || die "/usr/bin/time not found (apt-get install -y time)"

release_cli
if [[ ! -f $FIX/debian-minbase.json || ! -d $OUT/debian-minbase/rootfs ]]; then
    log "making the Debian fixture through bench/pull.sh"
    BENCH_IMAGES=debian-minbase BENCH_RUNS=1 BENCH_PORTHOLE=$PORTHOLE "$BENCH/pull.sh" >/dev/null
fi
if [[ ! -f $FIX/debian-update.json ]]; then
    log "making the upgrade layer"
    python3 "$BENCH/fixtures.py" gen-update "$OUT/debian-minbase/rootfs" diff-bench \
        | python3 "$BENCH/fixtures.py" pack "$FIX/debian-update"
fi

WORK=$(mktemp -d /var/tmp/porthole-diff-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
python3 "$BENCH/fixtures.py" layout "$WORK/base" base "$FIX/debian-minbase" >/dev/null
python3 "$BENCH/fixtures.py" layout "$WORK/target" target "$FIX/debian-minbase" "$FIX/debian-update" >/dev/null
ids=()
for side in base target; do
    tar -C "$WORK/$side" -cf "$WORK/$side.tar" .
    ids+=("$("$PORTHOLE" --store "$WORK/store" --json load -i "$WORK/$side.tar" \
        | python3 -c 'import json,sys; print(json.load(sys.stdin)["images"][0]["id"])')")
done
diff_once() { # ARGS...: one `porthole diff`, timed; prints "seconds rss_kib"
    /usr/bin/time -f '%e %M' -o "$WORK/time" "$PORTHOLE" --store "$WORK/store" "$@" \
        diff "${ids[0]}" "${ids[1]}" >"$WORK/out" 2>/dev/null
    cat "$WORK/time"
}

log "first diff (indexes both images' layers: decompresses 2 layers)"
read -r first first_rss < <(diff_once --json)
python3 - "$WORK/out" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
p, f = d["packages"], d["files"]
moved = {}
for c in p["changed"]:
    moved[c["direction"]] = moved.get(c["direction"], 0) + 1
print(f"  packages {d['base']['packages']} -> {d['target']['packages']}: {moved}, "
      f"{len(p['added'])} added, {len(p['removed'])} removed, {p['unchanged']} unchanged")
print(f"  files {d['base']['files']} -> {d['target']['files']}: {len(f['added'])} added, "
      f"{len(f['removed'])} removed, {len(f['modified'])} modified, {f['unchanged']} unchanged; "
      f"shared layers {d['shared_layers']}")
PY
times=()
for _ in $(seq "$RUNS"); do
    read -r t rss < <(diff_once)
    times+=("$t $rss")
    read -r t rss < <(diff_once --json)
    times+=("$t $rss json")
done
printf '%s\n' "${times[@]}" | python3 -c '
import statistics, sys
text, js, rss = [], [], []
for line in sys.stdin:
    parts = line.split()
    (js if len(parts) == 3 else text).append(float(parts[0]))
    rss.append(int(parts[1]))
print(f"porthole diff, warm (indexes cached), median of {len(text)}: "
      f"{statistics.median(text):.3f} s text, {statistics.median(js):.3f} s --json; "
      f"peak RSS {max(rss) // 1024} MiB")'
echo "first diff (cold, indexing included): ${first} s, peak RSS $((first_rss / 1024)) MiB"
