#!/usr/bin/env bash
# `make run`'s desktop half: waits until the local portal's admin API answers, then opens the
# Twofold app in Admin mode, connected to it (the token is found through TWOFOLD_DATA).
# Usage: scripts/run-app.sh DATA_DIR ADMIN_LISTEN   (run it in the background before `serve`)
set -euo pipefail
data="$(cd "$1" && pwd)"; admin_listen="$2"
app="${CARGO_TARGET_DIR:-target}/debug/twofold"
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  echo "no display: not opening the desktop app (run $app with TWOFOLD_DATA=$data on a desktop)"
  exit 0
fi
for _ in $(seq 1 100); do
  if (exec 3<>"/dev/tcp/${admin_listen%:*}/${admin_listen##*:}") 2>/dev/null; then break; fi
  sleep 0.1
done
echo "opening the Twofold app (Admin mode) against http://$admin_listen"
TWOFOLD_DATA="$data" TWOFOLD_ADMIN_URL="http://$admin_listen" TWOFOLD_MODE=admin exec "$app"
