# Sourced by ./test.sh and ./bench.sh: builds the components that cargo does
# not (Python with componentize-py from PyPI, JavaScript with componentize-js
# from npm, pinned by sdk/js/package-lock.json) under $target, and exports
# the paths the tests and benchmarks read.

python_dir="$target/python"
js_dir="$target/js"

python_tools() {
  if [ ! -x "$python_dir/venv/bin/componentize-py" ]; then
    mkdir -p "$python_dir"
    python3 -m venv "$python_dir/venv"
    "$python_dir/venv/bin/pip" install --quiet --disable-pip-version-check componentize-py==0.25.1
  fi
  export SMSHOST_COMPONENTIZE_PY="$python_dir/venv/bin/componentize-py"
}

# The contract-0.1 Python connector in examples/python.
build_python_example() {
  python_tools
  (cd examples/python &&
    "$python_dir/venv/bin/componentize-py" -q -d ../../wit/v0.1 -w sms-connector \
      componentize http_sms_py -o "$python_dir/python_http_sms.wasm")
  export SMSHOST_PYTHON_GUEST="$python_dir/python_http_sms.wasm"
}

# Whether $1 exists and is newer than every file under the other arguments.
up_to_date() {
  local out="$1"
  shift
  [ -f "$out" ] && [ -z "$(find "$@" -newer "$out" -type f -print -quit)" ]
}

# The Sinch connector (plugins/sinch, Python), built as an author builds it.
build_sinch() {
  export SMSHOST_SINCH_GUEST="$python_dir/sinch.wasm"
  python_tools
  if up_to_date "$SMSHOST_SINCH_GUEST" plugins/sinch sdk/python wit/v0.2; then
    return
  fi
  python3 sdk/python/build.py --src plugins/sinch --wit wit/v0.2 --out "$python_dir/sinch.wasm" \
    --componentize-py "$python_dir/venv/bin/componentize-py"
}

# The Plivo connector (plugins/plivo, JavaScript), built as an author builds it.
build_plivo() {
  export SMSHOST_PLIVO_GUEST="$js_dir/plivo.wasm" SMSHOST_JS_TOOLS="$js_dir/tools"
  if up_to_date "$SMSHOST_PLIVO_GUEST" plugins/plivo sdk/js/smshost.js sdk/js/build.mjs sdk/js/package-lock.json wit/v0.2; then
    return
  fi
  if ! cmp -s sdk/js/package-lock.json "$js_dir/tools/package-lock.json"; then
    mkdir -p "$js_dir/tools"
    cp sdk/js/package.json sdk/js/package-lock.json "$js_dir/tools/"
    (cd "$js_dir/tools" && npm ci --quiet --no-audit --no-fund)
  fi
  node sdk/js/build.mjs --src plugins/plivo --wit wit/v0.2 --out "$js_dir/plivo.wasm" --tools "$js_dir/tools"
}
