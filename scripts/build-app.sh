#!/usr/bin/env bash
# Builds the desktop app `twofold` with its front end embedded, so it runs without a dev
# server (what `make build/run/test` use):
#   1. npm ci in ui/ when package-lock.json is newer than the installed node_modules;
#   2. vite build → ui/dist;
#   3. cargo build -p twofold (its default feature `custom-protocol` embeds ui/dist).
# Usage: scripts/build-app.sh [--release]   → target/debug/twofold or target/release/twofold
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_args=()
if [ "${1:-}" = "--release" ]; then cargo_args+=(--release); fi

if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm --prefix ui ci --no-audit --no-fund
fi
npm --prefix ui run build
cargo build -p twofold "${cargo_args[@]}"
