#!/usr/bin/env bash
# Sign-in throughput: a release portal on loopback with 50 password-only users, 50 concurrent
# clients for 20 s. Argon2id parameters are the portal's (m = 19 MiB, t = 2, p = 1).
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${CLIENTS:-50}; seconds=${SECONDS_RUN:-20}
cargo build --release -q -p twofold-portal --features dev-vendor-key --bin twofold-portal --example bench_signin
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/release/twofold-portal
data=$(mktemp -d)/data
trap 'kill $pid 2>/dev/null || true; rm -rf "$(dirname "$data")"' EXIT
for i in $(seq -f '%02g' 0 $((clients - 1))); do
  echo "bench-pass-$i" | $bin --data "$data" user add "bench$i" --password-stdin >/dev/null
done
port=$((20000 + RANDOM % 20000))
$bin serve --data "$data" --listen 127.0.0.1:$port --admin-listen 127.0.0.1:$((port + 1)) >/dev/null 2>&1 &
pid=$!
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/login" >/dev/null && break; sleep 0.1; done
echo "machine: $(nproc) cores, $(grep 'model name' /proc/cpuinfo | head -1 | cut -d: -f2 | xargs)"
"$target_dir"/release/examples/bench_signin "http://127.0.0.1:$port" "$clients" "$seconds"
