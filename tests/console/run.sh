#!/usr/bin/env bash
# Runs the console's browser tests: builds the daemon and the plugins,
# starts `smshost serve` with the Twilio and Aliyun mocks
# (tests/tests/console.rs), then the Playwright suite in headless Chromium
# (tests/console/browser.sh). Needs Debian's chromium (apt-get install
# chromium). Screenshots of every step: target/console-screenshots/.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo test -p smshost-tests --test console -- --nocapture "$@"
