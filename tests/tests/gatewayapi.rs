//! GatewayAPI connector, end to end: the real component in the real host (and
//! the real CLI), talking to a GatewayAPI mock on loopback through origin
//! overrides for the global, EU and custom endpoints.

use serde_json::{Value, json};
use smshost::{ConnectorConfig, Error, OutgoingMessage, PhoneNumber, UsageType};
use smshost_tests::mocks::gatewayapi::{
    GATEWAYAPI_INCIDENT, GATEWAYAPI_MESSAGE_ID, GatewayApiCreds, gatewayapi, gatewayapi_error,
};
use smshost_tests::mocks::{Mode, ModeCell};
use smshost_tests::{MockServer, host_with_overrides, load, quick_limits, text_templates};
use std::net::SocketAddr;
use std::process::Output;

const ID: &str = "gatewayapi-sms";
const ORIGIN: &str = "https://gatewayapi.com";
const TOKEN: &str = "gw-secret-token-0d7e21";
const SENDER: &str = "ExampleSMS";

fn config() -> Value {
    json!({
        "endpoint": "https://gatewayapi.com/rest/mtsms",
        "apiToken": TOKEN,
        "sender": SENDER,
        "templates": text_templates(),
    })
}

async fn mock() -> (MockServer, ModeCell) {
    gatewayapi(GatewayApiCreds { token: TOKEN.into() }).await
}

fn message(usage: UsageType) -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse("+4520123456").unwrap(), usage, "123456").with_locale("en")
}

async fn send_via(
    overrides: &[(&str, SocketAddr)],
    config: Value,
    message: OutgoingMessage,
) -> smshost::Result<smshost::Receipt> {
    let host = host_with_overrides(overrides, quick_limits());
    load(&host, "gatewayapi").await;
    host.connector(ID, ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message)
        .await
}

async fn send_with(
    config: Value,
    mock_addr: SocketAddr,
    message: OutgoingMessage,
) -> smshost::Result<smshost::Receipt> {
    send_via(&[(ORIGIN, mock_addr)], config, message).await
}

fn connector_error(error: Error) -> smshost::ConnectorError {
    match error {
        Error::Connector { error, .. } => error,
        other => panic!("expected a connector error, got {other:?}"),
    }
}

