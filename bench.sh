#!/usr/bin/env bash
# Prints smshost's performance figures, each beside its baseline measured in
# the same run (tests/benches/figures.rs): send overhead against plain
# reqwest, daemon throughput against the mock alone, cold start and memory.
# Builds the Python guest with componentize-py (from PyPI) like ./test.sh,
# for the Python memory figure. SMSHOST_BENCH_QUICK=1 shortens every phase.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null
target="${CARGO_TARGET_DIR:-$PWD/target}"

. tests/guests-outside-cargo.sh
if [ -z "${SMSHOST_PYTHON_GUEST:-}" ]; then
  build_python_example
fi

cargo bench --workspace --bench figures "$@"
