#!/usr/bin/env bash
# Runs every test: unit tests, signature vectors, and the end-to-end tests
# that build the plugins as wasm32-wasip2 components (tests/build.rs) and
# send through them to mock providers on loopback. It also builds the Python
# connector in examples/python with componentize-py (from PyPI), so the
# contract is tested beyond Rust.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null

python_dir="$PWD/target/python"
if [ ! -x "$python_dir/venv/bin/componentize-py" ]; then
  mkdir -p "$python_dir"
  python3 -m venv "$python_dir/venv"
  "$python_dir/venv/bin/pip" install --quiet --disable-pip-version-check componentize-py==0.25.1
fi
(cd examples/python &&
  "$python_dir/venv/bin/componentize-py" -q -d ../../wit -w sms-connector \
    componentize http_sms_py -o "$python_dir/python_http_sms.wasm")
export SMSHOST_PYTHON_GUEST="$python_dir/python_http_sms.wasm"

exec cargo test --workspace "$@"
