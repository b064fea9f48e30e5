#!/usr/bin/env bash
# Builds the desktop app `twofold` with its front end embedded, so it runs without a dev
# server (what `make build/run/test` use):
#   1. npm ci in ui/ when package-lock.json is newer than the installed node_modules;
#   2. vite build → ui/dist;
#   3. cargo build -p twofold (its default feature `custom-protocol` embeds ui/dist).
# Usage: scripts/build-app.sh [--release]   → target/debug/twofold or target/release/twofold
#        scripts/build-app.sh --ui-only     → steps 1–2 only (the Makefile then builds the whole
#        workspace in one cargo run, so shared crates are compiled once with one feature set)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo_args=()
ui_only=0
if [ "${1:-}" = "--release" ]; then cargo_args+=(--release); fi
if [ "${1:-}" = "--ui-only" ]; then ui_only=1; fi

if [ ! -f ui/node_modules/.package-lock.json ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  npm --prefix ui ci --no-audit --no-fund
fi
npm --prefix ui run build
if [ "$ui_only" = 1 ]; then exit 0; fi
cargo build -p twofold "${cargo_args[@]}"
