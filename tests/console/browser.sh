#!/usr/bin/env bash
# The console's browser suite (pytest + Playwright for Python, PyPI, pinned
# in requirements.txt, in a venv under target/). It drives Debian's
# Chromium (`executable_path`); Playwright's own browser download is never
# used. Started by tests/tests/console.rs with the daemon's URL, tokens and
# the mock providers' credentials in SMSHOST_CONSOLE_* variables; run it
# through tests/console/run.sh. Arguments go to pytest (`-k twilio`).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
target="${CARGO_TARGET_DIR:-$root/target}"
venv="$target/console-venv"
stamp="$venv/.requirements"
if [ ! -x "$venv/bin/python" ] || ! cmp -s "$here/requirements.txt" "$stamp"; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$here/requirements.txt"
  cp "$here/requirements.txt" "$stamp"
fi
cd "$here"
exec "$venv/bin/python" -m pytest -p no:cacheprovider -q -ra "$@"
