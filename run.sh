#!/usr/bin/env bash
# Builds the connector plugins into target/plugins and runs the smshost CLI
# on them. With no arguments it lists the plugins; otherwise the arguments go
# to smshost, e.g. ./run.sh send --plugin http-sms --config c.json --to +4520123456 --usage SignIn --code 123456
set -euo pipefail
cd "$(dirname "$0")"
rustup target add wasm32-wasip2 >/dev/null
cargo build --quiet --profile plugin --target wasm32-wasip2 -p 'smshost-plugin-*'
mkdir -p target/plugins
cp target/wasm32-wasip2/plugin/*.wasm target/plugins/
export SMSHOST_PLUGIN_DIR="${SMSHOST_PLUGIN_DIR:-$PWD/target/plugins}"
if [ "$#" -eq 0 ]; then set -- plugins; fi
exec cargo run --quiet -p smshost -- "$@"
