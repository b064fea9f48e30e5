#!/usr/bin/env bash
# `make run`: fill a demo data directory, start the portal on loopback and print a short
# guide: where the portal is, whom to sign in as, and what to do in the desktop app.
set -euo pipefail
data="$1"; listen="$2"; admin_listen="$3"
bin="${CARGO_TARGET_DIR:-target}/debug/twofold"
portal_bin="${CARGO_TARGET_DIR:-target}/debug/twofold-portal"
mkdir -p "$(dirname "$data")"
"$portal_bin" demo --data "$data"
cat <<GUIDE

── Twofold is running ──────────────────────────────────────────────────────────────────
 Portal:     http://$listen/        (admin API http://$admin_listen/, token in $data/admin.token)

 1. Open http://$listen/ in a browser and sign in as alice / alice-demo-pass.
    2FA is on for her and she has no authenticator yet, so the portal shows a QR code.
 2. In the Twofold app, switch to Authenticator mode and press "Scan screen" (the QR code
    must be visible), or scan it with any phone authenticator app.
 3. Type the 6-digit code into the portal: you are signed in. Sign out and in again: the
    portal now asks for the code only.
 4. Back in the app's Admin mode: the 2FA switch and license in the status bar, the users and
    groups that need a code (alice; group finance = bob, dana), "Reset" to make alice enroll
    again, and the activity of what you just did. carol (carol-demo-pass) needs no code.
GUIDE
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ]; then
  cat <<GUIDE
 No display here, so the app was not opened. On a desktop machine run
    TWOFOLD_DATA=$(cd "$data" && pwd) TWOFOLD_ADMIN_URL=http://$admin_listen $bin
 or forward this one over SSH (ssh -L ${listen##*:}:$listen -L ${admin_listen##*:}:$admin_listen)
 and use a browser and an authenticator app there.
GUIDE
fi
echo "────────────────────────────────────────────────────────────────────────────────────────"
echo " stop with Ctrl-C"
exec "$portal_bin" serve --data "$data" --listen "$listen" --admin-listen "$admin_listen"
