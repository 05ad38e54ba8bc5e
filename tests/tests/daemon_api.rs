//! The daemon's admin API, end to end: the real `smshost serve` process,
//! real HTTP on loopback, mock providers. Every test runs once per store
//! backend (`sqlite::…` and `postgres::…`); the PostgreSQL ones skip with
//! `skipped: no PostgreSQL at …` when no server answers, unless
//! `SMSHOST_TEST_POSTGRES_REQUIRED=1`.

use reqwest::Method;
use serde_json::{Value, json};
use smshost_tests::MockServer;
use smshost_tests::daemon::{
    Daemon, PgSchema, TWILIO, TWILIO_AUTH_TOKEN, TWILIO_ORIGIN, TWILIO_SERVICE, TWILIO_SID, cli, create_token,
    form_field, message_body, twilio_config, twilio_mock,
};
use smshost_tests::mocks::{self, Mode, TWILIO_MESSAGE_SID};

const BIN: &str = env!("CARGO_BIN_EXE_smshost-cli");
const TO: &str = "+4520123456";
const TO_MASKED: &str = "+45******56";

/// Where a test's daemon keeps its state.
enum Backend {
    Sqlite,
    Postgres(PgSchema),
}

impl Backend {
    fn store(&self) -> Option<String> {
        match self {
            Backend::Sqlite => None,
            Backend::Postgres(schema) => Some(schema.url()),
        }
    }
}

/// Generates `sqlite::name` and `postgres::name` for each async fn
/// `name(Backend)` of this file.
macro_rules! on_both_backends {
    ($($(#[$meta:meta])* $name:ident),* $(,)?) => {
        mod sqlite {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(super::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                $(#[$meta])*
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let Some(schema) = super::PgSchema::create().await else { return };
                    super::$name(super::Backend::Postgres(schema)).await;
                }
            )*
        }
    };
}

on_both_backends!(
    configure_mask_etag_and_refusals,
    test_send_touches_nothing_stored,
    sends_and_their_error_answers,
    tokens_and_tenants,
    idempotent_retries,
    rate_limits_survive_a_restart,
    export_import_dev_to_prod,
    export_imports_as_is,
    client_export_import,
    client_commands,
    plugin_docs_and_logo,
);

/// A daemon with the Twilio plugin routed to `twilio`, on `backend`.
async fn daemon(backend: &Backend, twilio: &MockServer, settings: Option<&str>) -> Daemon {
    let mut builder = Daemon::builder(BIN)
        .plugins(&["twilio", "http_sms"])
        .route(TWILIO_ORIGIN, twilio);
    if let Some(store) = backend.store() {
        builder = builder.store(store);
    }
    if let Some(settings) = settings {
        builder = builder.settings(settings);
    }
    builder.start().await
}

fn sms_bodies(mock: &MockServer) -> Vec<String> {
    mock.requests()
        .iter()
        .map(|request| form_field(request, "Body").unwrap_or_default())
        .collect()
}

async fn configure_mask_etag_and_refusals(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let api = daemon.api();

    let plugins = api.get("/v1/plugins").await;
    assert_eq!(plugins.status, 200, "{}", plugins.text);
    let ids: Vec<&str> = plugins.body["plugins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|plugin| plugin["id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&TWILIO) && ids.contains(&"http-sms"), "{ids:?}");

    let none = api.get("/v1/connectors/sms").await;
    assert_eq!(
        (none.status, none.code()),
        (404, "no_active_connector"),
        "{}",
        none.text
    );

    let put = api.set_connector(TWILIO, &twilio_config()).await;
    assert_eq!(put.status, 200, "{}", put.text);
    assert_eq!(put.body["version"], 1);
    assert_eq!(put.header("etag"), Some("\"1\""));
    assert_eq!(put.body["config"]["authToken"], "********");
    assert!(!put.text.contains(TWILIO_AUTH_TOKEN));

    let got = api.get("/v1/connectors/sms").await;
    assert_eq!(got.status, 200);
    assert_eq!(got.header("etag"), Some("\"1\""));
    assert_eq!(got.body["plugin"], TWILIO);
    assert_eq!(got.body["config"]["authToken"], "********");
    assert_eq!(got.body["config"]["accountSID"], TWILIO_SID);
    assert!(!got.text.contains(TWILIO_AUTH_TOKEN));
    // The prefixed route is the same tenant.
    let prefixed = api.get("/v1/tenants/default/connectors/sms").await;
    assert_eq!(prefixed.body["version"], 1);

    // GET-edit-PUT: the masked secret keeps the stored value.
    let mut edited = got.body["config"].clone();
    edited["templates"][0]["content"] = json!("Sign-in code {{code}}, edited.");
    let stale = api
        .call(
            Method::PUT,
            "/v1/connectors/sms",
            Some(&json!({"plugin": TWILIO, "config": edited})),
            &[("if-match", "\"7\"")],
        )
        .await;
    assert_eq!(
        (stale.status, stale.code()),
        (412, "version_conflict"),
        "{}",
        stale.text
    );
    let kept = api
        .call(
            Method::PUT,
            "/v1/connectors/sms",
            Some(&json!({"plugin": TWILIO, "config": edited})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(kept.status, 200, "{}", kept.text);
    assert_eq!(kept.body["version"], 2);
    let again = api
        .call(
            Method::PUT,
            "/v1/connectors/sms",
            Some(&json!({"plugin": TWILIO, "config": edited})),
            &[("if-match", "\"1\"")],
        )
        .await;
    assert_eq!(again.status, 412, "the version 1 is stale now: {}", again.text);

    let sent = api.send(TO, "424242").await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let requests = twilio.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(
        mocks::basic_credentials(&requests[0]),
        Some((TWILIO_SID.to_string(), TWILIO_AUTH_TOKEN.to_string())),
        "the masked secret kept the stored token"
    );
    assert_eq!(sms_bodies(&twilio), vec!["Sign-in code 424242, edited."]);

    // A refused config names the field and leaves version 2 serving.
    let mut broken = twilio_config();
    broken.as_object_mut().unwrap().remove("accountSID");
    let refused = api.set_connector(TWILIO, &broken).await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "invalid_config"),
        "{}",
        refused.text
    );
    assert!(
        refused.body["message"].as_str().unwrap().contains("accountSID"),
        "{}",
        refused.text
    );
    let mut no_templates = twilio_config();
    no_templates["templates"] = json!([{"usageType": "SignIn", "content": "{{code}}"}]);
    let refused = api.set_connector(TWILIO, &no_templates).await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "invalid_config"),
        "{}",
        refused.text
    );
    assert!(!refused.text.contains(TWILIO_AUTH_TOKEN), "{}", refused.text);
    // A masked secret with nothing stored for that plugin is refused too.
    let masked = json!({"endpoint": "http://127.0.0.1:9/sms", "authorization": "********"});
    let refused = api.set_connector("http-sms", &masked).await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "invalid_config"),
        "{}",
        refused.text
    );
    assert!(
        refused.body["message"].as_str().unwrap().contains("authorization"),
        "{}",
        refused.text
    );
    let unknown = api.set_connector("no-such-plugin", &json!({})).await;
    assert_eq!(unknown.status, 400, "{}", unknown.text);

    let current = api.get("/v1/connectors/sms").await;
    assert_eq!(current.body["version"], 2, "{}", current.text);
    let sent = api.send(TO, "515151").await;
    assert_eq!(sent.status, 200, "the old config keeps serving: {}", sent.text);
    assert_eq!(twilio.requests().len(), 2);

    let history = api.get("/v1/connectors/sms/history").await;
    assert_eq!(history.status, 200, "{}", history.text);
    let mut versions: Vec<i64> = history.body["history"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["version"].as_i64().unwrap())
        .collect();
    versions.sort();
    assert_eq!(versions, vec![1, 2], "{}", history.text);
}

