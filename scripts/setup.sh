#!/usr/bin/env bash
# Installs everything Porthole needs to build, run and test on Debian 12 / Ubuntu 22.04+:
# system packages (WebKitGTK for the app; registry, skopeo, umoci... for the tests),
# the UI's npm packages, and tauri-driver. Safe to run again: it skips what is there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  # the desktop app
  libwebkit2gtk-4.1-dev build-essential pkg-config libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev
  # GUI tests and screenshots
  xvfb xauth webkit2gtk-driver imagemagick
  # registry and image fixtures
  docker-registry skopeo umoci debootstrap rpm jq zstd apache2-utils
  # ground truth for the package detectors (Go build info, Berkeley DB rpm databases, jars)
  golang-go db5.3-util zip unzip binutils time
  # ground truth for the version orderings (each ecosystem's own comparison)
  python3-packaging default-jre-headless libmaven3-core-java ruby node-semver
)

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian's docker-registry package starts a system service on :5000; the tests start their own.

command -v cargo >/dev/null || { echo "setup: Rust is missing: install it from https://rustup.rs" >&2; exit 1; }
command -v npm >/dev/null || { echo "setup: Node.js 20+ and npm are missing: install them first" >&2; exit 1; }

if ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi
