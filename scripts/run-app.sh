#!/usr/bin/env bash
# Set up (first time only), build and open the Porthole desktop app.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/toolchain.sh
npm --prefix ui run build
cargo build --release --features porthole-app/custom-protocol -p porthole-app
cargo build --release -p porthole-cli
echo "The CLI is at ${CARGO_TARGET_DIR:-target}/release/porthole"
exec "${CARGO_TARGET_DIR:-target}/release/porthole-app"