async fn test_send_touches_nothing_stored(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let api = daemon.api();

    // With nothing stored, a full config tests fine and stores nothing.
    let test = json!({"plugin": TWILIO, "config": twilio_config(), "to": TO, "locale": "en"});
    let tested = api.post("/v1/connectors/sms/test", &test).await;
    assert_eq!(tested.status, 200, "{}", tested.text);
    assert_eq!(tested.body["receipt"]["providerMessageId"], TWILIO_MESSAGE_SID);
    assert_eq!(tested.body["receipt"]["to"], TO_MASKED);
    assert_eq!(
        sms_bodies(&twilio),
        vec!["Your Logto verification code is 000000. The code will remain active for 10 minutes."],
        "Generic template, code 000000"
    );
    assert_eq!(form_field(&twilio.requests()[0], "To").as_deref(), Some(TO));
    assert_eq!(api.get("/v1/connectors/sms").await.status, 404, "nothing stored");
    assert_eq!(api.send(TO, "123456").await.code(), "no_active_connector");

    // With a stored config, the masked secret is filled from it; the
    // stored config and the send records are untouched.
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);
    let messages_before = api.get("/v1/messages").await.body["messages"].as_array().unwrap().len();
    let mut masked = twilio_config();
    masked["authToken"] = json!("********");
    masked["fromMessagingServiceSID"] = json!("MGffffffffffffffffffffffffffffffff");
    let tested = api
        .post(
            "/v1/connectors/sms/test",
            &json!({"plugin": TWILIO, "config": masked, "to": "+4520123457"}),
        )
        .await;
    assert_eq!(tested.status, 200, "{}", tested.text);
    let last = twilio.requests().last().cloned().unwrap();
    assert_eq!(
        mocks::basic_credentials(&last).map(|(_, token)| token).as_deref(),
        Some(TWILIO_AUTH_TOKEN)
    );
    assert_eq!(
        form_field(&last, "MessagingServiceSid").as_deref(),
        Some("MGffffffffffffffffffffffffffffffff")
    );
    let stored = api.get("/v1/connectors/sms").await;
    assert_eq!(stored.body["version"], 1);
    assert_eq!(stored.body["config"]["fromMessagingServiceSID"], TWILIO_SERVICE);
    let messages_after = api.get("/v1/messages").await.body["messages"].as_array().unwrap().len();
    assert_eq!(messages_before, messages_after, "a test-send is not a send record");

    // A refused test config is a 400, the provider is not called.
    let calls = twilio.requests().len();
    let mut broken = twilio_config();
    broken.as_object_mut().unwrap().remove("fromMessagingServiceSID");
    let refused = api
        .post(
            "/v1/connectors/sms/test",
            &json!({"plugin": TWILIO, "config": broken, "to": TO}),
        )
        .await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "invalid_config"),
        "{}",
        refused.text
    );
    let bad_phone = api
        .post(
            "/v1/connectors/sms/test",
            &json!({"plugin": TWILIO, "config": twilio_config(), "to": "12"}),
        )
        .await;
    assert_eq!(bad_phone.code(), "invalid_phone_number", "{}", bad_phone.text);
    assert_eq!(twilio.requests().len(), calls);
}

