//! Front doors against the real `smshost serve` process, called the way
//! each auth server calls: Logto through its own npm connector, Supabase
//! signed by the `standardwebhooks` package, ZITADEL signed by Python's
//! `hmac`, Kratos and authentik with their bodies and auth byte for byte.
//! Every send goes to the Twilio mock, whose journal shows what was sent.

use serde_json::{Value, json};
use smshost_tests::doors::{self, Daemon, Tools};
use smshost_tests::mocks::{self, Mode, ModeCell, TwilioCreds};
use smshost_tests::{MockServer, text_templates};
use std::sync::Arc;

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TWILIO_TOKEN: &str = "doors-twilio-token-31";

struct Env {
    daemon: Daemon,
    mock: MockServer,
    mode: ModeCell,
    http: reqwest::Client,
}

/// A daemon with the Twilio connector set for `tenants`, sending to a mock.
async fn env(tenants: &[&str]) -> Env {
    let (mock, mode) = mocks::twilio(TwilioCreds {
        account_sid: SID.into(),
        auth_token: TWILIO_TOKEN.into(),
    })
    .await;
    let route = format!("https://api.twilio.com={}", mock.url());
    let daemon = tokio::task::spawn_blocking(move || {
        Daemon::start(
            env!("CARGO_BIN_EXE_smshost-cli"),
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")),
            &["twilio"],
            &[route],
        )
    })
    .await
    .expect("start the daemon");
    let env = Env {
        daemon,
        mock,
        mode,
        http: reqwest::Client::new(),
    };
    for tenant in tenants {
        let config = json!({"plugin": "twilio-short-message-service", "config": {
            "accountSID": SID, "authToken": TWILIO_TOKEN, "fromMessagingServiceSID": "MG1",
            "templates": text_templates()}});
        let (status, body) = env
            .admin("PUT", &format!("{}/connectors/sms", prefix(tenant)), &config)
            .await;
        assert_eq!(status, 200, "{body}");
    }
    env
}

/// `/v1` for `default`, else `/v1/tenants/<tenant>`.
fn prefix(tenant: &str) -> String {
    if tenant == "default" {
        "/v1".into()
    } else {
        format!("/v1/tenants/{tenant}")
    }
}

/// A status, a content type and a body.
struct Reply {
    status: u16,
    content_type: String,
    retry_after: Option<String>,
    text: String,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_str(&self.text).unwrap_or_else(|_| panic!("not JSON: {}", self.text))
    }
}

impl Env {
    async fn admin(&self, method: &str, path: &str, body: &Value) -> (u16, Value) {
        let request = self
            .http
            .request(method.parse().unwrap(), self.daemon.url(path))
            .bearer_auth(&self.daemon.token);
        let request = if body.is_null() {
            request
        } else {
            request
                .header("content-type", "application/json")
                .body(body.to_string())
        };
        let response = request.send().await.expect("admin request");
        let status = response.status().as_u16();
        let text = response.text().await.unwrap();
        (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
    }

    /// Sets a door's credentials.
    async fn door(&self, tenant: &str, server: &str, credentials: Value) {
        let (status, body) = self
            .admin("PUT", &format!("{}/hooks/{server}", prefix(tenant)), &credentials)
            .await;
        assert_eq!(status, 200, "{body}");
    }

    async fn post(&self, tenant: &str, server: &str, headers: &[(&str, String)], body: &str) -> Reply {
        let mut request = self
            .http
            .post(self.daemon.url(&format!("{}/hooks/{server}", prefix(tenant))))
            .header("content-type", "application/json")
            .body(body.to_string());
        for (name, value) in headers {
            request = request.header(*name, value);
        }
        let response = request.send().await.expect("door request");
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .map(|value| value.to_str().unwrap().to_string())
        };
        Reply {
            status: response.status().as_u16(),
            content_type: header("content-type").unwrap_or_default(),
            retry_after: header("retry-after"),
            text: response.text().await.unwrap(),
        }
    }

    /// The texts the provider received, and where to.
    fn sent(&self) -> Vec<(String, String)> {
        self.mock
            .requests()
            .iter()
            .map(|request| {
                let form = request.form();
                let field = |name: &str| {
                    form.iter()
                        .find(|(key, _)| key == name)
                        .map(|(_, value)| value.clone())
                        .unwrap_or_default()
                };
                (field("To"), field("Body"))
            })
            .collect()
    }

