#!/usr/bin/env bash
# Scanner benchmark: corpus decode rate per folder (twofold-scanner Fast/Thorough and zbarimg),
# decode time per image, the cost of a 1280x720 frame with no code, and screen capture +
# decode of a 1920x1080 Xvfb screen showing a QR code. Release build, results on stdout;
# copy them into docs/BENCHMARKS.md ("## Scanner").
#
# Usage: scripts/bench-scanner.sh [CORPUS_DIR]   (default: ../shared/corpus/qr-photos)
# Needs: cargo; optional: zbarimg, Xvfb, qrencode, /usr/bin/display (ImageMagick).
set -euo pipefail
cd "$(dirname "$0")/.."

# A separate target dir: a release build must not churn the shared debug artifacts.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/tmp/target-scanner}"
corpus="$(realpath "${1:-../shared/corpus/qr-photos}")"
cargo build --release -p twofold-scanner --example bench_corpus
bin="$CARGO_TARGET_DIR/release/examples/bench_corpus"

if ! command -v Xvfb >/dev/null || ! command -v qrencode >/dev/null || [ ! -x /usr/bin/display ]; then
    echo "Xvfb, qrencode or /usr/bin/display missing: screen capture is not measured" >&2
    env -u DISPLAY "$bin" "$corpus"
    exit 0
fi

work="$(mktemp -d)"
xvfb_pid=""
display_pid=""
cleanup() {
    [ -n "$display_pid" ] && kill "$display_pid" 2>/dev/null || true
    [ -n "$xvfb_pid" ] && kill "$xvfb_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

# Xvfb picks a free display and writes its number to the fd given to -displayfd. -noreset:
# xcap opens a connection per call, and a server reset between two of them breaks capture.
Xvfb -displayfd 3 -noreset -nolisten tcp -screen 0 1920x1080x24 3>"$work/display" 2>/dev/null &
xvfb_pid=$!
for _ in $(seq 50); do [ -s "$work/display" ] && break; sleep 0.1; done
display=":$(cat "$work/display")"

qrencode -s 4 -m 4 -o "$work/code.png" \
    'otpauth://totp/Twofold:alice@example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Twofold'
DISPLAY="$display" /usr/bin/display -geometry +700+300 "$work/code.png" &
display_pid=$!
sleep 2 # let the window map and draw

DISPLAY="$display" "$bin" "$corpus"
