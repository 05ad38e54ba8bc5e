#!/usr/bin/env bash
# Runs every test: unit tests, signature vectors, and the end-to-end tests
# that build the plugins as wasm32-wasip2 components (tests/build.rs) and
# send through them to mock providers on loopback.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null
exec cargo test --workspace "$@"
