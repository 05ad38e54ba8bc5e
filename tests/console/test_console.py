"""The web console in headless Chromium against the real daemon and mock
providers: the seven steps of the Logto flow for Twilio and for Aliyun,
a refused config, a failed test send, changing and deleting the
connector, sign-in, CSRF, secrets kept out of the page, the tenant token,
phone width and keyboard use."""

import json
import re
import urllib.request
from dataclasses import dataclass, field

import pytest
from playwright.sync_api import expect

from conftest import sign_in

TO = "+4520123456"
TO_MASKED = "+45******56"


@dataclass
class Provider:
    key: str
    id: str
    name: str
    secret_field: str
    required: list
    config: dict
    templates: list = field(default_factory=list)


def providers(daemon):
    return {
        "twilio": Provider(
            key="twilio",
            id="twilio-short-message-service",
            name="Twilio SMS",
            secret_field="authToken",
            required=["accountSID", "authToken"],
            config=daemon.twilio,
            # None: keep the starter templates the console offers.
            templates=None,
        ),
        "aliyun": Provider(
            key="aliyun",
            id="aliyun-short-message-service",
            name="Aliyun Short Message Service",
            secret_field="accessKeySecret",
            required=["accessKeyId", "accessKeySecret", "signName"],
            config=daemon.aliyun,
            templates=[
                {"usageType": "SignIn", "templateCode": {"china": "SMS_100001", "overseas": "SMS_200001"}},
                {"usageType": "Register", "templateCode": "SMS_100002"},
                {"usageType": "ForgotPassword", "templateCode": "SMS_100003"},
                {"usageType": "Generic", "templateCode": {"china": "SMS_100005", "overseas": "SMS_200005"}},
            ],
        ),
    }


def plugin_name(daemon, plugin_id):
    status, body = daemon.admin("GET", "/v1/plugins")
    assert status == 200, body
    return next(plugin["name"] for plugin in body["plugins"] if plugin["id"] == plugin_id)


def fill_settings(page, provider, overrides=None):
    values = {**provider.config, **(overrides or {})}
    for name, value in values.items():
        page.locator(f"#field-{name}").fill(value)
    if provider.templates is not None:
        page.locator("#templates").fill(json.dumps(provider.templates, indent=2, ensure_ascii=False))


def cookie_header(page):
    cookies = page.context.cookies()
    return "; ".join(f"{cookie['name']}={cookie['value']}" for cookie in cookies)


def csrf_token(daemon, cookie):
    status, body = daemon.call("GET", "/console/api/session", headers={"Cookie": cookie})
    assert status == 200, body
    return body["csrfToken"]


def assert_no_secret(page, *secrets):
    source = page.content()
    for secret in secrets:
        assert secret not in source, "a secret is in the page source"


