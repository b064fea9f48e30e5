#!/usr/bin/env bash
# `make run`: fill a demo data directory, start the portal on loopback and print where it is.
# (The desktop app joins here once it exists.)
set -euo pipefail
data="$1"; listen="$2"; admin_listen="$3"
bin="${CARGO_TARGET_DIR:-target}/debug/twofold-portal"
mkdir -p "$(dirname "$data")"
"$bin" demo --data "$data"
echo
echo "admin token: $data/admin.token"
echo "stop with Ctrl-C"
exec "$bin" serve --data "$data" --listen "$listen" --admin-listen "$admin_listen"