#[tokio::test]
async fn sends_exactly_what_gatewayapi_expects() {
    let (mock, _) = mock().await;
    let receipt = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .expect("sent");
    assert_eq!(
        receipt.provider_message_id.as_deref(),
        Some(GATEWAYAPI_MESSAGE_ID.to_string().as_str())
    );
    assert_eq!(receipt.summary.get("currency").map(String::as_str), Some("DKK"));
    assert_eq!(receipt.summary.get("total_cost").map(String::as_str), Some("0.15"));
    assert_eq!(receipt.summary.get("countries").map(String::as_str), Some("DK"));

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/rest/mtsms");
    assert_eq!(request.query, None, "the token must not travel in the URL");
    assert_eq!(request.header("host"), Some("gatewayapi.com"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(request.header("authorization"), Some(format!("Token {TOKEN}").as_str()));
    let body = request.json();
    // `msisdn` is the integer GatewayAPI documents (Logto sends a string).
    assert!(body["recipients"][0]["msisdn"].is_u64(), "{body}");
    assert_eq!(
        request.text(),
        r#"{"sender":"ExampleSMS","message":"Your Logto sign-in verification code is 123456. The code will remain active for 10 minutes.","recipients":[{"msisdn":4520123456}]}"#
    );
}

#[tokio::test]
async fn eu_endpoint_from_the_config() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["endpoint"] = json!("https://gatewayapi.eu/rest/mtsms");
    // Only the EU origin leads to the mock: a request to .com would fail.
    send_via(
        &[("https://gatewayapi.eu", mock.addr)],
        config,
        message(UsageType::Register),
    )
    .await
    .expect("sent via the EU platform");
    let request = &mock.requests()[0];
    assert_eq!(request.header("host"), Some("gatewayapi.eu"));
    assert_eq!(request.path, "/rest/mtsms");
}

#[tokio::test]
async fn endpoint_defaults_to_the_global_platform() {
    let (mock, _) = mock().await;
    let mut config = config();
    config.as_object_mut().unwrap().remove("endpoint");
    send_with(config, mock.addr, message(UsageType::SignIn))
        .await
        .expect("sent via gatewayapi.com");
    assert_eq!(mock.requests()[0].header("host"), Some("gatewayapi.com"));
}

#[tokio::test]
async fn custom_endpoint_is_allowed_by_the_config() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["endpoint"] = json!("https://sms-proxy.example.test/rest/mtsms");
    send_via(
        &[("https://sms-proxy.example.test", mock.addr)],
        config,
        message(UsageType::SignIn),
    )
    .await
    .expect("sent via the custom endpoint");
    assert_eq!(mock.requests()[0].header("host"), Some("sms-proxy.example.test"));

    // A plain-HTTP endpoint on a private address is the operator's call:
    // refused by default, sent once the operator grants it.
    let mut config = self::config();
    config["endpoint"] = json!(format!("{}/rest/mtsms", mock.url()));
    let error = send_via(&[], config.clone(), message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert!(error.to_string().contains("plain HTTP"), "{error}");
    let host = smshost_tests::hardened_test_host(smshost::RuntimeBuilder::new().limits(quick_limits()));
    load(&host, "gatewayapi").await;
    host.connector(ID, ConnectorConfig::from_value(config).unwrap())
        .await
        .unwrap()
        .send(&message(UsageType::SignIn))
        .await
        .expect("sent straight to the granted endpoint");
    assert_eq!(mock.requests().len(), 2);
}

#[tokio::test]
async fn falls_back_to_generic() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["templates"] = json!([
        {"usageType": "SignIn", "content": "in {{code}}"},
        {"usageType": "Register", "content": "reg {{code}}"},
        {"usageType": "ForgotPassword", "content": "fp {{code}}"},
        {"usageType": "Generic", "content": "generic {{code}} {{locale}}"}
    ]);
    send_with(config, mock.addr, message(UsageType::BindMfa))
        .await
        .expect("sent");
    assert_eq!(mock.requests()[0].json()["message"], "generic 123456 en");
}

#[tokio::test]
async fn insufficient_credit_is_usage_limit_with_gatewayapis_code() {
    let (mock, mode) = mock().await;
    *mode.lock().unwrap() = Mode::Answer(403, gatewayapi_error(Some("0x0216"), "Insufficient credit", &[]));
    let error = connector_error(
        send_with(config(), mock.addr, message(UsageType::SignIn))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code.as_str(), "usage_limit_exceeded");
    assert_eq!(error.provider_code.as_deref(), Some("0x0216"));
    assert_eq!(error.http_status, Some(403));
    assert_eq!(
        error.message,
        format!("Insufficient credit (incident {GATEWAYAPI_INCIDENT})")
    );
    assert!(!error.retryable);
}

#[tokio::test]
async fn documented_failures_map_sensibly() {
    let (mock, mode) = mock().await;
    let cases = [
        (
            403,
            gatewayapi_error(Some("0x0217"), "Unauthorized destination: country %1", &["DK"]),
            "invalid_request_parameters",
            "Unauthorized destination: country DK",
        ),
        (
            403,
            gatewayapi_error(Some("0x0213"), "Unauthorized IP-address: %1", &["203.0.113.9"]),
            "authorization_failed",
            "Unauthorized IP-address: 203.0.113.9",
        ),
        (
            403,
            gatewayapi_error(Some("0x0215"), "MSISDN %1 blacklisted", &["4520123456"]),
            "invalid_request_parameters",
            // The host shows the recipient redacted.
            "MSISDN +45******56 blacklisted",
        ),
        (
            422,
            gatewayapi_error(Some("0x0312"), "Messages filtered based on content", &[]),
            "invalid_request_parameters",
            "Messages filtered based on content",
        ),
        (
            500,
            gatewayapi_error(None, "Internal server error", &[]),
            "general",
            "Internal server error",
        ),
    ];
    for (status, body, code, text) in cases {
        *mode.lock().unwrap() = Mode::Answer(status, body);
        let error = connector_error(
            send_with(config(), mock.addr, message(UsageType::SignIn))
                .await
                .unwrap_err(),
        );
        assert_eq!(error.code.as_str(), code, "{text}");
        assert!(error.message.starts_with(text), "{}", error.message);
        assert_eq!(error.http_status, Some(status));
        assert_eq!(error.retryable, status >= 500, "{text}");
    }
}

