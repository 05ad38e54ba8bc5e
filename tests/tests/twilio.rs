//! Twilio connector, end to end: the real component in the real host,
//! talking to a Twilio mock on loopback through an origin override.

use serde_json::{Value, json};
use smshost::{ConnectorConfig, Error, ErrorCode, OutgoingMessage, PhoneNumber, UsageType};
use smshost_tests::mocks::{self, Mode, TWILIO_MESSAGE_SID, TwilioCreds};
use smshost_tests::{MockServer, closed_port, host_with_overrides, load, quick_limits, text_templates};

const SID: &str = "AC0123456789abcdef0123456789abcdef";
const TOKEN: &str = "tw-secret-token-42";
const SERVICE: &str = "MG0123456789abcdef0123456789abcdef";

fn config() -> Value {
    json!({
        "accountSID": SID,
        "authToken": TOKEN,
        "fromMessagingServiceSID": SERVICE,
        "templates": text_templates(),
    })
}

async fn twilio_mock() -> (MockServer, mocks::ModeCell) {
    mocks::twilio(TwilioCreds {
        account_sid: SID.into(),
        auth_token: TOKEN.into(),
    })
    .await
}

fn message(usage: UsageType) -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse("4520123456").unwrap(), usage, "123456").with_locale("en")
}

async fn send_with(
    config: Value,
    mock_addr: std::net::SocketAddr,
    message: OutgoingMessage,
) -> smshost::Result<smshost::Receipt> {
    let host = host_with_overrides(&[("https://api.twilio.com", mock_addr)], quick_limits());
    load(&host, "twilio").await;
    host.connector(
        "twilio-short-message-service",
        ConnectorConfig::from_value(config).unwrap(),
    )
    .await?
    .send(&message)
    .await
}

#[tokio::test]
async fn sends_exactly_what_twilio_expects() {
    let (mock, _) = twilio_mock().await;
    let receipt = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .expect("sent");
    assert_eq!(receipt.provider_message_id.as_deref(), Some(TWILIO_MESSAGE_SID));
    assert_eq!(receipt.summary.get("status").map(String::as_str), Some("accepted"));
    assert_eq!(receipt.to, "+45******56");

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/2010-04-01/Accounts/{SID}/Messages.json"));
    assert_eq!(request.header("host"), Some("api.twilio.com"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        mocks::basic_credentials(request),
        Some((SID.to_string(), TOKEN.to_string()))
    );
    assert_eq!(
        request.form(),
        vec![
            ("To".to_string(), "+4520123456".to_string()),
            ("MessagingServiceSid".to_string(), SERVICE.to_string()),
            (
                "Body".to_string(),
                "Your Logto sign-in verification code is 123456. The code will remain active for 10 minutes."
                    .to_string()
            ),
            ("RiskCheck".to_string(), "enable".to_string()),
        ]
    );
    // URLSearchParams encoding, byte for byte.
    assert!(
        request.text().starts_with("To=%2B4520123456&MessagingServiceSid="),
        "{}",
        request.text()
    );
    assert!(
        request
            .text()
            .contains("Body=Your+Logto+sign-in+verification+code+is+123456.+The")
    );
}

#[tokio::test]
async fn falls_back_to_generic_and_honours_sender_and_risk_check() {
    let (mock, _) = twilio_mock().await;
    let mut config = config();
    config["from"] = json!("Acme");
    config["disableRiskCheck"] = json!(true);
    config["templates"] = json!([
        {"usageType": "SignIn", "content": "in {{code}}"},
        {"usageType": "Register", "content": "reg {{code}}"},
        {"usageType": "ForgotPassword", "content": "fp {{code}}"},
        {"usageType": "Generic", "content": "generic {{ code }} {{locale}} {{application.name}}"},
        {"usageType": "Generic", "locale": "fr", "content": "générique {{code}}"}
    ]);
    send_with(config.clone(), mock.addr, message(UsageType::BindMfa))
        .await
        .expect("sent");
    send_with(
        config,
        mock.addr,
        message(UsageType::MfaVerification).with_locale("fr-CA"),
    )
    .await
    .expect("sent");
    let requests = mock.requests();
    let form = requests[0].form();
    let field = |form: &[(String, String)], name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    assert_eq!(field(&form, "Body").unwrap(), "generic 123456 en {{application.name}}");
    assert_eq!(field(&form, "From").unwrap(), "Acme");
    assert_eq!(field(&form, "RiskCheck").unwrap(), "disable");
    assert_eq!(field(&requests[1].form(), "Body").unwrap(), "générique 123456");
}

#[tokio::test]
async fn regional_api_host_is_used_and_allowed() {
    let (mock, _) = twilio_mock().await;
    let mut config = config();
    config["apiHost"] = json!("api.dublin.ie1.twilio.com");
    let host = host_with_overrides(&[("https://api.dublin.ie1.twilio.com", mock.addr)], quick_limits());
    load(&host, "twilio").await;
    let connector = host
        .connector(
            "twilio-short-message-service",
            ConnectorConfig::from_value(config).unwrap(),
        )
        .await
        .unwrap();
    connector
        .send(&message(UsageType::SignIn))
        .await
        .expect("sent via the IE1 edge");
    assert_eq!(mock.requests()[0].header("host"), Some("api.dublin.ie1.twilio.com"));
}

#[tokio::test]
async fn twilio_error_code_and_message_reach_the_caller() {
    let (mock, mode) = twilio_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        400,
        json!({"code": 21211, "message": "The 'To' number +4520123456 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}),
    );
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    let Error::Connector { plugin, error } = error else {
        panic!("expected a connector error, got {error:?}")
    };
    assert_eq!(plugin, "twilio-short-message-service@0.1.0");
    assert_eq!(error.code, ErrorCode::InvalidRequestParameters);
    assert_eq!(error.provider_code.as_deref(), Some("21211"));
    assert_eq!(error.http_status, Some(400));
    assert!(
        error.message.contains("is not a valid phone number"),
        "{}",
        error.message
    );
    assert!(!error.retryable);
}

#[tokio::test]
async fn rate_limit_is_retryable() {
    let (mock, mode) = twilio_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        429,
        json!({"code": 20429, "message": "Too Many Requests", "status": 429}),
    );
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limit_exceeded");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn server_error_is_general_and_retryable() {
    let (mock, mode) = twilio_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        500,
        json!({"code": 20500, "message": "Internal Server Error", "status": 500}),
    );
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "general");
    assert!(error.is_retryable());
    assert!(error.to_string().contains("Internal Server Error"), "{error}");
}

