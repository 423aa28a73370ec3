#!/usr/bin/env bash
# Set up (first time only) and run every check and test: formatting, lints, the UI's
# typecheck and unit tests, the Rust tests (engine, CLI, registry integration against a
# real local registry), and the end-to-end test of the real app under Xvfb.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
. scripts/toolchain.sh
export CARGO_TERM_COLOR=never

echo "== rustfmt";   cargo fmt --all --check
echo "== UI typecheck and unit tests"
npm --prefix ui run check
npm --prefix ui test
echo "== UI build (the app embeds it)"
npm --prefix ui run build
echo "== clippy";    cargo clippy --workspace --all-targets --features porthole-app/custom-protocol -- -D warnings
echo "== app build"; cargo build -p porthole-app --features porthole-app/custom-protocol
echo "== CLI build"; cargo build -p porthole-cli
echo "== Rust tests (the e2e test drives the real app under Xvfb)"
PORTHOLE_E2E_REQUIRED=1 xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --features porthole-app/custom-protocol --no-fail-fast
