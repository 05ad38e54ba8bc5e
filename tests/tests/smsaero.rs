//! SMS Aero connector, end to end: the real component in the real host (and
//! the real CLI), talking to an SMS Aero mock on loopback through an origin
//! override.

use serde_json::{Value, json};
use smshost::{ConnectorConfig, Error, OutgoingMessage, PhoneNumber, UsageType};
use smshost_tests::mocks::smsaero::{SMSAERO_MESSAGE_ID, SmsAeroCreds, smsaero, smsaero_unauthorized};
use smshost_tests::mocks::{Mode, ModeCell, basic_credentials};
use smshost_tests::{MockServer, host_with_overrides, load, quick_limits, text_templates};
use std::process::Output;

const ID: &str = "smsaero-short-message-service";
const ORIGIN: &str = "https://gate.smsaero.ru";
const EMAIL: &str = "admin@smsaero.ru";
const API_KEY: &str = "aero-secret-key-5f1c9e";
const SENDER: &str = "SMS Aero";
const TO: &str = "+79031234567";

fn config() -> Value {
    json!({"email": EMAIL, "apiKey": API_KEY, "senderName": SENDER, "templates": text_templates()})
}

async fn mock() -> (MockServer, ModeCell) {
    smsaero(SmsAeroCreds {
        email: EMAIL.into(),
        api_key: API_KEY.into(),
    })
    .await
}

fn message(usage: UsageType) -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse(TO).expect("a valid Russian mobile"), usage, "123456").with_locale("ru")
}

async fn send_with(
    config: Value,
    mock_addr: std::net::SocketAddr,
    message: OutgoingMessage,
) -> smshost::Result<smshost::Receipt> {
    let host = host_with_overrides(&[(ORIGIN, mock_addr)], quick_limits());
    load(&host, "smsaero").await;
    host.connector(ID, ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message)
        .await
}

fn connector_error(error: Error) -> smshost::ConnectorError {
    match error {
        Error::Connector { error, .. } => error,
        other => panic!("expected a connector error, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_exactly_what_smsaero_expects() {
    let (mock, _) = mock().await;
    let receipt = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .expect("sent");
    assert_eq!(
        receipt.provider_message_id.as_deref(),
        Some(SMSAERO_MESSAGE_ID.to_string().as_str())
    );
    assert_eq!(receipt.summary.get("extendStatus").map(String::as_str), Some("queue"));
    assert_eq!(receipt.summary.get("cost").map(String::as_str), Some("5.49"));
    assert_eq!(receipt.to, "+79*******67");

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/v2/sms/send");
    assert_eq!(request.query, None);
    assert_eq!(request.header("host"), Some("gate.smsaero.ru"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        basic_credentials(request),
        Some((EMAIL.to_string(), API_KEY.to_string()))
    );
    let body = request.json();
    // `number` is a JSON integer, as SMS Aero's official Python SDK sends it.
    assert!(body["number"].is_u64(), "{body}");
    assert_eq!(
        body,
        json!({
            "number": 79031234567u64,
            "sign": SENDER,
            "text": "Your Logto sign-in verification code is 123456. The code will remain active for 10 minutes."
        })
    );
    assert_eq!(
        request.text(),
        r#"{"number":79031234567,"sign":"SMS Aero","text":"Your Logto sign-in verification code is 123456. The code will remain active for 10 minutes."}"#
    );
}

#[tokio::test]
async fn falls_back_to_generic_unlike_logto() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["templates"] = json!([
        {"usageType": "SignIn", "content": "in {{code}}"},
        {"usageType": "Register", "content": "reg {{code}}"},
        {"usageType": "ForgotPassword", "content": "fp {{code}}"},
        {"usageType": "Generic", "content": "Код подтверждения: {{ code }}"}
    ]);
    send_with(config, mock.addr, message(UsageType::MfaVerification))
        .await
        .expect("MfaVerification falls back to Generic");
    assert_eq!(mock.requests()[0].json()["text"], "Код подтверждения: 123456");
}

#[tokio::test]
async fn success_false_in_a_200_is_an_error_with_smsaeros_message() {
    let (mock, mode) = mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        json!({"success": false, "data": null, "message": "Sign is not approved"}),
    );
    let error = connector_error(
        send_with(config(), mock.addr, message(UsageType::SignIn))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code.as_str(), "general");
    assert_eq!(error.message, "Sign is not approved");
    assert_eq!(error.http_status, Some(200));
    assert!(!error.retryable);
}

#[tokio::test]
async fn validation_and_balance_failures() {
    let (mock, mode) = mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        400,
        json!({"success": false, "data": {"number": ["Invalid number."]}, "message": "Validation error."}),
    );
    let error = connector_error(
        send_with(config(), mock.addr, message(UsageType::SignIn))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code.as_str(), "invalid_request_parameters");
    assert_eq!(error.message, "Validation error. (number: Invalid number.)");
    assert_eq!(error.http_status, Some(400));

    // The legacy body both official SDKs still turn into "no money".
    *mode.lock().unwrap() = Mode::Answer(200, json!({"result": "no credits"}));
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "usage_limit_exceeded");
    assert!(error.to_string().contains("no credits"), "{error}");
}

