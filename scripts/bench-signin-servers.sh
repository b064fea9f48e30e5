#!/usr/bin/env bash
# Sign-ins per second with 1, 2 and 3 release portal processes on one PostgreSQL, and the same
# workload on one portal on SQLite, in one run on this machine (docs/BENCHMARKS.md). 50
# password-only users, 50 concurrent clients spread over the servers (client i → server
# i mod n) for SECONDS_RUN s per configuration. Argon2id parameters are the portal's
# (m = 19 MiB, t = 2, p = 1). PostgreSQL 15 runs in a temporary cluster as `nobody` (it
# refuses root), fsync on, on loopback.
set -euo pipefail
cd "$(dirname "$0")/.."
clients=${CLIENTS:-50}; seconds=${SECONDS_RUN:-20}
cargo build --release -q -p twofold-portal --features dev-vendor-key --bin twofold-portal --example bench_signin
target_dir=${CARGO_TARGET_DIR:-target}
bin=$target_dir/release/twofold-portal
bench=$target_dir/release/examples/bench_signin
pg_bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
tmp=$(mktemp -d)
chmod 755 "$tmp"
pids=()
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u nobody -- "$@"; else "$@"; fi; }
stop_servers() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  pids=()
}
cleanup() {
  stop_servers
  as_pg "$pg_bin/pg_ctl" -D "$tmp/pg" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$tmp"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# The cluster.
mkdir "$tmp/pg" "$tmp/pgrun"
[ "$(id -u)" = 0 ] && chown nobody:nogroup "$tmp/pg" "$tmp/pgrun"
as_pg "$pg_bin/initdb" -D "$tmp/pg" -U twofold --auth=trust --locale=C -E UTF8 --no-instructions >/dev/null
pg_port=$(free_port)
as_pg "$pg_bin/pg_ctl" -D "$tmp/pg" -l "$tmp/pgrun/postgres.log" -w \
  -o "-p $pg_port -k $tmp/pgrun -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null
as_pg "$pg_bin/psql" -h 127.0.0.1 -p "$pg_port" -U twofold -d postgres -qc 'CREATE DATABASE twofold'
url="postgres://twofold@127.0.0.1:$pg_port/twofold"
printf 'store = "%s"\n' "$url" > "$tmp/pg.toml"

# The same users in both stores: the admin CLI on the SQLite directory and, through the
# config file, on PostgreSQL (its key file is made in $tmp/pgkeys and copied to each server).
for i in $(seq -f '%02g' 0 $((clients - 1))); do
  echo "bench-pass-$i" | $bin --data "$tmp/sqlite" user add "bench$i" --password-stdin >/dev/null
  echo "bench-pass-$i" | $bin --data "$tmp/pgkeys" --config "$tmp/pg.toml" user add "bench$i" --password-stdin >/dev/null
done

# Starts portal N on DATA (with CONFIG, if given); adds its URL to $urls.
urls=
start() {
  local n=$1 data=$2 config=${3:-}
  local port; port=$(free_port)
  $bin --data "$data" ${config:+--config "$config"} serve --listen "127.0.0.1:$port" \
    --admin-listen "127.0.0.1:$(free_port)" >"$tmp/portal$n.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/login" >/dev/null && break; sleep 0.1; done
  urls=${urls:+$urls,}http://127.0.0.1:$port
}

echo "machine: $(nproc) cores, $(grep 'model name' /proc/cpuinfo | head -1 | cut -d: -f2 | xargs)"
echo "PostgreSQL: $("$pg_bin/postgres" --version)"
summary=()
measure() {
  local label=$1 out
  out=$("$bench" "$urls" "$clients" "$seconds")
  echo "== $label"; echo "$out"
  summary+=("$(printf '%-24s %s  %s  %s' "$label" \
    "$(grep throughput <<<"$out" | awk '{print $2}')/s" \
    "p50 $(grep 'p50' <<<"$out" | awk '{print $3}') ms" \
    "p99 $(grep 'p99' <<<"$out" | awk '{print $3}') ms")")
}

urls=; start 0 "$tmp/sqlite"; measure "SQLite, 1 process"; stop_servers
for n in 1 2 3; do
  urls=
  for k in $(seq 1 "$n"); do
    mkdir -p "$tmp/server$k"; cp "$tmp/pgkeys/secrets.key" "$tmp/server$k/"
    start "$k" "$tmp/server$k" "$tmp/pg.toml"
  done
  measure "PostgreSQL, $n process$([ "$n" = 1 ] || echo es)"
  stop_servers
done
echo
echo "== summary ($clients clients, $seconds s each)"
printf '%s\n' "${summary[@]}"
