# make run  — install what is missing, start a local portal with demo users, open the app
# make test — install what is missing, then run every test
SHELL := /bin/bash
CARGO ?= cargo
DATA ?= .data/demo
LISTEN ?= 127.0.0.1:8080
ADMIN_LISTEN ?= 127.0.0.1:8081
# End-to-end tests fail (instead of skipping) when a tool they need is missing.
export TWOFOLD_E2E_REQUIRE_TOOLS := 1

.PHONY: deps tools build run test bench lint reliability schemathesis package

deps:
	@scripts/install-deps.sh

tools: deps
	@scripts/install-tauri-driver.sh

build: deps
	scripts/build-app.sh --ui-only
	$(CARGO) build --workspace --bins

run: build
	@mkdir -p "$(DATA)"
	@scripts/run-app.sh "$(DATA)" "$(ADMIN_LISTEN)" &
	@scripts/run-demo.sh "$(DATA)" "$(LISTEN)" "$(ADMIN_LISTEN)"

test: tools build lint
	npm --prefix ui test
	$(CARGO) test --workspace --no-fail-fast
	$(MAKE) schemathesis

# schemathesis (PyPI, pinned, in .venv-schemathesis) against a live portal's admin API with
# docs/openapi.json, bounded to about a minute: no 5xx, every answer as the document says.
schemathesis: build
	scripts/schemathesis.sh

# Formatting, lints and the UI's type check: part of `make test`, so a warning does not land.
lint: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings
	npm --prefix ui run check
	npm --prefix ui run check:api

# Debian packages of the portal and the desktop app (release build) in target/package/. The
# vendor's public license key comes from TWOFOLD_VENDOR_PUBLIC_KEY; without it, a trial
# package that trusts the development key. make test checks the packaging (lintian,
# systemd-analyze, a loop check from the extracted packages) on the debug binaries:
# tests/tests/packages.rs.
package: deps
	scripts/package.sh $(if $(TWOFOLD_VENDOR_PUBLIC_KEY),,--dev-vendor-key)

bench: deps
	$(CARGO) bench -p twofold-core --bench verify
	scripts/bench-signin.sh
	scripts/bench-signin-servers.sh

reliability: deps
	scripts/reliability.sh