def run_flow(page, daemon, shot, provider):
    """The seven steps for one provider, each with a screenshot."""
    provider.name = plugin_name(daemon, provider.id)
    tenant = f"{provider.key}-flow"
    secret = provider.config[provider.secret_field]

    # 1. Connectors: none active, a card per plugin.
    page.goto(f"/console/?tenant={tenant}")
    expect(page.locator("#tenant-name")).to_have_text(tenant)
    expect(page.locator("#page-status")).to_contain_text("no SMS connector")
    expect(page.get_by_role("heading", name="Choose a provider")).to_be_visible()
    cards = page.locator("#plugin-cards article")
    expect(cards).to_have_count(3)
    shot(page, f"{provider.key}-1-connectors")
    page.get_by_role("link", name=f"Set up {provider.name}").click()
    page.wait_for_url(re.compile(r"/console/setup\?"))

    # 2. Set up: README, the form from the schema, the templates.
    expect(page.locator("#plugin-title")).to_have_text(provider.name)
    expect(page.locator("#readme")).not_to_be_empty()
    for name in provider.required:
        expect(page.locator(f"label[for='field-{name}'] .required")).to_contain_text("required")
    expect(page.locator(f"#field-{provider.secret_field}")).to_have_attribute("type", "password")
    fill_settings(page, provider)
    checklist = page.locator("#checklist")
    for usage in ["SignIn", "Register", "ForgotPassword", "Generic"]:
        expect(checklist.locator(f"li[data-usage='{usage}']")).to_have_attribute("data-state", "own")
    expect(checklist.locator("li[data-usage='MfaVerification']")).to_have_attribute("data-state", "fallback")
    sign_in_preview = checklist.locator("li[data-usage='SignIn'] .preview")
    if provider.templates is None:
        expect(sign_in_preview).to_contain_text("Your sign-in code is 123456")
    else:
        expect(sign_in_preview).to_contain_text("SMS_200001")
    # The checklist follows the JSON as it is typed: drop Generic.
    templates = json.loads(page.locator("#templates").input_value())
    without_generic = [entry for entry in templates if entry["usageType"] != "Generic"]
    page.locator("#templates").fill(json.dumps(without_generic, indent=2, ensure_ascii=False))
    expect(checklist.locator("li[data-usage='Generic']")).to_have_attribute("data-state", "missing")
    expect(page.locator("#preview-problem")).to_contain_text("Generic")
    page.locator("#templates").fill("[{")
    expect(page.locator("#field-templates-error")).to_contain_text("not valid JSON")
    page.locator("#templates").fill(json.dumps(templates, indent=2, ensure_ascii=False))
    expect(checklist.locator("li[data-usage='Generic']")).to_have_attribute("data-state", "own")
    expect(page.locator("#field-templates-error")).to_be_hidden()
    shot(page, f"{provider.key}-2-setup")
    if provider.key == "twilio":
        page.evaluate("window.scrollTo(0, 0)")
        shot(page, "docs-setup", full_page=False)

    # 3. Test: the unsaved config, the provider's answer in plain words.
    page.get_by_label("Phone number").fill(TO)
    page.get_by_role("button", name="Send test").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Sent.")
    expect(result).to_contain_text(TO_MASKED)
    assert TO not in result.inner_text()
    status, _ = daemon.admin("GET", f"/v1/tenants/{tenant}/connectors/sms")
    assert status in (403, 404), "the test send saved nothing"
    shot(page, f"{provider.key}-3-test")

    # 4. Save and Done: back on the connector page, the new one active.
    page.get_by_role("button", name="Save and Done").click()
    page.wait_for_url(re.compile(r"/console/\?.*saved="))
    expect(page.locator("#page-status")).to_contain_text("Saved.")
    expect(page.locator("#active-name")).to_have_text(provider.name)
    expect(page.locator("#active-card")).to_contain_text(provider.id)
    assert_no_secret(page, secret, daemon.admin_token)
    shot(page, f"{provider.key}-4-saved")
    status, stored = daemon.admin("GET", f"/v1/tenants/{tenant}/connectors/sms")
    assert status == 200 and stored["plugin"] == provider.id, stored
    assert stored["config"][provider.secret_field] == "********"
    # Editing shows the stored secret masked, never in the page.
    page.get_by_role("link", name="Edit settings").click()
    page.wait_for_url(re.compile(r"/console/setup\?"))
    expect(page.locator(f"#field-{provider.secret_field}")).to_have_value("********")
    expect(page.locator(f"#field-{provider.required[0]}")).to_have_value(provider.config[provider.required[0]])
    assert_no_secret(page, secret, daemon.admin_token)

    # 6. Messages: an auth server sends; the page shows it, refreshing.
    page.goto(f"/console/messages?tenant={tenant}")
    expect(page.locator("#empty")).to_be_visible()
    status, body = daemon.admin(
        "POST",
        f"/v1/tenants/{tenant}/messages",
        {"to": TO, "usageType": "SignIn", "payload": {"code": "482913", "locale": "en"}},
    )
    assert status == 200, body
    row = page.locator("#records-body tr").first
    expect(row).to_contain_text(TO_MASKED, timeout=12_000)
    expect(row).to_contain_text("sent")
    expect(row).to_contain_text("SignIn")
    expect(row).to_contain_text(re.compile(r"\d+ ms"))
    assert "482913" not in page.content() and TO not in page.content()
    shot(page, f"{provider.key}-6-messages")

    # 7. Tenants: copy the configuration to a prod tenant, secrets and all.
    prod = f"{provider.key}-prod"
    page.goto(f"/console/tenants?tenant={tenant}")
    expect(page.locator("#tenant-list")).to_contain_text(tenant)
    expect(page.locator("#copy-from")).to_have_value(tenant)
    page.get_by_label("To tenant").fill(prod)
    page.get_by_role("button", name="Copy configuration").click()
    expect(page.locator("#copy-result")).to_contain_text("Copied.")
    assert_no_secret(page, secret)
    shot(page, f"{provider.key}-7-tenants")
    status, body = daemon.admin(
        "POST", f"/v1/tenants/{prod}/messages", {"to": TO, "usageType": "SignIn", "payload": {"code": "551177"}}
    )
    assert status == 200, f"the copy's secrets do not work: {body}"
    page.get_by_role("link", name=f"Open {prod}").click()
    expect(page.locator("#tenant-name")).to_have_text(prod)
    expect(page.locator("#active-name")).to_have_text(provider.name)

    # 5. Delete: a warning naming what breaks, the connector's id typed.
    page.goto(f"/console/?tenant={tenant}")
    page.get_by_role("button", name="Delete").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("phone sign-in")
    expect(dialog).to_contain_text("MFA by SMS")
    confirm = dialog.get_by_role("button", name="Delete connector")
    expect(confirm).to_be_disabled()
    dialog.get_by_label(re.compile("to confirm")).fill(provider.name)
    expect(confirm).to_be_disabled()
    dialog.get_by_label(re.compile("to confirm")).fill(provider.id)
    expect(confirm).to_be_enabled()
    shot(page, f"{provider.key}-5-delete")
    confirm.click()
    expect(page.locator("#page-status")).to_contain_text("Deleted")
    expect(page.get_by_role("heading", name="Choose a provider")).to_be_visible()
    status, body = daemon.admin("GET", f"/v1/tenants/{tenant}/connectors/sms")
    assert status == 404 and body["code"] == "no_active_connector", body


