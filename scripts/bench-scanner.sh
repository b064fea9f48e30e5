#!/usr/bin/env bash
# Scanner benchmark: corpus decode rate per folder (twofold-scanner Fast/Thorough and zbarimg),
# decode time per image, the cost of a 1280x720 and a 1920x1080 frame with no code, and screen
# capture and decode of a 1920x1080 Xvfb screen showing a QR code, timed apart, with our X11
# capture and with xcap. Release build, results on stdout with the machine's load before and
# after; copy them into docs/BENCHMARKS.md ("## Scanner").
#
# Usage: scripts/bench-scanner.sh [CORPUS_DIR]   (default: ../shared/corpus/qr-photos)
# Needs: cargo; optional: zbarimg, Xvfb, qrencode, /usr/bin/display (ImageMagick).
set -euo pipefail
cd "$(dirname "$0")/.."

# The shared target dir: release artifacts live in target/release, apart from the debug ones.
target_dir="${CARGO_TARGET_DIR:-target}"
corpus="$(realpath "${1:-../shared/corpus/qr-photos}")"
cargo build --release -p twofold-scanner --example bench_corpus
echo "load before: $(uptime)"
trap 'echo "load after: $(uptime)"' EXIT
bin="$target_dir/release/examples/bench_corpus"

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
trap 'cleanup; echo "load after: $(uptime)"' EXIT

# Xvfb picks a free display and writes its number to the fd given to -displayfd. -noreset:
# xcap (measured for comparison) opens a connection per call, and a server reset between two
# of them breaks capture.
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
