#!/usr/bin/env bash
# Builds smshost and the connector plugins, then starts the daemon on its
# embedded defaults: `smshost serve` on 127.0.0.1:8787, plugins from
# target/plugins, data (store, secret key, compile cache) in ./smshost-data.
# The first start prints an admin token once. With arguments, they go to
# smshost instead: ./run.sh plugins, ./run.sh serve --listen 0.0.0.0:8787,
# ./run.sh token create --tenant dev, ./run.sh send --plugin http-sms ...
#
# It builds the same package set as `cargo test --workspace` (all of the
# workspace's binaries; tests/build.rs builds the plugins), so ./run.sh and
# ./test.sh share one build of wasmtime instead of compiling it twice.
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null
target="${CARGO_TARGET_DIR:-$PWD/target}"
cargo build --quiet --workspace --bins

# tests/build.rs builds the Rust plugins and the hostile test guests; only
# the plugins go into the plugin folder.
mkdir -p target/plugins
for crate in plugins/*/; do
  [ -f "$crate/Cargo.toml" ] || continue
  name="$(awk -F'"' '/^\[/ { lib = ($0 == "[lib]") } lib && /^name *=/ { print $2 }' "$crate/Cargo.toml")"
  cp "$target/wasm/wasm32-wasip2/plugin/$name.wasm" target/plugins/
done
# The JavaScript (Plivo) and Python (Sinch) connectors, built like ./test.sh
# builds them (componentize-js from npm, componentize-py from PyPI; rebuilt
# only when their sources change). Without Node.js or Python's venv they are
# left out, with a note.
. tests/guests-outside-cargo.sh
if command -v node >/dev/null && command -v npm >/dev/null; then
  if build_plivo >&2; then
    cp "$SMSHOST_PLIVO_GUEST" target/plugins/plivo.wasm
  else
    echo "run.sh: building the Plivo connector failed (above); it is left out" >&2
  fi
else
  echo "run.sh: Node.js and npm not found: the Plivo connector (JavaScript) is left out" >&2
fi
if python3 -c 'import ensurepip, venv' >/dev/null 2>&1; then
  if build_sinch >&2; then
    cp "$SMSHOST_SINCH_GUEST" target/plugins/sinch.wasm
  else
    echo "run.sh: building the Sinch connector failed (above); it is left out" >&2
  fi
else
  echo "run.sh: python3 with venv not found: the Sinch connector (Python) is left out" >&2
fi
export SMSHOST_PLUGIN_DIR="${SMSHOST_PLUGIN_DIR:-$PWD/target/plugins}"
if [ "$#" -eq 0 ]; then set -- serve; fi
exec "$target/debug/smshost" "$@"
