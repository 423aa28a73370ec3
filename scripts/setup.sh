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
  # fetching the Rust and Node.js toolchains when they are missing
  curl ca-certificates xz-utils
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

. scripts/toolchain.sh

# Rust: the stable toolchain through rustup (as https://rustup.rs installs it), for this user.
if ! command -v cargo >/dev/null; then
  echo "setup: installing Rust (rustup, stable toolchain) into ~/.cargo"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs \
    | sh -s -- -y --no-modify-path --profile minimal --component rustfmt,clippy >/dev/null \
    || { echo "setup: cannot install Rust from https://sh.rustup.rs: install it from https://rustup.rs, then run this again" >&2; exit 1; }
  . scripts/toolchain.sh
fi

# Node.js 20+: the distribution's when it is new enough, else the latest 22.x from nodejs.org
# (scripts/install-node.sh), for this user.
node_major() { node -e 'console.log(process.versions.node.split(".")[0])' 2>/dev/null || echo 0; }
if ! command -v npm >/dev/null || [ "$(node_major)" -lt 20 ]; then
  candidate=$(apt-cache policy nodejs 2>/dev/null | sed -n 's/^ *Candidate: *\([0-9]*\).*/\1/p')
  if [ "${candidate:-0}" -ge 20 ]; then
    echo "setup: installing Node.js from the distribution"
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends nodejs >/dev/null
    # NodeSource's nodejs carries npm; Debian's comes apart from it.
    command -v npm >/dev/null \
      || DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends npm >/dev/null
  else
    scripts/install-node.sh "$porthole_node_dir"
    . scripts/toolchain.sh
  fi
fi

if ! command -v tauri-driver >/dev/null; then
  echo "setup: installing tauri-driver"
  cargo install tauri-driver --locked --quiet
fi

if [ ! -d ui/node_modules ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "setup: installing the UI's npm packages"
  npm --prefix ui ci --no-audit --no-fund --loglevel=error
fi
