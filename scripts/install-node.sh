#!/usr/bin/env bash
# Installs the latest Node.js 22 from nodejs.org (or $PORTHOLE_NODE_DIST, a mirror of one
# of its release directories) into DIR, after checking the tarball against the release's
# published SHA-256 sums. Used by scripts/setup.sh when the system has no Node.js 20+.
#
#   scripts/install-node.sh DIR
set -euo pipefail
dest=${1:?usage: scripts/install-node.sh DIR}
base=${PORTHOLE_NODE_DIST:-https://nodejs.org/dist/latest-v22.x}
case "$(uname -m)" in
  x86_64) arch=x64 ;;
  aarch64) arch=arm64 ;;
  *) echo "setup: nodejs.org has no Node.js build for $(uname -m): install Node.js 20+, then run this again" >&2; exit 1 ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
curl -sSf "$base/SHASUMS256.txt" -o "$tmp/SHASUMS256.txt" \
  || { echo "setup: cannot reach $base: install Node.js 20+, then run this again" >&2; exit 1; }
tarball=$(grep -o "node-v[0-9.]*-linux-$arch\.tar\.xz" "$tmp/SHASUMS256.txt" | head -n1 || true)
[ -n "$tarball" ] || { echo "setup: $base/SHASUMS256.txt lists no linux-$arch tarball" >&2; exit 1; }
curl -sSf "$base/$tarball" -o "$tmp/$tarball" \
  || { echo "setup: cannot download $base/$tarball" >&2; exit 1; }
(cd "$tmp" && grep " $tarball\$" SHASUMS256.txt | sha256sum -c --quiet -) \
  || { echo "setup: $tarball does not match its published SHA-256; not installed" >&2; exit 1; }
rm -rf "$dest"
mkdir -p "$dest"
tar -xJf "$tmp/$tarball" -C "$dest" --strip-components=1
echo "setup: Node.js $("$dest/bin/node" --version) installed in $dest"
