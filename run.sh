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
# add_connector NAME VAR BUILD MISSING CHECK...: runs CHECK; if it passes,
# runs BUILD (which sets the variable VAR to the built file) and copies it in.
add_connector() {
  local name="$1" var="$2" build="$3" missing="$4"
  shift 4
  if ! "$@" >/dev/null 2>&1; then
    echo "run.sh: $missing not found: the $name connector is left out" >&2
  elif "$build" >&2; then
    cp "${!var}" "target/plugins/$(basename "${!var}")"
  else
    echo "run.sh: building the $name connector failed (above); it is left out" >&2
  fi
}
add_connector "Plivo (JavaScript)" SMSHOST_PLIVO_GUEST build_plivo "Node.js and npm" \
  sh -c 'command -v node && command -v npm'
add_connector "Sinch (Python)" SMSHOST_SINCH_GUEST build_sinch "python3 with venv" \
  python3 -c 'import ensurepip, venv'
export SMSHOST_PLUGIN_DIR="${SMSHOST_PLUGIN_DIR:-$PWD/target/plugins}"
if [ "$#" -eq 0 ]; then set -- serve; fi
exec "$target/debug/smshost" "$@"
