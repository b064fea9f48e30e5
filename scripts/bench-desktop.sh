#!/usr/bin/env bash
# Desktop app benchmarks for docs/BENCHMARKS.md ("## Desktop app"): start to the Admin
# screen with live status, idle memory of the app + WebKit next to OTPClient and KeePassXC
# (installed from Debian if missing) measured the same way in the same run, and picker search
# over 10,000 directory entries, and the quick-pick's shortcut-to-code times. Prints
# `BENCH name value unit` lines.
# Usage: scripts/bench-desktop.sh [--release]   (release: builds and measures target/release/twofold)
set -euo pipefail
cd "$(dirname "$0")/.."
missing=()
for p in otpclient keepassxc sqlite3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
scripts/install-tauri-driver.sh
profile=debug
if [ "${1:-}" = "--release" ]; then
  scripts/build-app.sh --release
  profile=release
else
  scripts/build-app.sh
fi
cargo build -p twofold-portal
export TWOFOLD_APP_BIN="$PWD/target/$profile/twofold"
export TWOFOLD_PORTAL_BIN="$PWD/target/debug/twofold-portal"
cargo test -p twofold-e2e --test admin_app_bench -- --ignored --nocapture --test-threads=1 2>&1 | grep -E '^(BENCH|timeline|processes|picker rows|otpclient|keepassxc|test )'
# The quick-pick: shortcut press to code on the clipboard or typed.
cargo test -p twofold-e2e --test authenticator_at_hand -- --ignored --nocapture bench_quick_pick 2>&1 | grep -E '^(BENCH|test )'
