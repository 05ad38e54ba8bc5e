//! Vonage connector, end to end: the real component in the real host (and
//! the real CLI), talking to a Vonage SMS API mock on loopback through an
//! origin override. Vonage answers HTTP 200 even when a message fails.

use serde_json::{Value, json};
use smshost::{ConnectorConfig, Error, OutgoingMessage, PhoneNumber, UsageType};
use smshost_tests::mocks::vonage::{VONAGE_MESSAGE_ID, VonageCreds, vonage, vonage_failure};
use smshost_tests::mocks::{Mode, ModeCell};
use smshost_tests::{MockServer, host_with_overrides, load, quick_limits, text_templates};
use std::process::Output;

const ID: &str = "vonage-sms";
const ORIGIN: &str = "https://rest.nexmo.com";
const API_KEY: &str = "a1b2c3d4";
const API_SECRET: &str = "vonage-secret-9c4b7e";
const BRAND: &str = "Acme";

fn config() -> Value {
    json!({"apiKey": API_KEY, "apiSecret": API_SECRET, "brandName": BRAND, "templates": text_templates()})
}

async fn mock() -> (MockServer, ModeCell) {
    vonage(VonageCreds {
        api_key: API_KEY.into(),
        api_secret: API_SECRET.into(),
    })
    .await
}

fn message(usage: UsageType) -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse("+4520123456").unwrap(), usage, "123456").with_locale("en")
}

