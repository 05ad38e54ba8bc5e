"""Fixtures of the console's browser suite: the daemon the Rust harness
started (tests/tests/console.rs), Debian's Chromium through Playwright, a
fresh browser context per test, screenshots, and a small bearer-token API
client for what an auth server (not a person) does."""

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright


def env(name):
    value = os.environ.get(name)
    if not value:
        pytest.fail(f"{name} is not set: run this suite through tests/console/run.sh")
    return value


class Daemon:
    """The running daemon: its URL, tokens and the mock providers' credentials."""

    def __init__(self):
        self.url = env("SMSHOST_CONSOLE_URL")
        self.admin_token = env("SMSHOST_CONSOLE_ADMIN_TOKEN")
        self.tenant_token = env("SMSHOST_CONSOLE_TENANT_TOKEN")
        self.tenant = env("SMSHOST_CONSOLE_TENANT")
        self.twilio = {
            "accountSID": env("SMSHOST_CONSOLE_TWILIO_SID"),
            "authToken": env("SMSHOST_CONSOLE_TWILIO_TOKEN"),
            "fromMessagingServiceSID": env("SMSHOST_CONSOLE_TWILIO_SERVICE"),
        }
        self.aliyun = {
            "accessKeyId": env("SMSHOST_CONSOLE_ALIYUN_KEY_ID"),
            "accessKeySecret": env("SMSHOST_CONSOLE_ALIYUN_SECRET"),
            "signName": env("SMSHOST_CONSOLE_ALIYUN_SIGN_NAME"),
        }

    def call(self, method, path, body=None, token=None, headers=None):
        """`method path` with an optional JSON body; returns (status, JSON or text)."""
        request = urllib.request.Request(self.url + path, method=method)
        if token:
            request.add_header("Authorization", f"Bearer {token}")
        for name, value in (headers or {}).items():
            request.add_header(name, value)
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            request.add_header("Content-Type", "application/json")
        try:
            with urllib.request.urlopen(request, data=data, timeout=30) as response:
                status, raw = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, raw = error.code, error.read()
        text = raw.decode("utf-8", "replace")
        try:
            return status, json.loads(text)
        except ValueError:
            return status, text

    def admin(self, method, path, body=None):
        return self.call(method, path, body, token=self.admin_token)


@pytest.fixture(scope="session")
def daemon():
    return Daemon()


@pytest.fixture(scope="session")
def browser():
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=env("SMSHOST_CONSOLE_CHROMIUM"),
            # Root in CI: Chromium's sandbox needs a user namespace it may not get.
            args=["--no-sandbox"] if os.geteuid() == 0 else [],
        )
        yield browser
        browser.close()


class Shots:
    """Saves a screenshot of each step under target/console-screenshots/."""

    def __init__(self):
        self.dir = Path(env("SMSHOST_CONSOLE_SCREENSHOTS"))
        self.dir.mkdir(parents=True, exist_ok=True)

    def __call__(self, page, name, full_page=True):
        path = self.dir / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path


@pytest.fixture(scope="session")
def shot():
    return Shots()


@pytest.fixture
def page(browser, daemon):
    """A page in a fresh context (no cookies); fails the test on a script
    error or a CSP violation in the page."""
    context = browser.new_context(base_url=daemon.url, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems = []
    page.on("pageerror", lambda error: problems.append(f"script error: {error}"))

    def on_console(message):
        text = message.text
        if message.type == "error" and ("Content Security Policy" in text or "Refused to" in text):
            problems.append(f"CSP: {text}")

    page.on("console", on_console)
    yield page
    context.close()
    assert not problems, "\n".join(problems)


def sign_in(page, token):
    """Signs in through the sign-in page; lands on the connector page."""
    page.goto("/console/sign-in")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console/")


@pytest.fixture
def admin_page(page, daemon):
    sign_in(page, daemon.admin_token)
    return page
