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

python_dir="$target/python"
if [ ! -x "$python_dir/venv/bin/componentize-py" ]; then
  mkdir -p "$python_dir"
  python3 -m venv "$python_dir/venv"
  "$python_dir/venv/bin/pip" install --quiet --disable-pip-version-check componentize-py==0.25.1
fi
(cd examples/python &&
  "$python_dir/venv/bin/componentize-py" -q -d ../../wit/v0.1 -w sms-connector \
    componentize http_sms_py -o "$python_dir/python_http_sms.wasm")
export SMSHOST_PYTHON_GUEST="$python_dir/python_http_sms.wasm"

# The Sinch connector (plugins/sinch, Python) and the Plivo connector
# (plugins/plivo, JavaScript), built like an author builds them: the JS
# tools come from npm, pinned by sdk/js/package-lock.json, into target/js/tools.
python3 sdk/python/build.py --src plugins/sinch --wit wit/v0.2 --out "$python_dir/sinch.wasm" \
  --componentize-py "$python_dir/venv/bin/componentize-py"
export SMSHOST_SINCH_GUEST="$python_dir/sinch.wasm"
js_dir="$target/js"
if ! cmp -s sdk/js/package-lock.json "$js_dir/tools/package-lock.json"; then
  mkdir -p "$js_dir/tools"
  cp sdk/js/package.json sdk/js/package-lock.json "$js_dir/tools/"
  (cd "$js_dir/tools" && npm ci --quiet --no-audit --no-fund)
fi
node sdk/js/build.mjs --src plugins/plivo --wit wit/v0.2 --out "$js_dir/plivo.wasm" --tools "$js_dir/tools"
export SMSHOST_PLIVO_GUEST="$js_dir/plivo.wasm"
export SMSHOST_JS_TOOLS="$js_dir/tools" SMSHOST_COMPONENTIZE_PY="$python_dir/venv/bin/componentize-py"

cargo test --workspace "$@"
tests/schemathesis/run.sh
