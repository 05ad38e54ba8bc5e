"""Schemathesis hooks for smshost (loaded through SCHEMATHESIS_HOOKS).

The built-in `not_a_server_error` check fails on every 5xx, but 502 (the
provider refused), 503 (busy, no active connector, store unavailable) and
500 `plugin_failed` (a plugin trapped or hit a limit) are documented answers
of this API. This check fails only on what is a bug: a 500 whose body is not
the `plugin_failed` error (a panic or an unmapped error), and any response
that is not JSON (except the Prometheus text of `/metrics`, a plugin's SVG
logo, and the front doors, which answer in their auth server's own shape).
"""

import json
import os

import schemathesis

TEXT_ROUTES = {"/metrics"}


@schemathesis.check
def smshost_no_unexpected_failure(ctx, response, case):
    """Fails on a 500 that is not `plugin_failed`, and on any non-JSON body."""
    path = case.operation.path
    if os.environ.get("SMSHOST_SCHEMATHESIS_SELFTEST") == "1" and path == "/healthz":
        # Proves the check runs: the runner's self-test expects this failure.
        raise AssertionError("self-test: this check runs")
    if path in TEXT_ROUTES:
        return None
    if path == "/v1/plugins/{id}/logo" and response.status_code == 200:
        # A plugin's logo is an SVG image, under a sandboxing CSP.
        if not response.headers.get("content-type", "").startswith("image/svg+xml"):
            raise AssertionError(f"a logo answered as {response.headers.get('content-type')!r}")
        return None
    if "/hooks/{server}" in path and case.method.upper() == "POST":
        # A front door answers in its auth server's shape (plain text for
        # Logto and authentik); only a panic-style 500 is a bug there.
        if response.status_code == 500:
            raise AssertionError(f"HTTP 500 from a front door: {response.content[:200]!r}")
        return None
    try:
        body = json.loads(response.content)
    except (ValueError, UnicodeDecodeError) as error:
        raise AssertionError(
            f"HTTP {response.status_code} with no JSON body ({error}): {response.content[:200]!r}"
        ) from None
    if response.status_code >= 400:
        if not isinstance(body, dict) or not isinstance(body.get("code"), str) or not isinstance(
            body.get("message"), str
        ):
            raise AssertionError(f"HTTP {response.status_code}: the error body is not {{code, message}}: {body!r}")
    if response.status_code == 500 and body.get("code") != "plugin_failed":
        raise AssertionError(f"HTTP 500 `{body.get('code')}`: {body.get('message')}")
    return None