async fn send_with(
    config: Value,
    mock_addr: std::net::SocketAddr,
    message: OutgoingMessage,
) -> smshost::Result<smshost::Receipt> {
    let host = host_with_overrides(&[(ORIGIN, mock_addr)], quick_limits());
    load(&host, "vonage").await;
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

fn with_generic(content: &str) -> Value {
    let mut config = config();
    config["templates"] = json!([
        {"usageType": "SignIn", "content": "in {{code}}"},
        {"usageType": "Register", "content": "reg {{code}}"},
        {"usageType": "ForgotPassword", "content": "fp {{code}}"},
        {"usageType": "Generic", "content": content}
    ]);
    config
}

#[tokio::test]
async fn sends_exactly_what_vonage_expects() {
    let (mock, _) = mock().await;
    let receipt = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .expect("sent");
    assert_eq!(receipt.provider_message_id.as_deref(), Some(VONAGE_MESSAGE_ID));
    assert_eq!(receipt.summary.get("message-count").map(String::as_str), Some("1"));
    assert_eq!(
        receipt.summary.get("message-price").map(String::as_str),
        Some("0.03330000")
    );
    assert_eq!(
        receipt.summary.get("remaining-balance").map(String::as_str),
        Some("15.46670000")
    );

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/sms/json");
    assert_eq!(request.query, None, "credentials must not travel in the URL");
    assert_eq!(request.header("host"), Some("rest.nexmo.com"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(request.header("authorization"), None);
    let text = "Your Logto sign-in verification code is 123456. The code will remain active for 10 minutes.";
    assert_eq!(
        request.form(),
        vec![
            ("from".to_string(), BRAND.to_string()),
            ("to".to_string(), "4520123456".to_string()),
            ("text".to_string(), text.to_string()),
            ("api_key".to_string(), API_KEY.to_string()),
            ("api_secret".to_string(), API_SECRET.to_string()),
        ]
    );
    assert!(
        request
            .text()
            .starts_with("from=Acme&to=4520123456&text=Your+Logto+sign-in"),
        "{}",
        request.text()
    );
}

#[tokio::test]
async fn switches_to_unicode_only_when_gsm7_cannot_carry_the_text() {
    let (mock, _) = mock().await;
    let cases = [
        ("Код {{code}}", Some("unicode")),
        ("验证码 {{code}}", Some("unicode")),
        ("Fête {{code}}", Some("unicode")),
        ("Vérification {{code}} à Zürich", None),
        ("Price {{code}} € {in braces} [x] ~|^\\", None),
    ];
    for (index, (content, expected)) in cases.iter().enumerate() {
        send_with(with_generic(content), mock.addr, message(UsageType::Generic))
            .await
            .expect("sent");
        let form = mock.requests()[index].form();
        let kind = form.iter().find(|(k, _)| k == "type").map(|(_, v)| v.as_str());
        assert_eq!(kind, *expected, "{content}");
        let text = form.iter().find(|(k, _)| k == "text").map(|(_, v)| v.clone());
        assert_eq!(text, Some(content.replace("{{code}}", "123456")));
    }

    // 71 Cyrillic characters take two unicode parts; Vonage bills both.
    let long = format!("{} {{{{code}}}}", "ж".repeat(64));
    let receipt = send_with(with_generic(&long), mock.addr, message(UsageType::Generic))
        .await
        .expect("sent");
    assert_eq!(receipt.summary.get("message-count").map(String::as_str), Some("2"));
    assert_eq!(
        receipt.summary.get("message-price").map(String::as_str),
        Some("0.06660000")
    );
    assert_eq!(receipt.provider_message_id.as_deref(), Some(VONAGE_MESSAGE_ID));
}

#[tokio::test]
async fn falls_back_to_generic() {
    let (mock, _) = mock().await;
    send_with(
        with_generic("generic {{code}} {{locale}}"),
        mock.addr,
        message(UsageType::OrganizationInvitation),
    )
    .await
    .expect("sent");
    let form = mock.requests()[0].form();
    assert!(
        form.contains(&("text".to_string(), "generic 123456 en".to_string())),
        "{form:?}"
    );
}

#[tokio::test]
async fn a_failed_message_in_a_200_carries_vonages_status_and_text() {
    let (mock, mode) = mock().await;
    *mode.lock().unwrap() = Mode::Answer(200, vonage_failure("7", "Number barred."));
    let error = connector_error(
        send_with(config(), mock.addr, message(UsageType::SignIn))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code.as_str(), "invalid_request_parameters");
    assert_eq!(error.message, "Number barred.");
    assert_eq!(error.provider_code.as_deref(), Some("7"));
    assert_eq!(error.http_status, Some(200));
    assert!(!error.retryable);

    *mode.lock().unwrap() = Mode::Answer(200, vonage_failure("9", "Quota Exceeded - rejected"));
    let error = connector_error(
        send_with(config(), mock.addr, message(UsageType::SignIn))
            .await
            .unwrap_err(),
    );
    assert_eq!(error.code.as_str(), "usage_limit_exceeded");
    assert_eq!(error.provider_code.as_deref(), Some("9"));

    *mode.lock().unwrap() = Mode::Answer(200, vonage_failure("15", "Illegal Sender Address - rejected"));
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_request_parameters");
    assert!(error.to_string().contains("Illegal Sender Address"), "{error}");
}

#[tokio::test]
async fn throttling_is_rate_limit_and_retryable() {
    let (mock, mode) = mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        vonage_failure("1", "Throughput Rate Exceeded - please wait [ 250 ] and retry"),
    );
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limit_exceeded");
    assert!(error.is_retryable());
    assert!(error.to_string().contains("Throughput Rate Exceeded"), "{error}");
}

#[tokio::test]
async fn wrong_secret_is_authorization_failed() {
    let (mock, _) = mock().await;
    let mut config = config();
    config["apiSecret"] = json!("not-the-secret-123");
    let error = send_with(config, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains("not-the-secret-123"), "{text}");
    let error = connector_error(error);
    assert_eq!(error.code.as_str(), "authorization_failed");
    assert_eq!(error.message, "Bad Credentials");
    assert_eq!(error.provider_code.as_deref(), Some("4"));
    assert_eq!(error.http_status, Some(200));
}

#[tokio::test]
async fn invalid_configs_name_the_field_without_the_secret() {
    let (mock, _) = mock().await;
    for field in ["apiKey", "apiSecret", "brandName"] {
        let mut missing = config();
        missing.as_object_mut().unwrap().remove(field);
        let error = send_with(missing, mock.addr, message(UsageType::SignIn))
            .await
            .unwrap_err();
        assert_eq!(error.code(), "invalid_config");
        let text = format!("{error} {error:?}");
        assert!(text.contains(&format!("missing field `{field}`")), "{text}");
        assert!(!text.contains(API_SECRET), "{text}");
    }
    let mut blank = config();
    blank["brandName"] = json!("  ");
    let error = send_with(blank, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(error.to_string().contains("`brandName`"), "{error}");
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
        "SignIn",
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
    assert_eq!(receipt["provider_message_id"], VONAGE_MESSAGE_ID);
    assert_eq!(receipt["summary"]["message-count"], "1");
    let form = mock.requests()[0].form();
    assert!(
        form.contains(&("to".to_string(), "14155552671".to_string())),
        "{form:?}"
    );
    let all = format!("{stdout}{stderr}");
    assert!(!all.contains(API_SECRET) && !all.contains(API_KEY), "{all}");

    *mode.lock().unwrap() = Mode::Answer(200, vonage_failure("4", "Bad Credentials"));
    let output = smshost(cli_send(&config(), "ok.json", &mock)).await;
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(5), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("authorization_failed") && stderr.contains("Bad Credentials"),
        "{stderr}"
    );
    assert!(!stderr.contains(API_SECRET));

    let mut bad = config();
    bad.as_object_mut().unwrap().remove("apiSecret");
    let output = smshost(cli_send(&bad, "bad.json", &mock)).await;
    let all = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(3), "{all}");
    assert!(all.contains("invalid_config") && all.contains("apiSecret"), "{all}");
    assert!(!all.contains(API_KEY), "{all}");
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
    assert_eq!(shown["secret_fields"], json!(["apiKey", "apiSecret"]));
    assert_eq!(shown["network_hosts"], json!([{"origin": "https://rest.nexmo.com"}]));
    assert_eq!(shown["uses_templates"], true);
}