    /// The daemon's log holds none of `secrets`.
    fn assert_log_clean(&self, secrets: &[&str]) {
        let log = self.daemon.log_text();
        for secret in secrets {
            assert!(!log.contains(secret), "`{secret}` in the log:\n{log}");
        }
    }
}

fn text(purpose: &str, code: &str) -> String {
    format!("Your Logto {purpose} code is {code}. The code will remain active for 10 minutes.")
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

async fn tools() -> Arc<Tools> {
    tokio::task::spawn_blocking(|| doors::tools(std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))))
        .await
        .expect("install the auth servers' client code")
}

// ---- Logto ----

const LOGTO_AUTH: &str = "Bearer logto-door-secret-0042";

async fn logto(env: &Env, tools: &Arc<Tools>, authorization: &str, data: Value) -> doors::LogtoOutcome {
    let tools = tools.clone();
    let endpoint = env.daemon.url("/v1/hooks/logto");
    let authorization = authorization.to_string();
    tokio::task::spawn_blocking(move || doors::logto_send(&tools, &endpoint, &authorization, &data))
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logto_door_driven_by_logtos_own_connector() {
    let tools = tools().await;
    let env = env(&["default"]).await;
    let sign_in = json!({"to": "4520123456", "type": "SignIn",
        "payload": {"code": "318520", "locale": "en", "uiLocales": "en-US en"}, "ip": "203.0.113.7"});

    // No credentials yet: refused, nothing sent.
    let outcome = logto(&env, &tools, LOGTO_AUTH, sign_in.clone()).await;
    assert!(!outcome.ok);
    let line = outcome.data.unwrap();
    assert!(line.contains("has no credentials") && !line.contains('\n'), "{line}");
    assert!(env.sent().is_empty());

    env.door("default", "logto", json!({"authorization": LOGTO_AUTH})).await;
    let outcome = logto(&env, &tools, LOGTO_AUTH, sign_in.clone()).await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(
        env.sent(),
        [("+4520123456".to_string(), text("sign-in verification", "318520"))]
    );
    let outcome = logto(
        &env,
        &tools,
        LOGTO_AUTH,
        json!({"to": "14155552671", "type": "BindMfa", "payload": {"code": "774411"}}),
    )
    .await;
    assert!(outcome.ok, "{outcome:?}");
    assert_eq!(
        env.sent()[1],
        ("+14155552671".to_string(), text("2-step verification setup", "774411"))
    );

    // Failures: Logto shows the raw body to the caller, so each is one short
    // clean line without the secret, the code or the number.
    let cases = [
        ("Bearer wrong", sign_in.clone(), "Authorization header does not match"),
        (
            LOGTO_AUTH,
            json!({"to": "4512345678", "type": "SignIn", "payload": {"code": "318520"}}),
            "`to`: the phone number is not a valid number",
        ),
        (
            LOGTO_AUTH,
            json!({"to": "4520123456", "type": "Login", "payload": {"code": "318520"}}),
            "usage type",
        ),
        (
            LOGTO_AUTH,
            json!({"to": "4520123456", "type": "SignIn", "payload": {}}),
            "`payload.code` (the one-time code) is required",
        ),
        (
            LOGTO_AUTH,
            json!({"to": 4520123456u64, "type": "SignIn", "payload": {"code": "318520"}}),
            "`to` must be a string",
        ),
        (
            LOGTO_AUTH,
            json!({"to": "4520123456", "type": "SignIn", "payload": {"code": ["318520"]}}),
            "`payload.code` must be a string",
        ),
    ];
    for (authorization, data, expected) in cases {
        let outcome = logto(&env, &tools, authorization, data).await;
        assert!(!outcome.ok);
        assert_eq!(outcome.code.as_deref(), Some("general"));
        let line = outcome.data.unwrap();
        assert!(line.contains(expected), "{line}");
        assert!(line.len() <= 210 && !line.contains('\n'), "{line}");
        for secret in ["logto-door-secret", "318520", "4520123456", "4512345678"] {
            assert!(!line.contains(secret), "{line}");
        }
    }
    assert_eq!(env.sent().len(), 2, "a refused request sent an SMS");

    // The provider refusing is a failure Logto reports, in one line.
    *env.mode.lock().unwrap() = Mode::Answer(
        400,
        json!({"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}),
    );
    let outcome = logto(&env, &tools, LOGTO_AUTH, sign_in).await;
    assert!(!outcome.ok);
    let line = outcome.data.unwrap();
    assert!(!line.contains('\n') && line.len() <= 210, "{line}");
    env.assert_log_clean(&["logto-door-secret", "318520", "4520123456", TWILIO_TOKEN]);
}

// ---- Supabase ----

fn supabase_secret(byte: u8) -> String {
    use base64::Engine as _;
    format!(
        "v1,whsec_{}",
        base64::engine::general_purpose::STANDARD.encode([byte; 32])
    )
}

/// A Supabase request: the headers as Supabase sets them, signed by the
/// `standardwebhooks` package with `secrets`.
fn supabase_headers(
    tools: &Tools,
    secrets: &[&str],
    id: &str,
    timestamp: i64,
    body: &str,
) -> Vec<(&'static str, String)> {
    vec![
        ("webhook-id", id.to_string()),
        ("webhook-timestamp", timestamp.to_string()),
        (
            "webhook-signature",
            doors::standard_webhooks_signature(tools, secrets, id, timestamp, body),
        ),
        ("accept-encoding", "identity".to_string()),
    ]
}

fn supabase_body(phone: &str, otp: &str, sms_type: Option<&str>) -> String {
    let mut sms = json!({"otp": otp, "phone": phone});
    if let Some(kind) = sms_type {
        sms["sms_type"] = json!(kind);
    }
    json!({
        "metadata": {"uuid": "8c5e5a4e-5b1a-4a37-9d8c-1f9d1b6f7e11", "time": "2026-11-30T10:00:00Z",
            "name": "send-sms", "ip_address": "198.51.100.20"},
        "user": {"id": "6f1b3a32-4a58-4c1b-9a55-2f1f5d7c0c01", "aud": "authenticated", "role": "authenticated",
            "email": "", "phone": phone, "app_metadata": {"provider": "phone", "providers": ["phone"]},
            "user_metadata": {}, "identities": [], "created_at": "2026-11-30T09:59:00Z",
            "updated_at": "2026-11-30T10:00:00Z", "is_anonymous": false},
        "sms": sms,
    })
    .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn supabase_door_checks_standard_webhooks_and_recognises_retries() {
    let tools = tools().await;
    let env = env(&["default"]).await;
    let (old, new) = (supabase_secret(1), supabase_secret(2));
    let body = supabase_body("4520123456", "602214", Some("mfa"));
    let id = |n: u32| format!("msg_{n:08}-0000-4000-8000-000000000000");

    let reply = env
        .post(
            "default",
            "supabase",
            &supabase_headers(&tools, &[&old], &id(0), now(), &body),
            &body,
        )
        .await;
    assert_eq!(reply.status, 404);
    assert_eq!(reply.json()["error"]["http_code"], 404);

    env.door("default", "supabase", json!({"secrets": [old, new]})).await;
    // Supabase signs with every configured secret, joined by ", ".
    let reply = env
        .post(
            "default",
            "supabase",
            &supabase_headers(&tools, &[&old, &new], &id(1), now(), &body),
            &body,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.content_type, "application/json");
    assert_eq!(reply.json(), json!({}));
    assert_eq!(
        env.sent(),
        [("+4520123456".to_string(), text("MFA verification", "602214"))]
    );

    // A retry: same body, new webhook-id, signed by the other secret only.
    let reply = env
        .post(
            "default",
            "supabase",
            &supabase_headers(&tools, &[&new], &id(2), now(), &body),
            &body,
        )
        .await;
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    assert_eq!(env.sent().len(), 1, "a retry sent a second SMS");

    // A replayed webhook-id is refused.
    let replay = supabase_headers(&tools, &[&old], &id(1), now(), &body);
    let reply = env.post("default", "supabase", &replay, &body).await;
    assert_eq!(reply.status, 409);
    assert_eq!(reply.json()["error"]["http_code"], 409);

    // Signatures: wrong secret, tampered body, missing headers, stale time.
    let sign_in = supabase_body("4520123457", "118034", None);
    let wrong = supabase_headers(&tools, &[&supabase_secret(3)], &id(3), now(), &sign_in);
    let tampered = supabase_headers(&tools, &[&old], &id(4), now(), &sign_in.replace("118034", "118035"));
    let stale = supabase_headers(&tools, &[&old], &id(5), now() - 301, &sign_in);
    let future = supabase_headers(&tools, &[&old], &id(6), now() + 400, &sign_in);
    let mut missing = supabase_headers(&tools, &[&old], &id(7), now(), &sign_in);
    missing.retain(|(name, _)| *name != "webhook-signature");
    for (headers, expected) in [
        (wrong, "no webhook-signature matches"),
        (tampered, "no webhook-signature matches"),
        (stale, "more than 5 minutes"),
        (future, "more than 5 minutes"),
        (missing, "headers are required"),
    ] {
        let reply = env.post("default", "supabase", &headers, &sign_in).await;
        assert_eq!(reply.status, 401, "{}", reply.text);
        let error = &reply.json()["error"];
        assert_eq!(error["http_code"], 401);
        assert!(error["message"].as_str().unwrap().contains(expected), "{error}");
    }
    assert_eq!(env.sent().len(), 1);

    // Before 2.180 there is no `sms.phone`: the user's number is used, and
    // no `sms_type` means sign-in/sign-up.
    let legacy =
        json!({"user": {"id": "u-2", "phone": "4520123457", "new_phone": ""}, "sms": {"otp": "118034"}}).to_string();
    let reply = env
        .post(
            "default",
            "supabase",
            &supabase_headers(&tools, &[&old], &id(8), now(), &legacy),
            &legacy,
        )
        .await;
    assert_eq!((reply.status, reply.json()), (200, json!({})));
    assert_eq!(
        env.sent()[1],
        ("+4520123457".to_string(), text("sign-in verification", "118034"))
    );

    // Wrong types and missing fields: 400 in Supabase's shape, nothing sent.
    let mut n = 10;
    for (bad, expected) in [
        (
            json!({"user": {"id": "u"}, "sms": {"otp": 118034, "phone": "4520123457"}}),
            "`sms.otp` must be a string",
        ),
        (
            json!({"user": {"id": "u"}, "sms": {"phone": "4520123457"}}),
            "`sms.otp` is required",
        ),
        (json!({"user": {"id": "u"}}), "`sms` is required"),
        (
            json!({"user": {"id": "u", "phone": 4520123457u64}, "sms": {"otp": "1"}}),
            "`user.phone` must be a string",
        ),
        (
            json!({"user": {"id": "u"}, "sms": {"otp": "118034"}}),
            "no phone number",
        ),
    ] {
        n += 1;
        let bad = bad.to_string();
        let reply = env
            .post(
                "default",
                "supabase",
                &supabase_headers(&tools, &[&old], &id(n), now(), &bad),
                &bad,
            )
            .await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        let message = reply.json()["error"]["message"].as_str().unwrap().to_string();
        assert!(message.contains(expected), "{message}");
        assert!(
            !message.contains("4520123457") && !message.contains("118034"),
            "{message}"
        );
    }
    assert_eq!(env.sent().len(), 2);

    // Failures the user should read: 200 with the error object, so Supabase
    // answers its client with that status and message.
    let invalid = supabase_body("4512345678", "440055", None);
    let reply = env
        .post(
            "default",
            "supabase",
            &supabase_headers(&tools, &[&old], &id(20), now(), &invalid),
            &invalid,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.json()["error"]["http_code"], 400);
    *env.mode.lock().unwrap() = Mode::Answer(
        400,
        json!({"code": 21610, "message": "Attempt to send to unsubscribed recipient", "status": 400}),
    );
    let refused = supabase_body("4520123458", "550066", None);
    let reply = env
        .post(
            "default",
            "supabase",
            &supabase_headers(&tools, &[&old], &id(21), now(), &refused),
            &refused,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.json()["error"]["http_code"], 502);
    assert!(reply.retry_after.is_none());
    *env.mode.lock().unwrap() = Mode::Succeed;

    // Too many codes to one number: 429 for the user, not a Supabase retry.
    for attempt in 0..11 {
        let otp = format!("9{attempt:05}");
        let body = supabase_body("4520123459", &otp, None);
        let reply = env
            .post(
                "default",
                "supabase",
                &supabase_headers(&tools, &[&old], &id(30 + attempt), now(), &body),
                &body,
            )
            .await;
        assert_eq!(reply.status, 200);
        if attempt < 10 {
            assert_eq!(reply.json(), json!({}), "{attempt}");
        } else {
            assert_eq!(reply.json()["error"]["http_code"], 429);
            assert!(reply.retry_after.is_none());
        }
    }
    env.assert_log_clean(&[&old[9..], &new[9..], "602214", "118034", "4520123456", TWILIO_TOKEN]);
}

// ---- ZITADEL ----

const ZITADEL_KEY: &str = "zitadel-signing-key-5c1f0e";

fn zitadel_body(event: &str, phone: &str, args: Value) -> String {
    json!({
        "contextInfo": {"eventType": event, "provider": {"id": "318870233463210022", "description": "smshost"},
            "recipientPhoneNumber": phone},
        "templateData": {"title": "Verify phone", "preHeader": "Verify phone", "subject": "Verify phone",
            "greeting": "Hello Ada,", "text": "Ada, your ZITADEL code is 905513 – valid 5 min.",
            "url": "", "buttonText": "", "primaryColor": "#5469d4", "backgroundColor": "#fafafa",
            "fontColor": "#000000", "fontFamily": "Lato", "footerText": ""},
        "args": args,
    })
    .to_string()
}

fn zitadel_headers(tools: &Tools, key: &str, timestamp: i64, body: &str) -> Vec<(&'static str, String)> {
    vec![(
        "zitadel-signature",
        doors::zitadel_signature(tools, key, timestamp, body),
    )]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn zitadel_door_checks_its_signature_and_sends_its_text_or_ours() {
    let tools = tools().await;
    let env = env(&["default"]).await;
    env.door("default", "zitadel", json!({"signingKey": ZITADEL_KEY})).await;
    let body = zitadel_body(
        "user.human.phone.code.added",
        "+4520123456",
        json!({"code": "905513", "expiry": 300000000000u64, "userID": "3188", "lastName": "Lovelace"}),
    );
    let reply = env
        .post(
            "default",
            "zitadel",
            &zitadel_headers(&tools, ZITADEL_KEY, now(), &body),
            &body,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        env.sent(),
        [(
            "+4520123456".to_string(),
            "Ada, your ZITADEL code is 905513 – valid 5 min.".to_string()
        )]
    );

    // ZITADEL retries with the same body, signed anew: no second SMS.
    let reply = env
        .post(
            "default",
            "zitadel",
            &zitadel_headers(&tools, ZITADEL_KEY, now() + 1, &body),
            &body,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(env.sent().len(), 1);

    for (headers, expected) in [
        (zitadel_headers(&tools, "another-key", now(), &body), "does not match"),
        (
            zitadel_headers(&tools, ZITADEL_KEY, now() - 301, &body),
            "more than 5 minutes",
        ),
        (vec![], "header is required"),
        (vec![("zitadel-signature", "v1=00".to_string())], "no `t=`"),
    ] {
        let reply = env.post("default", "zitadel", &headers, &body).await;
        assert_eq!(reply.status, 401, "{}", reply.text);
        assert!(
            reply.json()["message"].as_str().unwrap().contains(expected),
            "{}",
            reply.text
        );
    }

    // Our template instead of ZITADEL's text; the OTP's code is `oTP`.
    env.door(
        "default",
        "zitadel",
        json!({"signingKey": ZITADEL_KEY, "message": "template"}),
    )
    .await;
    let otp = zitadel_body("session.otp.sms.challenged", "+4520123457", json!({"oTP": "771035"}));
    let reply = env
        .post(
            "default",
            "zitadel",
            &zitadel_headers(&tools, ZITADEL_KEY, now(), &otp),
            &otp,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        env.sent()[1],
        ("+4520123457".to_string(), text("MFA verification", "771035"))
    );
    let reset = zitadel_body(
        "user.human.password.code.added",
        "+4520123457",
        json!({"code": "661204"}),
    );
    let reply = env
        .post(
            "default",
            "zitadel",
            &zitadel_headers(&tools, ZITADEL_KEY, now(), &reset),
            &reset,
        )
        .await;
    assert_eq!(reply.status, 200);
    assert_eq!(env.sent()[2].1, text("password change verification", "661204"));

    for (bad, status, expected) in [
        (
            zitadel_body("session.otp.sms.challenged", "+4520123457", json!({})),
            400,
            "`args.code` or `args.oTP`",
        ),
        (
            zitadel_body("session.otp.sms.challenged", "+4520123457", json!({"oTP": 771035})),
            400,
            "`args.oTP` must be a string",
        ),
        (
            zitadel_body("session.otp.sms.challenged", "+4512345678", json!({"oTP": "771035"})),
            400,
            "not a valid number",
        ),
        (
            json!({"contextInfo": {"eventType": "x"}, "args": {"code": "1"}}).to_string(),
            400,
            "`contextInfo.recipientPhoneNumber` is required",
        ),
        (
            json!({"contextInfo": {"recipientPhoneNumber": 4520123457u64}}).to_string(),
            400,
            "must be a string",
        ),
    ] {
        let reply = env
            .post(
                "default",
                "zitadel",
                &zitadel_headers(&tools, ZITADEL_KEY, now(), &bad),
                &bad,
            )
            .await;
        assert_eq!(reply.status, status, "{}", reply.text);
        let message = reply.json()["message"].as_str().unwrap().to_string();
        assert!(message.contains(expected), "{message}");
        assert!(
            !message.contains("4520123457") && !message.contains("771035"),
            "{message}"
        );
    }
    assert_eq!(env.sent().len(), 3);
    env.assert_log_clean(&[ZITADEL_KEY, "905513", "771035", "4520123456"]);
}

// ---- Kratos ----

/// Kratos's default jsonnet body for a login code.
fn kratos_default_body(phone: &str, code: &str) -> String {
    json!({"recipient": phone, "template_type": "login_code_valid", "to": null, "recovery_code": null,
        "recovery_url": null, "verification_url": null, "verification_code": null, "subject": "",
        "body": format!("Your login code is: {code}\n")})
    .to_string()
}

fn basic(user: &str, password: &str) -> String {
    use base64::Engine as _;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"))
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kratos_door_reads_its_default_body_and_is_idempotent() {
    let env = env(&["default"]).await;
    env.door(
        "default",
        "kratos",
        json!({"basicAuth": {"user": "kratos", "password": "courier-pw-8812"}}),
    )
    .await;
    let auth = vec![("authorization", basic("kratos", "courier-pw-8812"))];
    let body = kratos_default_body("+4520123456", "482913");
    let reply = env.post("default", "kratos", &auth, &body).await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        env.sent(),
        [("+4520123456".to_string(), text("sign-in verification", "482913"))]
    );
    // Kratos retries a message it thinks failed: nothing is sent again.
    let reply = env.post("default", "kratos", &auth, &body).await;
    assert_eq!(reply.status, 200);
    assert_eq!(env.sent().len(), 1);

    // The documented jsonnet passes the code explicitly.
    let explicit = json!({"recipient": "+4520123457", "template_type": "registration_code_valid",
        "code": "771204", "body": "Your registration code is: 771204\n\nIt expires in 15 minutes.\n"})
    .to_string();
    assert_eq!(env.post("default", "kratos", &auth, &explicit).await.status, 200);
    assert_eq!(env.sent()[1].1, text("sign-up verification", "771204"));
    let recovery = json!({"recipient": "+4520123457", "template_type": "recovery_code_valid",
        "body": "Your recovery code is: 530117\n\nIf this was not you, do nothing. It expires in 60 minutes.\n"})
    .to_string();
    assert_eq!(env.post("default", "kratos", &auth, &recovery).await.status, 200);
    assert_eq!(env.sent()[2].1, text("password change verification", "530117"));

    for (headers, status) in [
        (vec![("authorization", basic("kratos", "wrong"))], 401),
        (vec![], 401),
        (vec![("authorization", "Bearer courier-pw-8812".to_string())], 401),
    ] {
        let reply = env
            .post(
                "default",
                "kratos",
                &headers,
                &kratos_default_body("+4520123458", "111111"),
            )
            .await;
        assert_eq!(reply.status, status, "{}", reply.text);
    }
    for (bad, expected) in [
        (
            json!({"recipient": "+4520123458", "template_type": 3}),
            "`template_type` must be a string",
        ),
        (json!({"recipient": "+4520123458"}), "`template_type` is required"),
        (
            json!({"recipient": "+4520123458", "template_type": "login_code_valid", "body": "no code"}),
            "no one-time code",
        ),
        (
            json!({"recipient": "+4520123458", "template_type": "login_code_valid", "code": 111111}),
            "`code` must be a string",
        ),
        (
            json!({"recipient": "+4512345678", "template_type": "login_code_valid", "code": "111111"}),
            "not a valid number",
        ),
    ] {
        let reply = env.post("default", "kratos", &auth, &bad.to_string()).await;
        assert_eq!(reply.status, 400, "{}", reply.text);
        assert!(
            reply.json()["message"].as_str().unwrap().contains(expected),
            "{}",
            reply.text
        );
    }
    assert_eq!(env.sent().len(), 3);

    // An API-key header instead.
    env.door(
        "default",
        "kratos",
        json!({"apiKey": {"name": "X-Courier-Key", "value": "courier-key-4471"}}),
    )
    .await;
    let body = kratos_default_body("+4520123458", "209931");
    assert_eq!(env.post("default", "kratos", &auth, &body).await.status, 401);
    let key = vec![("x-courier-key", "courier-key-4471".to_string())];
    assert_eq!(env.post("default", "kratos", &key, &body).await.status, 200);
    assert_eq!(env.sent().len(), 4);

    // A provider failure is a non-2xx, so Kratos retries it later.
    *env.mode.lock().unwrap() = Mode::Answer(
        500,
        json!({"code": 20500, "message": "Internal Server Error", "status": 500}),
    );
    let body = kratos_default_body("+4520123458", "303030");
    let reply = env.post("default", "kratos", &key, &body).await;
    assert!(reply.status >= 400, "{}", reply.text);
    env.assert_log_clean(&["courier-pw-8812", "courier-key-4471", "482913", "4520123456"]);
}

// ---- authentik ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn authentik_door_takes_bearer_or_basic_auth() {
    let env = env(&["default"]).await;
    env.door(
        "default",
        "authentik",
        json!({"authorization": "Bearer authentik-token-6630"}),
    )
    .await;
    let body = |to: &str, token: &str| {
        json!({"From": "+4570000000", "To": to, "Body": token,
            "Message": format!("Use this code to authenticate in authentik: {token}")})
        .to_string()
    };
    let bearer = vec![("authorization", "Bearer authentik-token-6630".to_string())];
    let reply = env
        .post("default", "authentik", &bearer, &body("+4520123456", "418200"))
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(
        env.sent(),
        [("+4520123456".to_string(), text("MFA verification", "418200"))]
    );

    let reply = env
        .post(
            "default",
            "authentik",
            &[("authorization", "Bearer nope".to_string())],
            &body("+4520123456", "418201"),
        )
        .await;
    assert_eq!(reply.status, 401);
    assert!(reply.content_type.starts_with("text/plain"));
    assert!(!reply.text.contains('\n') && reply.text.len() <= 210, "{}", reply.text);
    let reply = env
        .post(
            "default",
            "authentik",
            &bearer,
            &json!({"From": "", "Body": "418201"}).to_string(),
        )
        .await;
    assert_eq!((reply.status, reply.text.as_str()), (400, "`To` is required"));
    let reply = env
        .post(
            "default",
            "authentik",
            &bearer,
            &json!({"To": "+4520123456", "Body": 418201}).to_string(),
        )
        .await;
    assert_eq!((reply.status, reply.text.as_str()), (400, "`Body` must be a string"));

    env.door(
        "default",
        "authentik",
        json!({"basicAuth": {"user": "authentik", "password": "stage-pw-2290"}}),
    )
    .await;
    assert_eq!(
        env.post("default", "authentik", &bearer, &body("+4520123456", "418202"))
            .await
            .status,
        401
    );
    let reply = env
        .post(
            "default",
            "authentik",
            &[("authorization", basic("authentik", "stage-pw-2290"))],
            &body("+4520123456", "418202"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(env.sent().len(), 2);
    env.assert_log_clean(&["authentik-token-6630", "stage-pw-2290", "418200", "4520123456"]);
}

// ---- Credentials through the admin API ----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn door_credentials_are_per_tenant_masked_and_encrypted() {
    let env = env(&["default", "acme"]).await;
    // Admin token required; the webhook itself is not behind it.
    let reply = env
        .http
        .put(env.daemon.url("/v1/hooks/logto"))
        .body(json!({"authorization": "x"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(reply.status(), 401);
    env.door("default", "logto", json!({"authorization": "Bearer default-logto-1"}))
        .await;
    env.door("acme", "logto", json!({"authorization": "Bearer acme-logto-2"}))
        .await;
    env.door(
        "acme",
        "kratos",
        json!({"basicAuth": {"user": "k", "password": "acme-kratos-3"}}),
    )
    .await;
    env.door("acme", "supabase", json!({"secrets": [supabase_secret(9)]}))
        .await;

    let (status, shown) = env.admin("GET", "/v1/tenants/acme/hooks/kratos", &Value::Null).await;
    assert_eq!(
        (status, shown.clone()),
        (200, json!({"basicAuth": {"user": "k", "password": "********"}}))
    );
    let (_, shown_supabase) = env.admin("GET", "/v1/tenants/acme/hooks/supabase", &Value::Null).await;
    assert_eq!(shown_supabase, json!({"secrets": ["********"]}));
    // GET-edit-PUT keeps the masked secret.
    let (status, _) = env.admin("PUT", "/v1/tenants/acme/hooks/kratos", &shown).await;
    assert_eq!(status, 200);
    let login = kratos_default_body("+4520123456", "482913");
    let reply = env
        .post(
            "acme",
            "kratos",
            &[("authorization", basic("k", "acme-kratos-3"))],
            &login,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    let (status, error) = env.admin("PUT", "/v1/hooks/kratos", &shown).await;
    assert_eq!(status, 400, "masked without a stored value: {error}");

    // One tenant's credentials do not open another tenant's door.
    let logto = json!({"to": "4520123457", "type": "SignIn", "payload": {"code": "120120"}}).to_string();
    let acme_auth = vec![("authorization", "Bearer acme-logto-2".to_string())];
    assert_eq!(env.post("default", "logto", &acme_auth, &logto).await.status, 401);
    assert_eq!(env.post("acme", "logto", &acme_auth, &logto).await.status, 200);
    assert_eq!(
        env.post(
            "default",
            "kratos",
            &[("authorization", basic("k", "acme-kratos-3"))],
            &login
        )
        .await
        .status,
        404
    );
    assert_eq!(env.sent().len(), 2);

    // Invalid credentials are refused without echoing them.
    for (server, bad) in [
        ("supabase", json!({"secrets": ["whsec-not-base64-secret"]})),
        ("supabase", json!({"secrets": []})),
        ("logto", json!({"authorization": " Bearer padded-secret "})),
        (
            "kratos",
            json!({"basicAuth": {"user": "k", "password": "p"}, "apiKey": {"name": "X", "value": "v"}}),
        ),
        ("zitadel", json!({"signingKey": "k", "message": "both"})),
        ("authentik", json!({"token": "bare-secret"})),
        ("nosuch", json!({})),
    ] {
        let (status, error) = env
            .admin("PUT", &format!("/v1/tenants/acme/hooks/{server}"), &bad)
            .await;
        assert!(status == 400 || status == 404, "{server}: {status} {error}");
        let text = error.to_string();
        for secret in ["whsec-not-base64-secret", "padded-secret", "bare-secret"] {
            assert!(!text.contains(secret), "{text}");
        }
    }

    // Secrets are not stored in clear.
    let data = walk(&env.daemon.root.join("data"));
    assert!(!data.is_empty());
    for file in data {
        let bytes = std::fs::read(&file).unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes);
        for secret in ["acme-logto-2", "acme-kratos-3", "default-logto-1"] {
            assert!(!text.contains(secret), "{secret} in {}", file.display());
        }
    }

    // Deleted: the door is closed again.
    let (status, _) = env.admin("DELETE", "/v1/tenants/acme/hooks/logto", &Value::Null).await;
    assert_eq!(status, 200);
    assert_eq!(env.post("acme", "logto", &acme_auth, &logto).await.status, 404);
    let (status, _) = env.admin("DELETE", "/v1/tenants/acme/hooks/logto", &Value::Null).await;
    assert_eq!(status, 404);
    assert_eq!(env.post("acme", "nosuch", &acme_auth, &logto).await.status, 404);
    env.assert_log_clean(&["acme-logto-2", "acme-kratos-3", "default-logto-1"]);
}

/// Every file under `dir`.
fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files
}
