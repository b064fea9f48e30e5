# make run  — install what is missing, start a local portal with demo users
# make test — install what is missing, then run every test
SHELL := /bin/bash
CARGO ?= cargo
DATA ?= .data/demo
LISTEN ?= 127.0.0.1:8080
ADMIN_LISTEN ?= 127.0.0.1:8081
export TWOFOLD_E2E_REQUIRE_TOOLS := 1

.PHONY: deps build run test test-rust fmt-check bench

deps:
	@scripts/install-deps.sh

build: deps
	$(CARGO) build --workspace --bins

run: build
	@scripts/run-demo.sh "$(DATA)" "$(LISTEN)" "$(ADMIN_LISTEN)"

test: deps
	$(CARGO) build --workspace --bins
	$(CARGO) test --workspace --no-fail-fast

bench: deps
	$(CARGO) bench -p twofold-core
	scripts/bench-signin.sh