#[tokio::test]
async fn wrong_token_is_authorization_failed() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["apiToken"] = json!("not-the-token-xyz");
    let error = send_with(config, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains("not-the-token-xyz"), "{text}");
    let error = connector_error(error);
    assert_eq!(error.code.as_str(), "authorization_failed");
    assert_eq!(error.provider_code.as_deref(), Some("0x0229"));
    assert!(error.message.starts_with("Invalid token"), "{}", error.message);
}

#[tokio::test]
async fn rate_limit_is_retryable() {
    let (mock, mode) = mock().await;
    *mode.lock().unwrap() = Mode::Answer(429, gatewayapi_error(None, "Too many requests", &[]));
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limit_exceeded");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn invalid_configs_name_the_field_without_the_secret() {
    let (mock, _) = mock().await;
    for field in ["apiToken", "sender"] {
        let mut missing = config();
        missing.as_object_mut().unwrap().remove(field);
        let error = send_with(missing, mock.addr, message(UsageType::SignIn))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "invalid_config");
        assert!(
            error.to_string().contains(&format!("missing field `{field}`")),
            "{error}"
        );
    }
    for endpoint in ["gatewayapi.com/rest/mtsms", "", "ftp://gatewayapi.com/rest/mtsms"] {
        let mut bad = config();
        bad["endpoint"] = json!(endpoint);
        let error = send_with(bad, mock.addr, message(UsageType::SignIn)).await.unwrap_err();
        assert_eq!(error.code(), "invalid_config", "{endpoint}: {error}");
        let text = format!("{error} {error:?}");
        assert!(text.contains("endpoint"), "{text}");
        assert!(!text.contains(TOKEN), "{text}");
    }
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
        "+14155552671",
        "ForgotPassword",
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
    assert_eq!(receipt["provider_message_id"], GATEWAYAPI_MESSAGE_ID.to_string());
    let body = mock.requests()[0].json();
    assert_eq!(body["recipients"], json!([{"msisdn": 14155552671u64}]));
    assert!(body["message"].as_str().unwrap().contains("654321"));
    assert!(!format!("{stdout}{stderr}").contains(TOKEN));

    *mode.lock().unwrap() = Mode::Answer(403, gatewayapi_error(Some("0x0216"), "Insufficient credit", &[]));
    let output = smshost(cli_send(&config(), "ok.json", &mock)).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("usage_limit_exceeded") && stderr.contains("0x0216") && stderr.contains("Insufficient credit"),
        "{stderr}"
    );
    assert!(!stderr.contains(TOKEN));

    let mut bad = config();
    bad.as_object_mut().unwrap().remove("sender");
    let output = smshost(cli_send(&bad, "bad.json", &mock)).await;
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(all.contains("invalid_config") && all.contains("`sender`"), "{all}");
    assert!(!all.contains(TOKEN), "{all}");
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
    assert_eq!(shown["secret_fields"], json!(["apiToken"]));
    assert_eq!(
        shown["network_hosts"],
        json!([{"origin": "https://gatewayapi.com"}, {"origin": "https://gatewayapi.eu"}, {"config_url": "endpoint"}])
    );
    assert_eq!(shown["uses_templates"], true);
}