def test_twilio_seven_steps(admin_page, daemon, shot):
    run_flow(admin_page, daemon, shot, providers(daemon)["twilio"])


def test_aliyun_seven_steps(admin_page, daemon, shot):
    run_flow(admin_page, daemon, shot, providers(daemon)["aliyun"])


def test_refused_config_shows_the_field_and_keeps_the_input(admin_page, daemon, shot):
    page = admin_page
    twilio = providers(daemon)["twilio"]
    page.goto(f"/console/setup?plugin={twilio.id}&tenant=refused")
    fill_settings(page, twilio, {"accountSID": "AC-not/valid"})
    page.get_by_role("button", name="Save and Done").click()
    error = page.locator("#field-accountSID-error")
    expect(error).to_be_visible()
    expect(error).to_contain_text("accountSID")
    expect(page.locator("#field-accountSID")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#field-accountSID")).to_be_focused()
    expect(page.locator("#field-accountSID")).to_have_value("AC-not/valid")
    expect(page.locator("#field-authToken")).to_have_value(twilio.config["authToken"])
    expect(page.locator("#save-result")).to_contain_text("Not saved.")
    assert "/console/setup" in page.url
    shot(page, "refused-config")
    # A template set without Generic is named at the templates.
    page.locator("#field-accountSID").fill(twilio.config["accountSID"])
    templates = json.loads(page.locator("#templates").input_value())
    typed = json.dumps([entry for entry in templates if entry["usageType"] != "Generic"], indent=2)
    page.locator("#templates").fill(typed)
    page.get_by_role("button", name="Save and Done").click()
    expect(page.locator("#field-templates-error")).to_contain_text("Generic")
    expect(page.locator("#field-accountSID-error")).to_be_hidden()
    expect(page.locator("#templates")).to_have_value(typed)
    status, _ = daemon.admin("GET", "/v1/tenants/refused/connectors/sms")
    assert status == 404, "a refused config is not saved"


def test_failed_test_send_shows_the_providers_error(admin_page, daemon, shot):
    page = admin_page
    every = providers(daemon)
    page.goto(f"/console/setup?plugin={every['twilio'].id}&tenant=failing")
    fill_settings(page, every["twilio"], {"authToken": "not-the-right-token"})
    page.get_by_label("Phone number").fill(TO)
    page.get_by_role("button", name="Send test").click()
    result = page.locator("#test-result")
    expect(result).to_contain_text("Not sent.")
    expect(result).to_contain_text("Authenticate")
    expect(result).to_contain_text("provider code 20003")
    expect(result).to_contain_text("HTTP 401")
    assert "not-the-right-token" not in page.content()
    shot(page, "failed-test-twilio")

    page.goto(f"/console/setup?plugin={every['aliyun'].id}&tenant=failing")
    fill_settings(page, every["aliyun"], {"accessKeySecret": "wrong-secret"})
    page.get_by_label("Phone number").fill(TO)
    page.get_by_role("button", name="Send test").click()
    expect(result).to_contain_text("Not sent.")
    expect(result).to_contain_text("SignatureDoesNotMatch")
    shot(page, "failed-test-aliyun")
    # A bad number is refused before any provider is called.
    page.get_by_label("Phone number").fill("+4512345678")
    page.get_by_role("button", name="Send test").click()
    expect(result).to_contain_text("phone number is not valid")


def test_change_connector(admin_page, daemon, shot):
    page = admin_page
    every = providers(daemon)
    twilio, aliyun = every["twilio"], every["aliyun"]
    status, body = daemon.admin(
        "PUT",
        "/v1/tenants/change/connectors/sms",
        {"plugin": twilio.id, "config": {**twilio.config, "templates": [
            {"usageType": usage, "content": "Code {{code}}"} for usage in ["SignIn", "Register", "ForgotPassword", "Generic"]
        ]}},
    )
    assert status == 200, body
    page.goto("/console/?tenant=change")
    expect(page.locator("#active-card")).to_contain_text(twilio.id)
    expect(page.locator("#plugin-cards")).to_be_hidden()
    change = page.get_by_role("button", name="Change connector")
    change.click()
    expect(change).to_have_attribute("aria-expanded", "true")
    expect(page.get_by_role("heading", name="Choose a provider")).to_be_focused()
    shot(page, "change-connector")
    page.get_by_role("link", name=f"Set up {plugin_name(daemon, aliyun.id)}").click()
    page.wait_for_url(re.compile(r"/console/setup\?"))
    expect(page.locator("#save-hint")).to_contain_text(f"replacing {twilio.id}")
    # Another plugin's form starts empty of secrets: nothing carried over.
    expect(page.locator("#field-accessKeySecret")).to_have_value("")
    fill_settings(page, aliyun)
    page.get_by_role("button", name="Save and Done").click()
    page.wait_for_url(re.compile(r"saved="))
    expect(page.locator("#active-card")).to_contain_text(aliyun.id)
    status, history = daemon.admin("GET", "/v1/tenants/change/connectors/sms/history")
    assert [entry["plugin"] for entry in history["history"]][:2] == [aliyun.id, twilio.id], history


def test_sign_in_is_required(page, daemon):
    for path in ["/console/", "/console/setup?plugin=x", "/console/messages", "/console/tenants"]:
        page.goto(path)
        assert page.url.endswith("/console/sign-in"), f"{path} → {page.url}"
    for path in ["/v1/plugins", "/v1/connectors/sms", "/console/api/session", "/console/api/plugins/x/readme"]:
        response = page.request.get(path)
        assert response.status == 401, f"{path}: {response.status}"
        assert response.json()["code"] == "unauthorized"
    # A wrong token is refused in words, and no cookie is set.
    page.goto("/console/sign-in")
    page.get_by_label("Token").fill("smsh_not-a-real-token")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("not valid")
    assert page.context.cookies() == []
    # The right one: an HttpOnly, SameSite=Strict session cookie.
    sign_in(page, daemon.admin_token)
    [cookie] = page.context.cookies()
    assert cookie["name"] == "smshost_session" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert daemon.admin_token not in cookie["value"]
    assert page.evaluate("document.cookie") == "", "script cannot read the session cookie"
    session = cookie_header(page)
    status, _ = daemon.call("GET", "/v1/plugins", headers={"Cookie": session})
    assert status == 200
    # Signing out ends the session on the daemon, not just in the browser.
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/console/sign-in")
    assert page.context.cookies() == []
    status, body = daemon.call("GET", "/v1/plugins", headers={"Cookie": session})
    assert status == 401, body
    page.goto("/console/")
    assert page.url.endswith("/console/sign-in")


def test_csrf_is_refused(admin_page, daemon):
    page = admin_page
    cookie = cookie_header(page)
    body = {"plugin": "http-sms", "config": {"endpoint": "http://127.0.0.1:9/sms"}, "to": TO}
    for headers in [{"Cookie": cookie}, {"Cookie": cookie, "X-CSRF-Token": "forged"}]:
        for method, path, data in [
            ("POST", "/v1/connectors/sms/test", body),
            ("PUT", "/v1/connectors/sms", {"plugin": "http-sms", "config": {"endpoint": "http://127.0.0.1:9/sms"}}),
            ("DELETE", "/v1/connectors/sms?confirm=http-sms", None),
            ("POST", "/console/api/preview", {"templates": []}),
            ("POST", "/console/sign-out", None),
        ]:
            status, answer = daemon.call(method, path, data, headers=headers)
            assert status == 403, f"{method} {path} {headers.keys()}: {status} {answer}"
            if path != "/console/sign-out":
                assert answer["code"] == "csrf_failed", answer
    # From the page's own script without the header: refused too.
    status = page.evaluate(
        """async () => (await fetch('/v1/connectors/sms', {method: 'PUT', headers: {'Content-Type': 'application/json'},
            body: JSON.stringify({plugin: 'http-sms', config: {}})})).status"""
    )
    assert status == 403
    # With the session's token it goes through to validation.
    token = csrf_token(daemon, cookie)
    status, answer = daemon.call("POST", "/console/api/preview", {"templates": []}, headers={"Cookie": cookie, "X-CSRF-Token": token})
    assert status == 200 and "Generic" in answer["problem"], answer
    # The session is still there: a refused request does not sign out.
    status, _ = daemon.call("GET", "/v1/tenants", headers={"Cookie": cookie})
    assert status == 200
    # A bearer token needs no CSRF token (automation is unchanged).
    status, answer = daemon.admin("POST", "/v1/connectors/sms/test", {**body, "to": "+4512345678"})
    assert status == 400 and answer["code"] == "invalid_phone_number", answer


def test_sign_in_from_another_site_is_refused(daemon):
    request = urllib.request.Request(
        daemon.url + "/console/sign-in",
        data=f"token={daemon.admin_token}".encode(),
        method="POST",
        headers={"Origin": "https://evil.example", "Content-Type": "application/x-www-form-urlencoded"},
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            status, cookie = response.status, response.headers.get("Set-Cookie")
    except urllib.error.HTTPError as error:
        status, cookie = error.code, error.headers.get("Set-Cookie")
    assert status == 403 and cookie is None


def test_pages_carry_a_strict_csp(admin_page):
    page = admin_page
    for path in ["/console/", "/console/setup?plugin=http-sms", "/console/messages", "/console/tenants", "/console/sign-in"]:
        response = page.request.get(path)
        csp = response.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "default-src 'none'" in csp and "frame-ancestors 'none'" in csp, csp
        assert "<script>" not in response.text(), "no inline script"
        assert "unsafe-inline" not in csp


def test_secret_never_in_the_page_source(admin_page, daemon):
    page = admin_page
    secret = "Bearer console-secret-0d9c"
    status, body = daemon.admin(
        "PUT", "/v1/tenants/secret/connectors/sms",
        {"plugin": "http-sms", "config": {"endpoint": "http://127.0.0.1:9/sms", "authorization": secret}},
    )
    assert status == 200, body
    seen = []
    page.on("response", lambda response: seen.append(response))
    for path in ["/console/?tenant=secret", "/console/setup?plugin=http-sms&tenant=secret", "/console/tenants?tenant=secret"]:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert_no_secret(page, secret, "console-secret-0d9c", daemon.admin_token)
    expect(page.locator("#copy-form")).to_be_visible()
    page.goto("/console/setup?plugin=http-sms&tenant=secret")
    expect(page.locator("#field-authorization")).to_have_value("********")
    # Saving untouched keeps the stored secret (the mask is sent back).
    page.get_by_role("button", name="Save and Done").click()
    page.wait_for_url(re.compile(r"saved="))
    assert_no_secret(page, secret, "console-secret-0d9c")
    for response in seen:
        try:
            text = response.text()
        except Exception:  # redirects and aborted loads have no body
            continue
        assert "console-secret-0d9c" not in text, f"{response.url} carried the secret"


def test_tenant_token_stays_in_its_tenant(page, daemon):
    sign_in(page, daemon.tenant_token)
    expect(page.locator("#tenant-name")).to_have_text(daemon.tenant)
    page.goto("/console/?tenant=default")
    expect(page.locator("#tenant-name")).to_have_text(daemon.tenant)
    page.goto("/console/tenants")
    expect(page.locator("#tenants-hint")).to_contain_text("reaches that tenant only")
    expect(page.locator("#copy-section")).to_be_hidden()
    cookie = cookie_header(page)
    status, body = daemon.call("GET", "/v1/connectors/sms", headers={"Cookie": cookie})
    assert status == 403 and body["code"] == "forbidden", body


def test_readme_rendering(admin_page, daemon):
    page = admin_page
    status, body = daemon.admin("GET", "/v1/plugins")
    for plugin in body["plugins"]:
        page.goto(f"/console/setup?plugin={plugin['id']}")
        readme = page.locator("#readme")
        expect(readme).not_to_be_empty()
        if plugin.get("readme"):
            expect(readme.locator("h1, h2").first).to_be_visible()
            for link in readme.locator("a").all():
                assert link.get_attribute("rel") == "noopener noreferrer"
                assert link.get_attribute("target") == "_blank"
                assert re.match(r"^(https?|mailto):", link.get_attribute("href"))
            assert readme.locator("script, img, iframe").count() == 0
        else:
            expect(readme).to_contain_text("ships no README")


def test_phone_width(browser, daemon, shot):
    context = browser.new_context(base_url=daemon.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True)
    page = context.new_page()
    try:
        sign_in(page, daemon.admin_token)
        page.goto("/console/setup?plugin=twilio-short-message-service&tenant=phone")
        expect(page.locator("#checklist li").first).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the setup page is {width}px wide at 390px"
        shot(page, "phone-390-setup")
        page.goto("/console/messages?tenant=twilio-flow")
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()


def test_keyboard_only(page, daemon):
    page.goto("/console/sign-in")
    expect(page.get_by_label("Token")).to_be_focused()
    page.keyboard.type(daemon.admin_token)
    page.keyboard.press("Enter")
    page.wait_for_url("**/console/")
    page.goto("/console/?tenant=keys")
    expect(page.locator("#plugin-cards article").first).to_be_visible()
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Skip to content" in focused
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none", "focus is visible"
    # Tab to the first "Set up" link and open it with Enter.
    for _ in range(30):
        page.keyboard.press("Tab")
        label = page.evaluate("document.activeElement.getAttribute('aria-label') || ''")
        if label.startswith("Set up"):
            break
    else:
        pytest.fail("no Set up link reached by Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/console/setup\?"))
    expect(page.locator("label[for^='field-']").first).to_be_visible()
    # Every input has a label.
    unlabeled = page.evaluate(
        """() => [...document.querySelectorAll('input, select, textarea')]
            .filter((input) => !input.labels || input.labels.length === 0).map((input) => input.id)"""
    )
    assert unlabeled == [], unlabeled