async fn sends_and_their_error_answers(backend: Backend) {
    let (twilio, mode) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let api = daemon.api();

    // Refusals axum makes itself are JSON errors too.
    let huge = api
        .post(
            "/v1/messages",
            &json!({"to": TO, "usageType": "SignIn", "payload": {"code": "1", "pad": "x".repeat(300 << 10)}}),
        )
        .await;
    assert_eq!((huge.status, huge.code()), (413, "body_too_large"), "{}", huge.text);

    let none = api.send(TO, "123456").await;
    assert_eq!(
        (none.status, none.code()),
        (503, "no_active_connector"),
        "{}",
        none.text
    );

    // The required templates only, Generic in German only: an English
    // MfaVerification finds no template (nor a Generic fallback).
    let mut config = twilio_config();
    let mut required: Vec<Value> = config["templates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| ["SignIn", "Register", "ForgotPassword"].contains(&t["usageType"].as_str().unwrap()))
        .cloned()
        .collect();
    required.push(json!({"usageType": "Generic", "locale": "de", "content": "Ihr Code: {{code}}"}));
    config["templates"] = Value::Array(required);
    assert_eq!(api.set_connector(TWILIO, &config).await.status, 200);

    let sent = api.send("4520123456", "987654").await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.body["providerMessageId"], TWILIO_MESSAGE_SID);
    assert_eq!(sent.body["connector"], TWILIO);
    assert_eq!(sent.body["to"], TO_MASKED);
    assert!(
        !sent.text.contains("987654") && !sent.text.contains("20123456"),
        "{}",
        sent.text
    );
    assert_eq!(
        sms_bodies(&twilio),
        vec!["Your Logto sign-in verification code is 987654. The code will remain active for 10 minutes."]
    );

    let cases: Vec<(Value, u16, &str)> = vec![
        (message_body("12", "SignIn", "1"), 400, "invalid_phone_number"),
        (message_body("not a number", "SignIn", "1"), 400, "invalid_phone_number"),
        (message_body(TO, "Nope", "1"), 400, "unknown_usage_type"),
        (
            json!({"to": TO, "usageType": "SignIn", "payload": {"locale": "en"}}),
            400,
            "missing_code",
        ),
        (json!({"to": TO, "usageType": "SignIn"}), 400, "invalid_body"),
        (
            json!({"to": TO, "usageType": "SignIn", "payload": {}, "extra": 1}),
            400,
            "invalid_body",
        ),
        (json!([1, 2]), 400, "invalid_body"),
        (message_body(TO, "MfaVerification", "1234"), 422, "template_not_found"),
    ];
    for (body, status, code) in cases {
        let answer = api.post("/v1/messages", &body).await;
        assert_eq!(
            (answer.status, answer.code()),
            (status, code),
            "{body}: {}",
            answer.text
        );
        assert!(answer.body["message"].is_string(), "{}", answer.text);
    }
    let raw = api
        .client
        .post(format!("{}/v1/messages", api.base))
        .bearer_auth(daemon.token())
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status(), 400);
    assert_eq!(raw.json::<Value>().await.unwrap()["code"], "invalid_body");
    assert_eq!(twilio.requests().len(), 1, "refused requests never reach the provider");

    // The provider refuses: 502 with its code; not retryable.
    *mode.lock().unwrap() = Mode::Answer(
        400,
        json!({"code": 21211, "message": "The 'To' number is not a valid phone number.", "status": 400}),
    );
    let refused = api.send(TO, "111111").await;
    assert_eq!(refused.status, 502, "{}", refused.text);
    assert_eq!(refused.body["providerCode"], "21211", "{}", refused.text);
    assert_eq!(refused.body["retryable"], false, "{}", refused.text);
    assert!(!refused.code().is_empty());
    // A provider outage: 502, retryable.
    *mode.lock().unwrap() = Mode::Answer(
        503,
        json!({"code": 20500, "message": "Service unavailable", "status": 503}),
    );
    let outage = api.send(TO, "222222").await;
    assert_eq!(outage.status, 502, "{}", outage.text);
    assert_eq!(outage.body["retryable"], true, "{}", outage.text);
    *mode.lock().unwrap() = Mode::Succeed;

    // The records: masked numbers, never the code.
    let list = api.get("/v1/messages?limit=10").await;
    assert_eq!(list.status, 200, "{}", list.text);
    let messages = list.body["messages"].as_array().unwrap();
    let outcomes: Vec<&str> = messages.iter().map(|m| m["outcome"].as_str().unwrap()).collect();
    assert!(
        outcomes.contains(&"sent") && outcomes.contains(&"failed"),
        "{outcomes:?}"
    );
    for message in messages {
        assert_eq!(message["to"], TO_MASKED, "{message}");
        assert_eq!(message["connector"], TWILIO);
    }
    for code in ["987654", "111111", "222222", "20123456"] {
        assert!(!list.text.contains(code), "{code} in {}", list.text);
    }
    let page = api.get("/v1/messages?limit=1").await;
    assert_eq!(page.body["messages"].as_array().unwrap().len(), 1);
    assert_eq!(api.get("/v1/messages?limit=0").await.code(), "invalid_query");

    let metrics = reqwest::get(format!("{}/metrics", daemon.url())).await.unwrap();
    assert_eq!(metrics.status(), 200);
    let metrics = metrics.text().await.unwrap();
    let sent_line = metrics
        .lines()
        .find(|line| line.starts_with("smshost_sends_total") && line.contains("outcome=\"sent\""))
        .unwrap_or_else(|| panic!("no sent counter:\n{metrics}"));
    assert!(sent_line.contains("tenant=\"default\"") && sent_line.contains("usage_type=\"SignIn\""));
    assert!(sent_line.ends_with(" 1"), "{sent_line}");
    assert!(
        metrics.lines().any(|line| line.starts_with("smshost_sends_total")
            && line.contains("outcome=\"failed\"")
            && line.ends_with(" 2")),
        "{metrics}"
    );
    assert!(metrics.contains("smshost_provider_latency_seconds_bucket"), "{metrics}");

    let ready = reqwest::get(format!("{}/readyz", daemon.url())).await.unwrap();
    assert_eq!(ready.status(), 200);
    assert_eq!(ready.json::<Value>().await.unwrap()["status"], "ready");

    // Delete needs the plugin's name.
    let unconfirmed = api.delete("/v1/connectors/sms").await;
    assert_eq!((unconfirmed.status, unconfirmed.code()), (409, "confirmation_required"));
    let wrong = api.delete("/v1/connectors/sms?confirm=http-sms").await;
    assert_eq!(wrong.status, 409);
    assert_eq!(api.send(TO, "333333").await.status, 200, "still active");
    let deleted = api.delete(&format!("/v1/connectors/sms?confirm={TWILIO}")).await;
    assert_eq!(deleted.status, 200, "{}", deleted.text);
    assert_eq!(api.send(TO, "444444").await.code(), "no_active_connector");
    assert_eq!(api.get("/v1/connectors/sms").await.status, 404);
}

