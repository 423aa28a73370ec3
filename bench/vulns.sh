#!/usr/bin/env bash
# Vulnerability scan benchmark: 1,000 packages (600 Debian binaries of 120 source packages,
# 400 PyPI libraries) against an offline OSV database of 3,200 advisories imported from zips
# served on 127.0.0.1, in a release build. Budget: under 200 ms. Prints, never fails on the
# number. (No peer runs here: Trivy and Grype are not packaged for Debian 12 and cannot be
# downloaded on this machine.)
#
#   bench/vulns.sh              # 5 runs
#   BENCH_RUNS=9 bench/vulns.sh
set -euo pipefail
RUNS=${BENCH_RUNS:-5}
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
cargo test -q --release -p porthole-engine --test vulns_offline --no-run
for _ in $(seq "$RUNS"); do
    cargo test -q --release -p porthole-engine --test vulns_offline a_thousand_package_scan \
        -- --nocapture 2>&1 | grep -o 'scan of 1000 packages.*'
done | tee /dev/stderr | sed -E 's/.*: ([0-9.]+) ms.*/\1/' | sort -n |
    awk '{a[NR]=$1} END {printf "median of %d: %.1f ms (budget 200 ms)\n", NR, a[int((NR+1)/2)]}'
