#!/usr/bin/env bash
# Regenerates docs/openapi.json from the portal (the document the admin API serves) and the
# UI's TypeScript types from it (ui/src/lib/api/openapi.gen.ts). Run after changing an admin
# API handler or type, and commit both files; `make test` fails while either is stale.
set -euo pipefail
cd "$(dirname "$0")/.."
TWOFOLD_UPDATE_OPENAPI=1 cargo test -p twofold-portal --test openapi -- --quiet \
  the_served_document_is_the_committed_docs_openapi_json
if [ -d ui/node_modules/openapi-typescript ]; then
  npm --prefix ui run --silent gen:api
else
  echo "ui/node_modules lacks openapi-typescript: run npm --prefix ui ci, then npm --prefix ui run gen:api" >&2
  exit 1
fi
