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

python_dir="$target/python"
if [ -z "${SMSHOST_PYTHON_GUEST:-}" ]; then
  if [ ! -x "$python_dir/venv/bin/componentize-py" ]; then
    mkdir -p "$python_dir"
    python3 -m venv "$python_dir/venv"
    "$python_dir/venv/bin/pip" install --quiet --disable-pip-version-check componentize-py==0.25.1
  fi
  (cd examples/python &&
    "$python_dir/venv/bin/componentize-py" -q -d ../../wit/v0.1 -w sms-connector \
      componentize http_sms_py -o "$python_dir/python_http_sms.wasm")
  export SMSHOST_PYTHON_GUEST="$python_dir/python_http_sms.wasm"
fi

cargo bench -p smshost-tests --bench figures "$@"
