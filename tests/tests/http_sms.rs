//! HTTP SMS connector, end to end against an operator endpoint on loopback.

use serde_json::{Value, json};
use smshost::{ConnectorConfig, OutgoingMessage, PhoneNumber, UsageType};
use smshost_tests::mocks::{self, Mode};
use smshost_tests::{MockServer, load, quick_limits};

async fn send(config: Value, message: OutgoingMessage) -> smshost::Result<smshost::Receipt> {
    // The operator's endpoint is a loopback mock over plain HTTP: granted.
    let host = smshost_tests::hardened_test_host(smshost::RuntimeBuilder::new().limits(quick_limits()));
    load(&host, "http_sms").await;
    host.connector("http-sms", ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message)
        .await
}

fn endpoint(mock: &MockServer) -> String {
    format!("{}/sms", mock.url())
}

fn sign_in() -> OutgoingMessage {
    let mut extra = serde_json::Map::new();
    extra.insert("uiLocales".into(), json!("fr-CA fr"));
    OutgoingMessage::new(PhoneNumber::parse("+4520123456").unwrap(), UsageType::SignIn, "123456")
        .with_locale("fr")
        .with_payload(extra)
        .with_client_ip("203.0.113.7")
}

#[tokio::test]
async fn posts_the_logto_body_with_the_verbatim_authorization() {
    let (mock, _) = mocks::http_sms(Some("Bearer hook-secret-1".into())).await;
    let config = json!({"endpoint": endpoint(&mock), "authorization": "Bearer hook-secret-1"});
    let receipt = send(config, sign_in()).await.expect("sent");
    assert_eq!(receipt.summary.get("status").map(String::as_str), Some("200"));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!((request.method.as_str(), request.path.as_str()), ("POST", "/sms"));
    assert_eq!(request.header("authorization"), Some("Bearer hook-secret-1"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.text(),
        r#"{"to":"+4520123456","type":"SignIn","payload":{"code":"123456","locale":"fr","uiLocales":"fr-CA fr"},"ip":"203.0.113.7"}"#
    );
}

#[tokio::test]
async fn digits_format_and_no_authorization() {
    let (mock, _) = mocks::http_sms(None).await;
    let config = json!({"endpoint": endpoint(&mock), "phoneFormat": "digits"});
    let message = OutgoingMessage::new(PhoneNumber::parse("14155552671").unwrap(), UsageType::Generic, "000000");
    send(config, message).await.expect("sent");
    let request = &mock.requests()[0];
    assert_eq!(request.header("authorization"), None);
    assert_eq!(
        request.text(),
        r#"{"to":"14155552671","type":"Generic","payload":{"code":"000000"}}"#
    );
}

#[tokio::test]
async fn endpoint_failure_carries_the_status_and_body() {
    let (mock, mode) = mocks::http_sms(None).await;
    *mode.lock().unwrap() = Mode::Answer(500, json!({"error": "queue full"}));
    let error = send(json!({"endpoint": endpoint(&mock)}), sign_in()).await.unwrap_err();
    assert_eq!(error.code(), "general");
    assert!(error.is_retryable());
    assert!(error.to_string().contains("HTTP 500"), "{error}");
    assert!(error.to_string().contains("queue full"), "{error}");

    let (strict, _) = mocks::http_sms(Some("Bearer right".into())).await;
    let error = send(
        json!({"endpoint": endpoint(&strict), "authorization": "Bearer wrong-value"}),
        sign_in(),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    assert!(!error.to_string().contains("wrong-value"), "{error}");
}

#[tokio::test]
async fn endpoint_is_required_and_must_be_http() {
    let error = send(json!({"authorization": "x"}), sign_in()).await.unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(error.to_string().contains("missing field `endpoint`"), "{error}");
    let error = send(json!({"endpoint": "ftp://example.com/sms"}), sign_in())
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(error.to_string().contains("endpoint"), "{error}");
    let error = send(json!({"endpoint": 42}), sign_in()).await.unwrap_err();
    assert_eq!(error.code(), "invalid_config");
}
