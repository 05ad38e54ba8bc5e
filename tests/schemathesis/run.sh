#!/usr/bin/env bash
# Property-based run of schemathesis (PyPI) against the real daemon: starts
# `smshost serve` with a token and an http-sms connector that sends to a
# loopback sink (so POST /messages really succeeds), then generates requests
# from GET /v1/openapi.json and checks every response against the document.
# It fails on a response that breaks the document and on any 500 other than
# `plugin_failed` or any non-JSON body (hooks.py); 502/503 are documented
# answers, so schemathesis's own `not_a_server_error` check is left out.
#
# Started by ./test.sh. Skip it with SMSHOST_SKIP_SCHEMATHESIS=1.
# SMSHOST_SCHEMATHESIS_MAX_EXAMPLES (default 30) and
# SMSHOST_SCHEMATHESIS_SEED (default 1; "random" for a new one) tune it.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

if [ "${SMSHOST_SKIP_SCHEMATHESIS:-}" = "1" ]; then
  echo "schemathesis: skipped (SMSHOST_SKIP_SCHEMATHESIS=1)"
  exit 0
fi

target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/schemathesis-venv"
version="4.32.5"
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -q "$version"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$version"
fi

# The same package set as ./run.sh (and as `cargo test --workspace` for
# wasmtime), so this is a no-op after ./test.sh's cargo test.
cargo build --quiet --workspace --bins
smshost="$target/debug/smshost"
plugins_built="$target/wasm/wasm32-wasip2/plugin"

work="$(mktemp -d)"
daemon_pid=""
sink_pid=""
cleanup() {
  if [ -n "$daemon_pid" ]; then kill "$daemon_pid" 2>/dev/null || true; wait "$daemon_pid" 2>/dev/null || true; fi
  if [ -n "$sink_pid" ]; then kill "$sink_pid" 2>/dev/null || true; wait "$sink_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

mkdir -p "$work/plugins"
for name in http_sms twilio; do
  cp "$plugins_built/$name.wasm" "$work/plugins/"
done

python3 "$here/sink.py" "$work/sink.port" &
sink_pid=$!

# An obviously fake token, made fresh for this run.
token="smsh_schemathesis_$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')"
SMSHOST_ADMIN_TOKEN="$token" SMSHOST_LOG=warn \
  "$smshost" --allow-private-networks --allow-http \
  serve --listen 127.0.0.1:0 --data-dir "$work/data" --plugin-dir "$work/plugins" \
  >"$work/daemon.out" 2>"$work/daemon.log" </dev/null &
daemon_pid=$!

base=""
for _ in $(seq 1 600); do
  base="$(sed -n 's/^smshost: serving on //p' "$work/daemon.log" | head -n1)"
  if [ -n "$base" ] && [ -s "$work/sink.port" ]; then break; fi
  if ! kill -0 "$daemon_pid" 2>/dev/null; then
    echo "schemathesis: the daemon exited:" >&2
    cat "$work/daemon.log" >&2
    exit 1
  fi
  sleep 0.1
done
if [ -z "$base" ]; then
  echo "schemathesis: the daemon did not start within 60 s" >&2
  cat "$work/daemon.log" >&2
  exit 1
fi
endpoint="http://127.0.0.1:$(cat "$work/sink.port")/sms"

# An active connector in the default tenant and in `dev`, sending to the sink.
for prefix in /v1 /v1/tenants/dev; do
  status="$(curl -sS -o "$work/put.json" -w '%{http_code}' -X PUT "$base$prefix/connectors/sms" \
    -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"plugin\":\"http-sms\",\"config\":{\"endpoint\":\"$endpoint\"}}")"
  if [ "$status" != "200" ]; then
    echo "schemathesis: PUT $prefix/connectors/sms answered $status: $(cat "$work/put.json")" >&2
    exit 1
  fi
done
status="$(curl -sS -o "$work/send.json" -w '%{http_code}' -X POST "$base/v1/messages" \
  -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
  -d '{"to":"+4520123456","usageType":"SignIn","payload":{"code":"123456"}}')"
if [ "$status" != "200" ]; then
  echo "schemathesis: the smoke send answered $status: $(cat "$work/send.json")" >&2
  exit 1
fi

export SCHEMATHESIS_HOOKS=hooks
export PYTHONPATH="$here${PYTHONPATH:+:$PYTHONPATH}"
common=(
  --header "Authorization: Bearer $token"
  --checks all
  --exclude-checks not_a_server_error,positive_data_acceptance
  --request-timeout 10
  --wait-for-schema 30
  --generation-database none
  --no-color
)

# Self-test: the custom check must be loaded and able to fail.
if SMSHOST_SCHEMATHESIS_SELFTEST=1 "$venv/bin/schemathesis" run "$base/v1/openapi.json" "${common[@]}" \
  --include-path /healthz --max-examples 1 --phases examples,fuzzing >"$work/selftest.log" 2>&1; then
  echo "schemathesis: the self-test passed, so hooks.py's check is not running" >&2
  cat "$work/selftest.log" >&2
  exit 1
fi
if ! grep -q "self-test: this check runs" "$work/selftest.log"; then
  echo "schemathesis: the self-test failed for another reason:" >&2
  cat "$work/selftest.log" >&2
  exit 1
fi

seed="${SMSHOST_SCHEMATHESIS_SEED:-1}"
seed_args=()
if [ "$seed" != "random" ]; then seed_args=(--seed "$seed"); fi
started=$SECONDS
set +e
"$venv/bin/schemathesis" run "$base/v1/openapi.json" "${common[@]}" "${seed_args[@]}" \
  --max-examples "${SMSHOST_SCHEMATHESIS_MAX_EXAMPLES:-30}" 2>&1 | tee "$work/run.log"
code=${PIPESTATUS[0]}
set -e
elapsed=$((SECONDS - started))

if ! kill -0 "$daemon_pid" 2>/dev/null; then
  echo "schemathesis: the daemon died during the run:" >&2
  cat "$work/daemon.log" >&2
  exit 1
fi
if grep -q "panicked" "$work/daemon.log"; then
  echo "schemathesis: the daemon panicked:" >&2
  grep -A5 "panicked" "$work/daemon.log" >&2
  code=1
fi

cases="$(grep -Eo '[0-9]+ generated' "$work/run.log" | tail -n1 | grep -Eo '[0-9]+' || true)"
passed="$(grep -E '[0-9]+ generated' "$work/run.log" | tail -n1 | grep -Eo '[0-9]+ passed' | grep -Eo '[0-9]+' || true)"
failed="$(grep -E '[0-9]+ generated' "$work/run.log" | tail -n1 | grep -Eo '[0-9]+ failed' | grep -Eo '[0-9]+' || true)"
echo "schemathesis: ${cases:-0} cases in ${elapsed} s (exit $code)"
echo "schemathesis: ${passed:-0} passed, ${failed:-0} failed"
exit "$code"