async fn tokens_and_tenants(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let api = daemon.api();

    for token in [None, Some("smsh_wrong"), Some("not-even-a-token")] {
        let answer = api.with_token(token).get("/v1/connectors/sms").await;
        assert_eq!((answer.status, answer.code()), (401, "unauthorized"), "{token:?}");
        let answer = api
            .with_token(token)
            .post("/v1/messages", &message_body(TO, "SignIn", "1"))
            .await;
        assert_eq!(answer.status, 401);
    }
    let basic = api
        .client
        .get(format!("{}/v1/plugins", api.base))
        .basic_auth("admin", Some(daemon.token()))
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 401);
    let open = api.with_token(None);
    for path in ["/healthz", "/readyz", "/metrics", "/v1/openapi.json"] {
        assert_eq!(open.get(path).await.status, 200, "{path}");
    }

    // A tenant token, made with the CLI while the daemon runs.
    let dev_token = create_token(&daemon, Some("dev")).await;
    let dev = api.with_token(Some(&dev_token));
    let put = dev
        .put(
            "/v1/tenants/dev/connectors/sms",
            &json!({"plugin": TWILIO, "config": twilio_config()}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);
    let sent = dev
        .post("/v1/tenants/dev/messages", &message_body(TO, "SignIn", "676767"))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(twilio.requests().len(), 1);
    for path in [
        "/v1/connectors/sms",
        "/v1/tenants/prod/connectors/sms",
        "/v1/tenants/default/messages",
    ] {
        let answer = dev.get(path).await;
        assert_eq!(
            (answer.status, answer.code()),
            (403, "forbidden"),
            "{path}: {}",
            answer.text
        );
    }
    let answer = dev.post("/v1/messages", &message_body(TO, "SignIn", "1")).await;
    assert_eq!(answer.status, 403);
    let tenants = dev.get("/v1/tenants").await;
    let ids: Vec<&str> = tenants.body["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, vec!["dev"], "{}", tenants.text);
    // The admin token reaches both.
    assert_eq!(api.get("/v1/tenants/dev/connectors/sms").await.status, 200);
    let admin_tenants = api.get("/v1/tenants").await;
    assert!(admin_tenants.text.contains("\"default\"") && admin_tenants.text.contains("\"dev\""));
    // Default's connector is separate: none there.
    assert_eq!(api.get("/v1/connectors/sms").await.status, 404);
    assert_eq!(api.get("/v1/tenants/Bad!/connectors/sms").await.status, 400);

    // A second admin token works; a revoked one is a 401 like any other.
    let second = create_token(&daemon, None).await;
    assert_eq!(api.with_token(Some(&second)).get("/v1/tenants").await.status, 200);
    let mut list_args = vec!["token".to_string(), "list".to_string()];
    list_args.extend(daemon.store_args());
    let (code, listed, _) = cli(BIN, list_args).await;
    assert_eq!(code, 0);
    assert!(
        !listed.contains(&dev_token) && !listed.contains(daemon.token()),
        "{listed}"
    );
    let dev_id = listed
        .lines()
        .find(|line| line.contains("\tdev\t"))
        .and_then(|line| line.split('\t').next())
        .unwrap_or_else(|| panic!("{listed}"))
        .to_string();
    let mut revoke = vec!["token".to_string(), "revoke".to_string(), dev_id];
    revoke.extend(daemon.store_args());
    let (code, _, stderr) = cli(BIN, revoke).await;
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(dev.get("/v1/tenants/dev/connectors/sms").await.status, 401);
}

async fn idempotent_retries(backend: Backend) {
    let (twilio, mode) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let api = daemon.api();
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);

    let body = message_body(TO, "SignIn", "135790");
    let post = |key: &'static str, body: Value| {
        let api = api.clone();
        async move {
            api.call(Method::POST, "/v1/messages", Some(&body), &[("idempotency-key", key)])
                .await
        }
    };
    let first = post("key-1", body.clone()).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.header("idempotent-replayed"), None);
    let retry = post("key-1", body.clone()).await;
    assert_eq!(retry.status, 200, "{}", retry.text);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    assert_eq!(retry.body, first.body, "the same answer");
    assert_eq!(twilio.requests().len(), 1, "one SMS");

    let other = post("key-1", message_body(TO, "SignIn", "999999")).await;
    assert_eq!(
        (other.status, other.code()),
        (422, "idempotency_key_reused"),
        "{}",
        other.text
    );
    assert_eq!(twilio.requests().len(), 1);

    let fresh = post("key-2", body.clone()).await;
    assert_eq!(fresh.status, 200);
    assert_ne!(fresh.body["sendId"], first.body["sendId"]);
    assert_eq!(twilio.requests().len(), 2);

    // A final refusal is replayed as well; a retryable one is not kept.
    *mode.lock().unwrap() = Mode::Answer(400, json!({"code": 21211, "message": "invalid To", "status": 400}));
    let refused = post("key-3", body.clone()).await;
    assert_eq!(refused.status, 502);
    let replayed = post("key-3", body.clone()).await;
    assert_eq!(replayed.status, 502);
    assert_eq!(replayed.header("idempotent-replayed"), Some("true"));
    assert_eq!(twilio.requests().len(), 3);
    *mode.lock().unwrap() = Mode::Answer(503, json!({"code": 20500, "message": "down", "status": 503}));
    assert_eq!(post("key-4", body.clone()).await.status, 502);
    *mode.lock().unwrap() = Mode::Succeed;
    let recovered = post("key-4", body.clone()).await;
    assert_eq!(
        recovered.status, 200,
        "a retryable failure may be retried: {}",
        recovered.text
    );
    assert_eq!(recovered.header("idempotent-replayed"), None);
    assert_eq!(twilio.requests().len(), 5);

    let bad_key = api
        .call(Method::POST, "/v1/messages", Some(&body), &[("idempotency-key", "")])
        .await;
    assert_eq!(bad_key.code(), "invalid_idempotency_key", "{}", bad_key.text);
}

