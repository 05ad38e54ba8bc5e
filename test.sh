#!/usr/bin/env bash
# Runs every test: unit tests, signature vectors, and the end-to-end tests
# that build the plugins as wasm32-wasip2 components (tests/build.rs) and
# send through them to mock providers on loopback, and the daemon's tests
# against the real `smshost serve` process. It also builds the Python
# connector in examples/python with componentize-py (from PyPI), so the
# contract is tested beyond Rust, and the Sinch (Python) and Plivo
# (JavaScript, componentize-js from npm) connectors in plugins/, and then
# runs schemathesis (PyPI) against the live daemon (tests/schemathesis/run.sh;
# skip it with SMSHOST_SKIP_SCHEMATHESIS=1). Arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null
target="${CARGO_TARGET_DIR:-$PWD/target}"

. tests/guests-outside-cargo.sh
build_python_example
build_sinch
build_plivo

# Every test of a component built above runs; none may skip.
export SMSHOST_TEST_BUILT_GUESTS_REQUIRED=1

cargo test --workspace "$@"
tests/schemathesis/run.sh
