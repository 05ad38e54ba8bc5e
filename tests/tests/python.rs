//! A connector written in Python (examples/python, built by `./test.sh`
//! with componentize-py) in the same host, through the same contract.

use serde_json::json;
use smshost::{ConnectorConfig, OutgoingMessage, PhoneNumber, RuntimeBuilder, UsageType};
use smshost_tests::mocks::{self, Mode};
use smshost_tests::quick_limits;

#[tokio::test]
async fn python_connector_loads_sends_and_reports_failures() {
    let Some(guest) = smshost_tests::built_guest("SMSHOST_PYTHON_GUEST") else {
        return;
    };
    let host = smshost_tests::hardened_test_host(RuntimeBuilder::new().limits(quick_limits()));
    let plugin = host.load_file(&guest).await.expect("the Python component loads");
    assert_eq!(plugin.label(), "python-http-sms@0.1.0");
    assert_eq!(plugin.secret_fields(), ["authorization"]);

    let (mock, mode) = mocks::http_sms(Some("Bearer py-secret-77".into())).await;
    let config = json!({"endpoint": format!("{}/sms", mock.url()), "authorization": "Bearer py-secret-77"});
    let connector = host
        .connector("python-http-sms", ConnectorConfig::from_value(config).unwrap())
        .await
        .unwrap();
    let message = OutgoingMessage::new(
        PhoneNumber::parse("+4520123456").unwrap(),
        UsageType::MfaVerification,
        "123456",
    )
    .with_locale("da")
    .with_client_ip("203.0.113.7");
    let receipt = connector.send(&message).await.expect("sent through Python");
    assert_eq!(receipt.summary.get("status").map(String::as_str), Some("200"));
    let request = &mock.requests()[0];
    assert_eq!(request.header("authorization"), Some("Bearer py-secret-77"));
    assert_eq!(
        request.text(),
        r#"{"to":"+4520123456","type":"MfaVerification","payload":{"code":"123456","locale":"da"},"ip":"203.0.113.7"}"#
    );

    *mode.lock().unwrap() = Mode::Answer(503, json!({"error": "busy"}));
    let error = connector.send(&message).await.unwrap_err();
    assert_eq!(error.code(), "general");
    assert!(error.is_retryable());
    assert!(error.to_string().contains("HTTP 503"), "{error}");

    // The plugin's own validation, in Python.
    let bad = ConnectorConfig::from_value(json!({"endpoint": "http://sms.example.com", "authorization": 5})).unwrap();
    let error = host.connector("python-http-sms", bad).await.unwrap_err();
    assert_eq!(error.code(), "invalid_config");
    assert!(
        error.to_string().contains("`authorization` must be a string"),
        "{error}"
    );
    // The handle made before keeps sending.
    *mode.lock().unwrap() = Mode::Answer(200, json!({"ok": true}));
    connector.send(&message).await.expect("the earlier handle still sends");
}