const LIMIT_3: &str = "[rate_limits]\nper_recipient = { count = 3, window_secs = 600 }\n";

async fn rate_limits_survive_a_restart(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let mut daemon = daemon(&backend, &twilio, Some(LIMIT_3)).await;
    let api = daemon.api();
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);

    for n in 0..3 {
        let sent = api.send(TO, &format!("10000{n}")).await;
        assert_eq!(sent.status, 200, "send {n}: {}", sent.text);
    }
    let refused = api.send(TO, "100003").await;
    assert_eq!(
        (refused.status, refused.code()),
        (429, "rate_limit_exceeded"),
        "{}",
        refused.text
    );
    let retry_after: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=600).contains(&retry_after), "{retry_after}");
    assert_eq!(twilio.requests().len(), 3, "exactly 3 reach the provider");
    // Another recipient has its own count, in the digits-only form too.
    assert_eq!(api.send("4520123499", "100004").await.status, 200);
    let metrics = reqwest::get(format!("{}/metrics", daemon.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .lines()
            .any(|l| l.starts_with("smshost_rate_limit_refusals_total")
                && l.contains("limit=\"recipient\"")
                && l.ends_with(" 1")),
        "{metrics}"
    );

    let before = api.get("/v1/messages?limit=100").await.body["messages"].clone();
    daemon.restart().await;
    let api = daemon.api();
    // Everything is intact: the token, the connector, the records, the counters.
    let connector = api.get("/v1/connectors/sms").await;
    assert_eq!(connector.status, 200, "{}", connector.text);
    assert_eq!(connector.body["version"], 1);
    assert_eq!(connector.body["config"]["authToken"], "********");
    assert_eq!(api.get("/v1/messages?limit=100").await.body["messages"], before);
    let refused = api.send(TO, "100005").await;
    assert_eq!(refused.status, 429, "the count survived the restart: {}", refused.text);
    assert_eq!(twilio.requests().len(), 4);
    let sent = api.send("+4520123488", "100006").await;
    assert_eq!(sent.status, 200, "the secrets decrypt after a restart: {}", sent.text);
    assert_eq!(
        mocks::basic_credentials(twilio.requests().last().unwrap())
            .map(|(_, token)| token)
            .as_deref(),
        Some(TWILIO_AUTH_TOKEN)
    );
}