#[tokio::test]
async fn wrong_token_is_authorization_failed() {
    let (mock, _) = twilio_mock().await;
    let mut config = config();
    config["authToken"] = json!("not-the-token");
    let error = send_with(config, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    let Error::Connector { error, .. } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(error.provider_code.as_deref(), Some("20003"));
}

#[tokio::test]
async fn a_hanging_provider_times_out() {
    let (mock, mode) = twilio_mock().await;
    *mode.lock().unwrap() = Mode::Hang;
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "general");
    assert!(error.is_retryable());
    assert!(error.to_string().contains("did not answer in time"), "{error}");
}

#[tokio::test]
async fn connection_refused_is_reported() {
    let error = send_with(config(), closed_port(), message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "general");
    assert!(error.is_retryable());
    assert!(error.to_string().contains("could not connect"), "{error}");
}

#[tokio::test]
async fn invalid_configs_name_the_field() {
    let (mock, _) = twilio_mock().await;
    let mut missing_token = config();
    missing_token.as_object_mut().unwrap().remove("authToken");
    let error = send_with(missing_token, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(error.to_string().contains("missing field `authToken`"), "{error}");

    let mut few_templates = config();
    few_templates["templates"] = json!([{"usageType": "SignIn", "content": "{{code}}"}]);
    let error = send_with(few_templates, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(
        error
            .to_string()
            .contains("Template with UsageType (Register, ForgotPassword, Generic) should be provided!"),
        "{error}"
    );
    assert!(mock.requests().is_empty(), "nothing may be sent with a refused config");
}

#[tokio::test]
async fn missing_template_is_template_not_found() {
    let (mock, _) = twilio_mock().await;
    let mut config = config();
    // Generic exists only in German: an English BindMfa send has no template.
    config["templates"] = json!([
        {"usageType": "SignIn", "content": "{{code}}"},
        {"usageType": "Register", "content": "{{code}}"},
        {"usageType": "ForgotPassword", "content": "{{code}}"},
        {"usageType": "Generic", "locale": "de", "content": "{{code}}"}
    ]);
    let error = send_with(config.clone(), mock.addr, message(UsageType::BindMfa))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(
        error.to_string().contains("Cannot find template for type: BindMfa"),
        "{error}"
    );

    // An entry without the connector's field is template_not_found too.
    config["templates"][0] = json!({"usageType": "SignIn", "text": "{{code}}"});
    let error = send_with(config, mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(error.to_string().contains("content"), "{error}");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn secrets_echoed_by_the_provider_are_masked() {
    let (mock, mode) = twilio_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        400,
        json!({"code": 20001, "message": format!("token {TOKEN} rejected"), "status": 400}),
    );
    let error = send_with(config(), mock.addr, message(UsageType::SignIn))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains(TOKEN), "{text}");
    assert!(text.contains("token ******** rejected"), "{text}");
}