#[tokio::test]
async fn wrong_api_key_is_authorization_failed() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["apiKey"] = json!("not-the-key-at-all");
    let error = send_with(config, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains("not-the-key-at-all"), "{text}");
    let error = connector_error(error);
    assert_eq!(error.code.as_str(), "authorization_failed");
    assert_eq!(error.http_status, Some(401));
    assert_eq!(error.message, smsaero_unauthorized()["message"].as_str().unwrap());
}

#[tokio::test]
async fn rate_limit_is_retryable_and_server_errors_too() {
    let (mock, mode) = mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        429,
        json!({"success": false, "data": null, "message": "Too many requests."}),
    );
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limit_exceeded");
    assert!(error.is_retryable());
    assert!(error.to_string().contains("Too many requests."), "{error}");

    *mode.lock().unwrap() = Mode::Answer(503, json!({"name": "Service Unavailable", "status": 503}));
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "general");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn invalid_configs_name_the_field_without_the_secret() {
    let (mock, _) = mock().await;
    let mut missing = config();
    missing.as_object_mut().unwrap().remove("apiKey");
    let error = send_with(missing, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(error.to_string().contains("missing field `apiKey`"), "{error}");

    for (field, value) in [("email", json!("admin-at-smsaero.ru")), ("senderName", json!(""))] {
        let mut bad = config();
        bad[field] = value;
        let error = send_with(bad, mock.addr, message(UsageType::SignIn)).await.unwrap_err();
        assert_eq!(error.code(), "invalid_config", "{field}");
        let text = format!("{error} {error:?}");
        assert!(text.contains(&format!("`{field}`")), "{text}");
        assert!(!text.contains(API_KEY), "{text}");
    }

    let mut wrong_type = config();
    wrong_type["apiKey"] = json!(12345);
    let error = send_with(wrong_type, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(!error.to_string().contains("12345"), "{error}");
    assert!(mock.requests().is_empty(), "nothing may be sent with a refused config");
}

#[tokio::test]
async fn template_without_content_is_template_not_found() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["templates"][0] = json!({"usageType": "SignIn", "text": "{{code}}"});
    let error = send_with(config, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(error.to_string().contains("content"), "{error}");
    assert!(mock.requests().is_empty());
}

async fn smshost(args: Vec<String>) -> Output {
    smshost_tests::run_cli(env!("CARGO_BIN_EXE_smshost-cli"), args).await
}

fn cli_send(config: &Value, name: &str, mock: &MockServer) -> Vec<String> {
    let path = smshost_tests::write_config(name, config);
    let route = smshost_tests::route(ORIGIN, mock);
    smshost_tests::send_args(
        ID,
        &path,
        "79031234567",
        "Register",
        "654321",
        &["--override-origin", &route],
    )
}

#[tokio::test]
async fn cli_sends_and_reports_failures() {
    let (mock, mode) = mock().await;
    let output = smshost(cli_send(&config(), "ok.json", &mock)).await;
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let receipt: Value = serde_json::from_str(&stdout).expect("JSON receipt");
    assert_eq!(receipt["connector"], ID);
    assert_eq!(receipt["provider_message_id"], SMSAERO_MESSAGE_ID.to_string());
    let body = mock.requests()[0].json();
    assert_eq!(body["number"], json!(79031234567u64));
    assert!(body["text"].as_str().unwrap().contains("654321"));
    assert!(!format!("{stdout}{stderr}").contains(API_KEY));

    *mode.lock().unwrap() = Mode::Answer(
        200,
        json!({"success": false, "data": null, "message": "Sign is not approved"}),
    );
    let output = smshost(cli_send(&config(), "ok.json", &mock)).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("general") && stderr.contains("Sign is not approved"),
        "{stderr}"
    );

    let mut bad = config();
    bad["email"] = json!("nobody");
    let output = smshost(cli_send(&bad, "bad.json", &mock)).await;
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(all.contains("invalid_config") && all.contains("`email`"), "{all}");
    assert!(!all.contains(API_KEY), "{all}");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn inspect_shows_secrets_and_hosts() {
    let output = smshost(vec!["inspect".to_string(), ID.to_string()]).await;
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["secret_fields"], json!(["apiKey"]));
    assert_eq!(shown["network_hosts"], json!([{"origin": "https://gate.smsaero.ru"}]));
    assert_eq!(shown["uses_templates"], true);
}