/// An export document without `connector.omittedSecrets` (import accepts
/// it either way; `export_imports_as_is` covers the document as exported).
fn importable(document: &Value) -> Value {
    let mut document = document.clone();
    if let Some(connector) = document["connector"].as_object_mut() {
        connector.remove("omittedSecrets");
    }
    document
}

async fn export_imports_as_is(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let api = daemon.api();
    assert_eq!(api.set_connector(TWILIO, &twilio_config()).await.status, 200);
    let (_, key, _) = cli(BIN, vec!["key".into(), "generate".into()]).await;
    let sealed = api
        .call(Method::GET, "/v1/export", None, &[("smshost-export-key", key.trim())])
        .await;
    assert_eq!(sealed.status, 200);
    let imported = api
        .call(
            Method::POST,
            "/v1/tenants/prod/import",
            Some(&sealed.body),
            &[("smshost-export-key", key.trim())],
        )
        .await;
    assert_eq!(imported.status, 200, "an export imports as it is: {}", imported.text);
    let mut plain = api.get("/v1/export").await.body;
    plain["connector"]["config"]["authToken"] = json!(TWILIO_AUTH_TOKEN);
    let imported = api.post("/v1/tenants/prod2/import", &plain).await;
    assert_eq!(imported.status, 200, "{}", imported.text);
}

async fn client_export_import(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    assert_eq!(daemon.api().set_connector(TWILIO, &twilio_config()).await.status, 200);
    let (_, key, _) = cli(BIN, vec!["key".into(), "generate".into()]).await;
    let key = key.trim().to_string();
    let client = |tenant: &str, mut args: Vec<String>| {
        args.extend(["--url", daemon.url(), "--token", daemon.token(), "--tenant", tenant].map(String::from));
        cli(BIN, args)
    };
    let (code, sealed, err) = client("default", vec!["export".into(), "--secrets-key".into(), key.clone()]).await;
    assert_eq!(code, 0, "{err}");
    let dir = smshost_tests::daemon::TempDir::new("smshost-cli");
    let file = dir.path().join("export.json");
    std::fs::write(&file, sealed).unwrap();
    let (code, out, err) = client(
        "prod",
        vec!["import".into(), file.display().to_string(), "--secrets-key".into(), key],
    )
    .await;
    assert_eq!(code, 0, "smshost export | smshost import: {err}");
    assert!(!out.contains(TWILIO_AUTH_TOKEN));
}

