#!/usr/bin/env bash
# Desktop app benchmarks for docs/BENCHMARKS.md ("## Desktop app"), each beside OTPClient and
# KeePassXC (installed from Debian if missing) measured the same way in the same run:
#   authenticator — start to the account list with codes, idle memory of all the app's
#                   processes before and after the quick-pick was used;
#   admin         — start to the Admin screen with live status, idle memory, picker search over
#                   10,000 directory entries;
#   quick-pick    — shortcut press to the code on the clipboard or typed.
# Prints `BENCH name value unit` lines.
# Usage: scripts/bench-desktop.sh [--release] [authenticator|admin|quick-pick]...
#   (release: builds and measures target/release/twofold; no part named: all three)
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
# the debug workspace in one run, as `make build` does (the same features, nothing built twice):
# the portal the admin part talks to, and the app unless --release asks for the release one
scripts/build-app.sh --ui-only
cargo build --workspace --bins
profile=debug
if [ "${1:-}" = "--release" ]; then
  shift
  cargo build -p twofold --release
  profile=release
fi
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(authenticator admin quick-pick)
wants() { [[ " ${parts[*]} " == *" $1 "* ]]; }
export TWOFOLD_APP_BIN="$PWD/target/$profile/twofold"
export TWOFOLD_PORTAL_BIN="$PWD/target/debug/twofold-portal"
if wants authenticator; then
  cargo test -p twofold-e2e --test authenticator_app_bench -- --ignored --nocapture --test-threads=1 2>&1 | grep -E '^(BENCH|timeline|processes|where|test )'
fi
if wants admin; then
  cargo test -p twofold-e2e --test admin_app_bench -- --ignored --nocapture --test-threads=1 2>&1 | grep -E '^(BENCH|timeline|processes|where|picker rows|test )'
fi
if wants quick-pick; then
  cargo test -p twofold-e2e --test authenticator_at_hand -- --ignored --nocapture bench_quick_pick 2>&1 | grep -E '^(BENCH|test )'
fi
