#!/usr/bin/env bash
# schemathesis against a live admin API (part of `make test`): a real `twofold-portal serve`
# on a throwaway data directory with the demo users, the committed docs/openapi.json, the
# admin token, and a bounded run (examples, coverage and fuzzing phases; at most
# SCHEMATHESIS_MAX_TIME seconds, SCHEMATHESIS_MAX_EXAMPLES per operation). Fails on a 5xx, a
# status, content type or body the document does not describe, or a portal that dies.
# schemathesis comes from PyPI into .venv-schemathesis, pinned with the hypothesis it runs on:
# 6.130.12, the oldest this schemathesis accepts. Newer ones crashed inside hypothesis here
# (IndexError in the spans of its shrinker and of its target optimiser, which runs because
# schemathesis always targets success rates), in 3 of 7 runs with 6.170.17 — every case had
# passed, the run still failed; 6.130.12 passed 4 of 4. A second run reuses the venv. Shrinking
# is off and there is no example database: a failure is reported as it was met, the run's time
# goes to new cases, and every run starts from the same seed anyway.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=4.32.5
HYPOTHESIS=6.130.12
VENV=.venv-schemathesis
MAX_TIME="${SCHEMATHESIS_MAX_TIME:-75}"
MAX_EXAMPLES="${SCHEMATHESIS_MAX_EXAMPLES:-25}"

if [ "$("$VENV/bin/schemathesis" --version 2>/dev/null | grep -o '[0-9][0-9.]*' | head -1)" != "$VERSION" ] \
  || ! "$VENV/bin/pip" show hypothesis 2>/dev/null | grep -qx "Version: $HYPOTHESIS"; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$VERSION" "hypothesis==$HYPOTHESIS"
fi

bin="${CARGO_TARGET_DIR:-target}/debug/twofold-portal"
[ -x "$bin" ] || cargo build -p twofold-portal --bin twofold-portal

data="$(mktemp -d)"
log="$data/portal.log"
portal=""
cleanup() {
  if [ -n "$portal" ]; then kill "$portal" 2>/dev/null || true; wait "$portal" 2>/dev/null || true; fi
  rm -rf "$data"
}
trap cleanup EXIT

"$bin" demo --data "$data/dir" >/dev/null
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"; admin_port="$(free_port)"
"$bin" serve --data "$data/dir" --listen "127.0.0.1:$port" --admin-listen "127.0.0.1:$admin_port" >"$log" 2>&1 &
portal=$!
for _ in $(seq 100); do
  if [ -s "$data/dir/admin.token" ] && curl -s -o /dev/null "http://127.0.0.1:$admin_port/"; then break; fi
  kill -0 "$portal" 2>/dev/null || { echo "the portal did not start:"; cat "$log"; exit 1; }
  sleep 0.1
done
token="$(cat "$data/dir/admin.token")"

status=0
"$VENV/bin/schemathesis" run docs/openapi.json \
  --url "http://127.0.0.1:$admin_port" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --phases examples,coverage,fuzzing \
  --max-examples "$MAX_EXAMPLES" --max-time "$MAX_TIME" \
  --workers 2 --seed 8 --no-shrink --generation-database none --request-timeout 10 \
  --warnings off --no-color || status=$?

if ! kill -0 "$portal" 2>/dev/null; then
  echo "the portal died during the run:"; tail -50 "$log"; exit 1
fi
if grep -q "panicked" "$log"; then
  echo "the portal panicked during the run:"; grep -A5 "panicked" "$log"; exit 1
fi
exit "$status"
