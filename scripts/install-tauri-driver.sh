#!/usr/bin/env bash
# Installs tauri-driver 2.x (the WebDriver bridge the desktop end-to-end tests drive the app
# through) with cargo, only when no 2.x is installed already, so `make test` pays once.
# WebKitWebDriver itself comes from Debian's webkit2gtk-driver (scripts/install-deps.sh).
set -euo pipefail
bin="${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver"
if [ -x "$bin" ] && "$bin" --help 2>&1 | head -n 5 | grep -qi 'tauri-driver'; then
  # tauri-driver has no --version flag; cargo's own record says which version is installed.
  if cargo install --list 2>/dev/null | grep -Eq '^tauri-driver v2\.'; then
    exit 0
  fi
fi
echo "installing tauri-driver 2.x with cargo (a few minutes, once)"
cargo install tauri-driver --locked --version '^2'
