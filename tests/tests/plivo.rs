//! Plivo connector (plugins/plivo, JavaScript, built by `./test.sh` with
//! componentize-js), end to end: the real component in the real host,
//! talking to a Plivo mock on loopback through an origin override.

use serde_json::{Value, json};
use smshost::{ConnectorConfig, OutgoingMessage, PhoneNumber, Runtime, UsageType};
use smshost_tests::mocks::plivo::{PLIVO_API_ID, PLIVO_MESSAGE_UUID, PlivoCreds, plivo};
use smshost_tests::mocks::{self, Mode};
use smshost_tests::{MockServer, built_guest, host_with_overrides, quick_limits, text_templates};

const AUTH_ID: &str = "MA0123456789ABCDEFGH";
const TOKEN: &str = "plivo-secret-token-31";

fn config() -> Value {
    json!({"authId": AUTH_ID, "authToken": TOKEN, "senderId": "+14155552671", "templates": text_templates()})
}

fn message() -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse("+4520123456").unwrap(), UsageType::SignIn, "123456").with_locale("en")
}

/// The mock, and a host routing Plivo's API to it with the plugin loaded.
async fn setup() -> Option<(MockServer, mocks::ModeCell, Runtime)> {
    let guest = built_guest("SMSHOST_PLIVO_GUEST")?;
    let (mock, mode) = plivo(PlivoCreds {
        auth_id: AUTH_ID.into(),
        auth_token: TOKEN.into(),
    })
    .await;
    let host = host_with_overrides(&[("https://api.plivo.com", mock.addr)], quick_limits());
    host.load_file(&guest).await.expect("the JavaScript component loads");
    Some((mock, mode, host))
}

async fn send(host: &Runtime, config: Value) -> smshost::Result<smshost::Receipt> {
    host.connector("plivo-sms", ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message())
        .await
}

#[tokio::test]
async fn sends_exactly_what_plivo_expects_and_describes_itself() {
    let Some((mock, _, host)) = setup().await else { return };
    smshost_tests::assert_describes_itself(&host, "plivo-sms", "plivo-sms@0.1.0", &["authToken"]).await;

    let receipt = send(&host, config()).await.expect("sent");
    assert_eq!(receipt.provider_message_id.as_deref(), Some(PLIVO_MESSAGE_UUID));
    assert_eq!(
        receipt.summary.get("status").map(String::as_str),
        Some("message(s) queued")
    );
    assert_eq!(receipt.summary.get("apiId").map(String::as_str), Some(PLIVO_API_ID));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/v1/Account/{AUTH_ID}/Message/"));
    assert_eq!(request.header("host"), Some("api.plivo.com"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(mocks::basic_credentials(request), Some((AUTH_ID.into(), TOKEN.into())));
    assert_eq!(
        request.json(),
        json!({
            "dst": "+4520123456",
            "text": "Your Logto sign-in verification code is 123456. The code will remain active for 10 minutes.",
            "src": "+14155552671"
        })
    );

    let mut powerpack = config();
    powerpack.as_object_mut().unwrap().remove("senderId");
    powerpack["powerpackUuid"] = json!("d35f2e82-d387-427f-8594-6fa07613c43a");
    send(&host, powerpack).await.expect("sent through a Powerpack");
    let body = mock.requests()[1].json();
    assert_eq!(body["powerpack_uuid"], "d35f2e82-d387-427f-8594-6fa07613c43a");
    assert!(body.get("src").is_none(), "{body}");
}

#[tokio::test]
async fn plivo_errors_become_typed_connector_errors() {
    let Some((_mock, mode, host)) = setup().await else {
        return;
    };

    let mut wrong = config();
    wrong["authToken"] = json!("not-the-token");
    let error = send(&host, wrong).await.unwrap_err();
    assert_eq!(error.code(), "authorization_failed", "{error}");
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("401"), "{error}");

    let cases = [
        (
            Mode::Answer(400, json!({"api_id": PLIVO_API_ID, "error": "invalid dst parameter"})),
            "invalid_request_parameters",
            false,
            Some("invalid dst parameter"),
        ),
        (
            Mode::Answer(
                400,
                json!({"api_id": PLIVO_API_ID, "error": "Insufficient credit in your account"}),
            ),
            "usage_limit_exceeded",
            false,
            Some("Insufficient credit"),
        ),
        (
            Mode::Answer(429, json!({"api_id": PLIVO_API_ID, "error": "too many requests"})),
            "rate_limit_exceeded",
            true,
            Some("too many requests"),
        ),
        (
            Mode::Answer(500, json!({"api_id": PLIVO_API_ID, "error": "internal error"})),
            "general",
            true,
            Some("internal error"),
        ),
        (Mode::Text(502, "<html>Bad Gateway</html>"), "general", true, None),
        (
            Mode::Answer(202, json!({"api_id": PLIVO_API_ID})),
            "invalid_response",
            false,
            Some("message_uuid"),
        ),
        (Mode::Text(202, "queued, probably"), "invalid_response", false, None),
        (Mode::Hang, "general", true, Some("timeout")),
    ];
    smshost_tests::assert_failures(&mode, cases.into(), TOKEN, || send(&host, config())).await;
}

#[tokio::test]
async fn invalid_configs_name_the_field() {
    let Some((_mock, _, host)) = setup().await else { return };
    let mut no_sender = config();
    no_sender.as_object_mut().unwrap().remove("senderId");
    let mut bad_id = config();
    bad_id["authId"] = json!("MA../../x");
    let mut token_number = config();
    token_number["authToken"] = json!(42);
    let cases = vec![
        (json!({"templates": text_templates()}), "`authId` is required"),
        (no_sender, "`senderId` or `powerpackUuid` is required"),
        (bad_id, "`authId` must be letters and digits only"),
        (token_number, "`authToken` must be a string"),
    ];
    smshost_tests::assert_config_refusals(&host, "plivo-sms", cases).await;
}