async fn export_import_dev_to_prod(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let api = daemon.api();
    let put = api
        .put(
            "/v1/tenants/dev/connectors/sms",
            &json!({"plugin": TWILIO, "config": twilio_config()}),
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text);

    // Without a key: the secrets are left out and named.
    let plain = api.get("/v1/tenants/dev/export").await;
    assert_eq!(plain.status, 200, "{}", plain.text);
    assert!(!plain.text.contains(TWILIO_AUTH_TOKEN), "{}", plain.text);
    assert_eq!(plain.body["connector"]["omittedSecrets"], json!(["authToken"]));
    assert_eq!(plain.body["connector"]["config"]["accountSID"], TWILIO_SID);
    let refused = api.post("/v1/tenants/prod/import", &importable(&plain.body)).await;
    assert_eq!(
        (refused.status, refused.code()),
        (400, "invalid_config"),
        "{}",
        refused.text
    );
    assert!(
        refused.body["message"].as_str().unwrap().contains("authToken"),
        "{}",
        refused.text
    );
    assert_eq!(api.get("/v1/tenants/prod/connectors/sms").await.status, 404);
    let mut retyped = importable(&plain.body);
    retyped["connector"]["config"]["authToken"] = json!(TWILIO_AUTH_TOKEN);
    let imported = api.post("/v1/tenants/prod/import", &retyped).await;
    assert_eq!(imported.status, 200, "{}", imported.text);
    let sent = api
        .post("/v1/tenants/prod/messages", &message_body(TO, "SignIn", "202020"))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(
        mocks::basic_credentials(&twilio.requests()[0])
            .map(|(_, token)| token)
            .as_deref(),
        Some(TWILIO_AUTH_TOKEN)
    );

    // With a key from `smshost key generate`: secrets travel encrypted.
    let (code, key, _) = cli(BIN, vec!["key".into(), "generate".into()]).await;
    assert_eq!(code, 0);
    let key = key.trim().to_string();
    let sealed = api
        .call(
            Method::GET,
            "/v1/tenants/dev/export",
            None,
            &[("smshost-export-key", &key)],
        )
        .await;
    assert_eq!(sealed.status, 200, "{}", sealed.text);
    assert!(!sealed.text.contains(TWILIO_AUTH_TOKEN), "{}", sealed.text);
    let carried = sealed.body["connector"]["config"]["authToken"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(!carried.is_empty() && carried != "********", "{carried}");
    let sealed_doc = importable(&sealed.body);
    let without_key = api.post("/v1/tenants/prod2/import", &sealed_doc).await;
    assert_eq!(without_key.status, 400, "{}", without_key.text);
    let (_, other_key, _) = cli(BIN, vec!["key".into(), "generate".into()]).await;
    let wrong_key = api
        .call(
            Method::POST,
            "/v1/tenants/prod2/import",
            Some(&sealed_doc),
            &[("smshost-export-key", other_key.trim())],
        )
        .await;
    assert_eq!(
        (wrong_key.status, wrong_key.code()),
        (400, "invalid_export_key"),
        "{}",
        wrong_key.text
    );
    let bad_key = api
        .call(
            Method::GET,
            "/v1/tenants/dev/export",
            None,
            &[("smshost-export-key", "short")],
        )
        .await;
    assert_eq!(bad_key.code(), "invalid_export_key");
    assert_eq!(api.get("/v1/tenants/prod2/connectors/sms").await.status, 404);
    let imported = api
        .call(
            Method::POST,
            "/v1/tenants/prod2/import",
            Some(&sealed_doc),
            &[("smshost-export-key", &key)],
        )
        .await;
    assert_eq!(imported.status, 200, "{}", imported.text);
    assert_eq!(imported.body["config"]["authToken"], "********");
    let sent = api
        .post("/v1/tenants/prod2/messages", &message_body(TO, "SignIn", "303030"))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(
        mocks::basic_credentials(&twilio.requests()[1])
            .map(|(_, token)| token)
            .as_deref(),
        Some(TWILIO_AUTH_TOKEN)
    );
    let wrong_format = api
        .post(
            "/v1/tenants/prod3/import",
            &json!({"format": "other/1", "connector": null}),
        )
        .await;
    assert_eq!(wrong_format.code(), "invalid_body");
}

async fn client_commands(backend: Backend) {
    let (twilio, _) = twilio_mock().await;
    let daemon = daemon(&backend, &twilio, None).await;
    let dir = smshost_tests::daemon::TempDir::new("smshost-cli");
    let config_file = dir.path().join("twilio.json");
    std::fs::write(&config_file, twilio_config().to_string()).unwrap();
    let config_arg = config_file.display().to_string();
    let client = |tenant: &str, rest: &[&str]| {
        let mut args: Vec<String> = rest.iter().map(|arg| arg.to_string()).collect();
        args.extend([
            "--url".to_string(),
            daemon.url().to_string(),
            "--token".to_string(),
            daemon.token().to_string(),
            "--tenant".to_string(),
            tenant.to_string(),
        ]);
        cli(BIN, args)
    };

    let (code, out, err) = client(
        "dev",
        &["connector", "set", "--plugin", TWILIO, "--config", &config_arg],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    let set: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(set["version"], 1);
    assert!(!out.contains(TWILIO_AUTH_TOKEN) && !err.contains(TWILIO_AUTH_TOKEN));

    let (code, out, _) = client("dev", &["connector", "show"]).await;
    assert_eq!(code, 0);
    let shown: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(shown["config"]["authToken"], "********");
    assert_eq!(shown["plugin"], TWILIO);

    let (code, out, err) = client(
        "dev",
        &[
            "connector",
            "test",
            "--plugin",
            TWILIO,
            "--config",
            &config_arg,
            "--to",
            TO,
        ],
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(TWILIO_MESSAGE_SID), "{out}");
    assert!(sms_bodies(&twilio)[0].contains("000000"));

    let (code, exported, err) = client("dev", &["export"]).await;
    assert_eq!(code, 0, "{err}");
    let document: Value = serde_json::from_str(&exported).unwrap();
    assert_eq!(document["connector"]["plugin"], TWILIO);
    assert!(!exported.contains(TWILIO_AUTH_TOKEN));
    // (`smshost import` of that document: see client_export_import.)
    let (code, _, err) = client(
        "prod",
        &["connector", "set", "--plugin", TWILIO, "--config", &config_arg],
    )
    .await;
    assert_eq!(code, 0, "{err}");

    let sent = daemon
        .api()
        .post("/v1/tenants/prod/messages", &message_body(TO, "SignIn", "404040"))
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    let (code, out, _) = client("prod", &["messages", "--limit", "5"]).await;
    assert_eq!(code, 0);
    let listed: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(listed["messages"].as_array().unwrap().len(), 1, "{out}");
    assert_eq!(listed["messages"][0]["to"], TO_MASKED);
    assert!(!out.contains("404040"));

    let (code, _, err) = client("prod", &["connector", "delete", "--confirm", "http-sms"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("confirmation_required"), "{err}");
    let (code, _, err) = client("prod", &["connector", "delete", "--confirm", TWILIO]).await;
    assert_eq!(code, 0, "{err}");
    let (code, _, err) = client("prod", &["connector", "show"]).await;
    assert_eq!(code, 1);
    assert!(err.contains("no_active_connector"), "{err}");

    let mut wrong = vec!["connector", "show", "--url", daemon.url(), "--token", "smsh_nope"]
        .into_iter()
        .map(String::from)
        .collect::<Vec<_>>();
    wrong.extend(["--tenant".to_string(), "dev".to_string()]);
    let (code, _, err) = cli(BIN, wrong).await;
    assert_eq!(code, 1);
    assert!(err.contains("unauthorized") && err.contains("401"), "{err}");
}

/// The 0.2 fixture's README, logo and example config, as built into it.
const V0_2_README: &str = include_str!("../guests/contract-v0-2/README.md");
const V0_2_LOGO: &str = include_str!("../guests/contract-v0-2/logo.svg");
const V0_2_EXAMPLE: &str = include_str!("../guests/contract-v0-2/example-config.json");

/// A 0.2 plugin's docs through `GET /v1/plugins`, its logo as a sandboxed
/// image, `null`s for a 0.1 plugin, 404s, and a send through the 0.2 plugin.
async fn plugin_docs_and_logo(backend: Backend) {
    let (endpoint, _) = mocks::http_sms(None).await;
    let mut builder = Daemon::builder(BIN).plugins(&["contract_v0_2", "contract_v0_1", "http_sms"]);
    if let Some(store) = backend.store() {
        builder = builder.store(store);
    }
    let daemon = builder.start().await;
    let api = daemon.api();

    let plugins = api.get("/v1/plugins").await;
    assert_eq!(plugins.status, 200, "{}", plugins.text);
    let find = |id: &str| {
        plugins.body["plugins"]
            .as_array()
            .unwrap()
            .iter()
            .find(|plugin| plugin["id"] == id)
            .unwrap_or_else(|| panic!("{id} is not listed: {}", plugins.text))
            .clone()
    };
    let new = find("contract-v0-2");
    assert_eq!(new["contract"], "smshost:connector@0.2.0");
    assert_eq!(new["readme"], V0_2_README);
    assert_eq!(new["hasLogo"], true);
    assert_eq!(
        new["exampleConfig"],
        serde_json::from_str::<Value>(V0_2_EXAMPLE).unwrap()
    );
    // The logo itself is only served as an image, not in the listing.
    assert!(!plugins.text.contains("<svg"), "{}", plugins.text);
    let shipped = find("http-sms");
    assert_eq!(shipped["contract"], "smshost:connector@0.2.0");
    assert!(
        shipped["readme"]
            .as_str()
            .is_some_and(|readme| readme.starts_with("# ")),
        "{shipped}"
    );
    assert!(shipped["exampleConfig"].is_object(), "{shipped}");
    let old = find("contract-v0-1");
    assert_eq!(
        (&old["readme"], &old["hasLogo"], &old["exampleConfig"]),
        (&Value::Null, &json!(false), &Value::Null)
    );

    let logo = api.get("/v1/plugins/contract-v0-2/logo").await;
    assert_eq!(logo.status, 200, "{}", logo.text);
    assert_eq!(logo.header("content-type"), Some("image/svg+xml"));
    assert_eq!(
        logo.header("content-security-policy"),
        Some("default-src 'none'; style-src 'unsafe-inline'; sandbox")
    );
    assert_eq!(logo.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(logo.text, V0_2_LOGO);
    for (path, code) in [
        ("/v1/plugins/contract-v0-1/logo", "logo_not_found"),
        ("/v1/plugins/no-such-plugin/logo", "plugin_not_found"),
    ] {
        let missing = api.get(path).await;
        assert_eq!(
            (missing.status, missing.code()),
            (404, code),
            "{path}: {}",
            missing.text
        );
        assert!(missing.body["message"].is_string(), "{}", missing.text);
    }
    let escaped = api.get("/v1/plugins/%1B%5B31mx/logo").await;
    assert_eq!(escaped.status, 404);
    let message = escaped.body["message"].as_str().unwrap_or_default();
    assert!(message.contains("x") && !message.contains('\u{1b}'), "{message}");
    let anonymous = api.with_token(None).get("/v1/plugins/contract-v0-2/logo").await;
    assert_eq!((anonymous.status, anonymous.code()), (401, "unauthorized"));

    // The daemon sends through the 0.2 plugin, from its example config.
    let mut config: Value = serde_json::from_str(V0_2_EXAMPLE).unwrap();
    config["endpoint"] = json!(format!("{}/sms", endpoint.url()));
    config.as_object_mut().unwrap().remove("authorization");
    let put = api.set_connector("contract-v0-2", &config).await;
    assert_eq!(put.status, 200, "{}", put.text);
    let sent = api.post("/v1/messages", &message_body(TO, "Register", "654321")).await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.body["to"], TO_MASKED);
    let requests = endpoint.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].json()["text"], "Your sign-up code is 654321.");
}
