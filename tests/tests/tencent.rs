//! Tencent Cloud SMS connector, end to end: the real component in the real
//! host (and the real CLI), talking to a Tencent mock on loopback that
//! recomputes every TC3 signature from the bytes it received.

use serde_json::{Map, Value, json};
use smshost::{ConnectorConfig, Error, ErrorCode, OutgoingMessage, PhoneNumber, UsageType};
use smshost_tests::mocks::Mode;
use smshost_tests::mocks::tencent::{
    self, TENCENT_REQUEST_ID, TENCENT_SERIAL_NO, TencentCreds, error_body, number_failure_body, tc3_signature, utc_date,
};
use smshost_tests::write_config;
use smshost_tests::{MockServer, host_with_overrides, load, quick_limits};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::process::Output;
use std::time::{SystemTime, UNIX_EPOCH};

const ID: &str = "tencent-short-message-service";
const API: &str = "https://sms.tencentcloudapi.com";
const SECRET_ID: &str = "AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE";
const SECRET_KEY: &str = "tc-Gu5t9xGARNpq86cd98joQYCN3-secret";
const SDK_APP_ID: &str = "1400000000";
const CHINA: &str = "+8613812345678";
const US: &str = "+14155552671";
const DENMARK: &str = "+4520123456";

fn config() -> Value {
    json!({
        "accessKeyId": SECRET_ID,
        "accessKeySecret": SECRET_KEY,
        "signName": "Logto",
        "sdkAppId": SDK_APP_ID,
        "region": "ap-guangzhou",
        "templates": [
            {"usageType": "SignIn", "templateCode": "1234567"},
            {"usageType": "Register", "templateCode": "1234568"},
            {"usageType": "ForgotPassword", "templateCode": "1234569"},
            {"usageType": "Generic", "templateCode": "1234560"}
        ]
    })
}

async fn tencent_mock() -> (MockServer, smshost_tests::mocks::ModeCell) {
    let templates = [
        ("1234567", 1),
        ("1234568", 1),
        ("1234569", 1),
        ("1234560", 1),
        ("1234561", 1),
        ("2000001", 2),
    ];
    tencent::tencent(TencentCreds {
        secret_id: SECRET_ID.into(),
        secret_key: SECRET_KEY.into(),
        sdk_app_id: SDK_APP_ID.into(),
        templates: templates.iter().map(|(id, n)| (id.to_string(), *n)).collect(),
    })
    .await
}

fn message(to: &str, usage: UsageType) -> OutgoingMessage {
    OutgoingMessage::new(PhoneNumber::parse(to).unwrap(), usage, "123456")
}

fn extras(value: Value) -> Map<String, Value> {
    value.as_object().cloned().unwrap()
}

async fn send_with(
    config: Value,
    mock_addr: SocketAddr,
    message: OutgoingMessage,
) -> smshost::Result<smshost::Receipt> {
    let host = host_with_overrides(&[(API, mock_addr)], quick_limits());
    load(&host, "tencent").await;
    host.connector(ID, ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message)
        .await
}

fn connector_error(error: &Error) -> &smshost::ConnectorError {
    match error {
        Error::Connector { error, .. } => error,
        other => panic!("expected a connector error, got {other:?}"),
    }
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

#[tokio::test]
async fn sends_exactly_what_tencent_expects() {
    let (mock, _) = tencent_mock().await;
    let message = message(CHINA, UsageType::SignIn)
        .with_locale("zh-CN")
        .with_payload(extras(json!({"uiLocales": "zh-CN en"})));
    let receipt = send_with(config(), mock.addr, message).await.expect("sent");
    assert_eq!(receipt.connector, ID);
    assert_eq!(receipt.provider_message_id.as_deref(), Some(TENCENT_SERIAL_NO));
    assert_eq!(
        receipt.summary.get("request_id").map(String::as_str),
        Some(TENCENT_REQUEST_ID)
    );
    assert_eq!(receipt.summary.get("fee").map(String::as_str), Some("1"));
    assert_eq!(receipt.summary.get("iso_code").map(String::as_str), Some("CN"));
    assert!(!receipt.to.contains("13812345"), "{}", receipt.to);

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/");
    assert_eq!(request.query, None);
    assert_eq!(request.header("host"), Some("sms.tencentcloudapi.com"));
    assert_eq!(request.header("content-type"), Some("application/json; charset=utf-8"));
    assert_eq!(request.header("x-tc-action"), Some("SendSms"));
    assert_eq!(request.header("x-tc-version"), Some("2021-01-11"));
    assert_eq!(request.header("x-tc-region"), Some("ap-guangzhou"));
    let timestamp: i64 = request.header("x-tc-timestamp").unwrap().parse().unwrap();
    assert!((now() - timestamp).abs() < 60, "timestamp {timestamp}");
    // Byte for byte: key order, no whitespace, `+` kept, neither `locale`
    // nor `uiLocales` among the parameters.
    assert_eq!(
        request.text(),
        r#"{"SmsSdkAppId":"1400000000","SignName":"Logto","TemplateId":"1234567","TemplateParamSet":["123456"],"PhoneNumberSet":["+8613812345678"]}"#
    );
    assert_eq!(request.json()["TemplateParamSet"], json!(["123456"]));
    let signed = [
        (
            "content-type".to_string(),
            "application/json; charset=utf-8".to_string(),
        ),
        ("host".to_string(), "sms.tencentcloudapi.com".to_string()),
    ];
    let (_, signature) = tc3_signature(SECRET_KEY, "sms", timestamp, "POST", "", &signed, &request.body);
    assert_eq!(
        request.header("authorization").unwrap(),
        format!(
            "TC3-HMAC-SHA256 Credential={SECRET_ID}/{}/sms/tc3_request, SignedHeaders=content-type;host, Signature={signature}",
            utc_date(timestamp)
        )
    );
}

#[tokio::test]
async fn template_params_follow_the_entry_order() {
    let (mock, _) = tencent_mock().await;
    let mut config = config();
    config["templates"][0] =
        json!({"usageType": "SignIn", "templateCode": "2000001", "templateParams": ["code", "minutes"]});
    config["templates"][1] =
        json!({"usageType": "Register", "templateCode": 2000001, "templateParams": ["minutes", "code"]});
    let payload = || extras(json!({"uiLocales": "en-US en", "minutes": 5, "product": "Acme"}));
    send_with(
        config.clone(),
        mock.addr,
        message(US, UsageType::SignIn).with_locale("en").with_payload(payload()),
    )
    .await
    .expect("sent");
    send_with(
        config,
        mock.addr,
        message(US, UsageType::Register)
            .with_locale("en")
            .with_payload(payload()),
    )
    .await
    .expect("sent");
    let requests = mock.requests();
    assert_eq!(requests[0].json()["TemplateParamSet"], json!(["123456", "5"]));
    assert_eq!(requests[0].json()["PhoneNumberSet"], json!([US]));
    assert_eq!(requests[1].json()["TemplateId"], "2000001");
    assert_eq!(requests[1].json()["TemplateParamSet"], json!(["5", "123456"]));
}

#[tokio::test]
async fn falls_back_to_generic_and_picks_the_locale() {
    let (mock, _) = tencent_mock().await;
    let mut config = config();
    config["templates"]
        .as_array_mut()
        .unwrap()
        .push(json!({"usageType": "Generic", "locale": "en", "templateCode": "1234561"}));
    // Logto's Tencent connector has no Generic fallback: these would fail there.
    send_with(
        config.clone(),
        mock.addr,
        message(CHINA, UsageType::BindMfa).with_locale("zh-CN"),
    )
    .await
    .expect("sent");
    send_with(
        config,
        mock.addr,
        message(US, UsageType::MfaVerification).with_locale("en-US"),
    )
    .await
    .expect("sent");
    let requests = mock.requests();
    assert_eq!(requests[0].json()["TemplateId"], "1234560");
    assert_eq!(requests[1].json()["TemplateId"], "1234561");
}

#[tokio::test]
async fn international_number_without_sign_name() {
    let (mock, _) = tencent_mock().await;
    let mut config = config();
    config["signName"] = json!("");
    config["sdkAppId"] = json!(1400000000u64);
    config["region"] = json!("ap-beijing");
    // Logto's digits-only form: the host makes it E.164 before the plugin runs.
    send_with(config, mock.addr, message("4520123456", UsageType::Register))
        .await
        .expect("sent");
    let request = &mock.requests()[0];
    assert_eq!(request.header("x-tc-region"), Some("ap-beijing"));
    assert_eq!(
        request.text(),
        format!(
            r#"{{"SmsSdkAppId":"1400000000","TemplateId":"1234568","TemplateParamSet":["123456"],"PhoneNumberSet":["{DENMARK}"]}}"#
        )
    );
}

#[tokio::test]
async fn request_level_error_reaches_the_caller() {
    let (mock, mode) = tencent_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        error_body(
            "FailedOperation.TemplateIncorrectOrUnapproved",
            "The template is not approved or the template content does not match.",
        ),
    );
    let error = send_with(config(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    let Error::Connector { plugin, error } = &error else {
        panic!("expected a connector error, got {error:?}")
    };
    assert_eq!(plugin, "tencent-short-message-service@0.1.0");
    assert_eq!(error.code, ErrorCode::General);
    assert_eq!(
        error.provider_code.as_deref(),
        Some("FailedOperation.TemplateIncorrectOrUnapproved")
    );
    assert_eq!(error.http_status, Some(200));
    assert_eq!(
        error.message,
        format!(
            "The template is not approved or the template content does not match. (RequestId {TENCENT_REQUEST_ID})"
        )
    );
    assert!(!error.retryable);
}

#[tokio::test]
async fn per_number_daily_limit_is_a_retryable_rate_limit() {
    let (mock, mode) = tencent_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        number_failure_body(
            CHINA,
            "LimitExceeded.PhoneNumberDailyLimit",
            "the number of sms messages sent from a single mobile number every day exceeds the upper limit",
        ),
    );
    let error = send_with(config(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limit_exceeded");
    assert!(error.is_retryable());
    let inner = connector_error(&error);
    assert_eq!(
        inner.provider_code.as_deref(),
        Some("LimitExceeded.PhoneNumberDailyLimit")
    );
    assert!(inner.message.contains("exceeds the upper limit"), "{}", inner.message);
}

#[tokio::test]
async fn api_rate_limit_is_retryable() {
    let (mock, mode) = tencent_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        error_body(
            "RequestLimitExceeded",
            "Your current request times equals to `21` in a second, which exceeds the frequency limit `20` for a second. Please reduce the frequency of calls.",
        ),
    );
    let error = send_with(config(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limit_exceeded");
    assert!(error.is_retryable());
    assert_eq!(
        connector_error(&error).provider_code.as_deref(),
        Some("RequestLimitExceeded")
    );
}

#[tokio::test]
async fn incorrect_number_is_invalid_request_parameters() {
    let (mock, mode) = tencent_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        number_failure_body(
            US,
            "InvalidParameterValue.IncorrectPhoneNumber",
            "incorrect phone number",
        ),
    );
    let error = send_with(config(), mock.addr, message(US, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_request_parameters");
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn wrong_secret_is_a_signature_failure() {
    let (mock, _) = tencent_mock().await;
    let mut config = config();
    config["accessKeySecret"] = json!("not-the-secret-key-123");
    let error = send_with(config, mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    let inner = connector_error(&error);
    assert_eq!(inner.provider_code.as_deref(), Some("AuthFailure.SignatureFailure"));
    assert!(inner.message.contains("could not be validated"), "{}", inner.message);
    let text = format!("{error} {error:?}");
    assert!(
        !text.contains("not-the-secret-key-123") && !text.contains(SECRET_KEY),
        "{text}"
    );
    assert_eq!(mock.requests().len(), 1, "the mock saw it and refused it");
}

#[tokio::test]
async fn unknown_secret_id_is_authorization_failed() {
    let (mock, _) = tencent_mock().await;
    let mut config = config();
    config["accessKeyId"] = json!("AKIDunknown0000000000000000000000000");
    let error = send_with(config, mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    assert_eq!(
        connector_error(&error).provider_code.as_deref(),
        Some("AuthFailure.SecretIdNotFound")
    );
}

#[tokio::test]
async fn logtos_leaked_ui_locales_would_not_match_the_template() {
    // A template entry that names `uiLocales` sends it, and Tencent refuses a
    // one-parameter template with two values: what Logto's connector does
    // whenever the sign-in request carried `ui_locales`.
    let (mock, _) = tencent_mock().await;
    let mut config = config();
    config["templates"][0] =
        json!({"usageType": "SignIn", "templateCode": "1234567", "templateParams": ["code", "uiLocales"]});
    let message = message(CHINA, UsageType::SignIn).with_payload(extras(json!({"uiLocales": "zh-CN en"})));
    let error = send_with(config, mock.addr, message).await.unwrap_err();
    assert_eq!(error.code(), "general");
    assert_eq!(
        connector_error(&error).provider_code.as_deref(),
        Some("FailedOperation.TemplateParamSetNotMatchApprovedTemplate")
    );
}

#[tokio::test]
async fn unreadable_answer_is_invalid_response() {
    let (mock, mode) = tencent_mock().await;
    *mode.lock().unwrap() = Mode::Answer(200, json!({"SendStatusSet": [{"Code": "Ok"}]}));
    let error = send_with(config(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_response");

    *mode.lock().unwrap() = Mode::Answer(200, json!({"Response": {"SendStatusSet": [], "RequestId": "r"}}));
    let error = send_with(config(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_response");
}

#[tokio::test]
async fn invalid_configs_name_the_field_without_the_secret() {
    let (mock, _) = tencent_mock().await;
    let check = |error: &Error, field: &str| {
        assert_eq!(error.code(), "invalid_config", "{error}");
        let text = format!("{error} {error:?}");
        assert!(text.contains(field), "{text}");
        assert!(!text.contains(SECRET_KEY), "{text}");
    };
    for field in ["accessKeyId", "accessKeySecret", "signName", "sdkAppId", "region"] {
        let mut missing = config();
        missing.as_object_mut().unwrap().remove(field);
        let error = send_with(missing, mock.addr, message(CHINA, UsageType::SignIn))
            .await
            .unwrap_err();
        check(&error, &format!("missing field `{field}`"));
    }
    let bad_values = [
        ("accessKeySecret", json!("  ")),
        ("region", json!("")),
        ("region", json!("ap guangzhou")),
        ("sdkAppId", json!("my-app")),
        ("accessKeyId", json!("AKID1, Signature=0")),
    ];
    for (field, value) in bad_values {
        let mut bad = config();
        bad[field] = value;
        let error = send_with(bad, mock.addr, message(CHINA, UsageType::SignIn))
            .await
            .unwrap_err();
        check(&error, &format!("`{field}`"));
    }
    let mut few_templates = config();
    few_templates["templates"] = json!([{"usageType": "SignIn", "templateCode": "1234567"}]);
    let error = send_with(few_templates, mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    check(
        &error,
        "Template with UsageType (Register, ForgotPassword, Generic) should be provided!",
    );
    assert!(mock.requests().is_empty(), "nothing may be sent with a refused config");
}

#[tokio::test]
async fn missing_template_code_is_template_not_found() {
    let (mock, _) = tencent_mock().await;
    let mut config = config();
    config["templates"][0] = json!({"usageType": "SignIn", "content": "{{code}}"});
    let error = send_with(config.clone(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(error.to_string().contains("templateCode"), "{error}");

    config["templates"][0] =
        json!({"usageType": "SignIn", "templateCode": "2000001", "templateParams": ["code", "minutes"]});
    let error = send_with(config.clone(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(error.to_string().contains("minutes"), "{error}");

    // Generic only in German: an English BindMfa send has no template at all.
    config["templates"][3] = json!({"usageType": "Generic", "locale": "de", "templateCode": "1234560"});
    let error = send_with(config, mock.addr, message(CHINA, UsageType::BindMfa).with_locale("en"))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn secrets_echoed_by_the_provider_are_masked() {
    let (mock, mode) = tencent_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        error_body("InvalidParameter", &format!("key {SECRET_KEY} is malformed")),
    );
    let error = send_with(config(), mock.addr, message(CHINA, UsageType::SignIn))
        .await
        .unwrap_err();
    let text = format!("{error} {error:?}");
    assert!(!text.contains(SECRET_KEY), "{text}");
    assert!(text.contains("key ******** is malformed"), "{text}");
}

// The mock's own TC3 code against Tencent's published vectors
// (provider-apis §8.3 C1 and C2), so its verdicts can be trusted.
#[test]
fn mock_signer_reproduces_the_official_vectors() {
    let body = br#"{"Limit": 1, "Filters": [{"Values": ["\u672a\u547d\u540d"], "Name": "instance-name"}]}"#;
    let header = |name: &str, value: &str| (name.to_string(), value.to_string());
    let json_utf8 = header("content-type", "application/json; charset=utf-8");
    let host = header("host", "cvm.tencentcloudapi.com");
    let (hashed, signature) = tc3_signature(
        "Gu5t9xGARNpq86cd98joQYCN3EXAMPLE",
        "cvm",
        1_551_113_065,
        "POST",
        "",
        &[json_utf8.clone(), host.clone()],
        body,
    );
    assert_eq!(
        hashed,
        "5ffe6a04c0664d6b969fab9a13bdab201d63ee709638e2749d62a09ca18d7031"
    );
    assert_eq!(
        signature,
        "72e494ea809ad7a8c8f7a4507b9bddcbaa8e581f516e8da2f66e2c5a96525168"
    );
    let (hashed, signature) = tc3_signature(
        &"*".repeat(32),
        "cvm",
        1_551_113_065,
        "POST",
        "",
        &[json_utf8, host, header("x-tc-action", "DescribeInstances")],
        body,
    );
    assert_eq!(
        hashed,
        "7019a55be8395899b900fb5564e4200d984910f34794a27cb3fb7d10ff6a1e84"
    );
    assert_eq!(
        signature,
        "10b1a37a7301a02ca19a647ad722d5e43b4b3cff309d421d85b46093f6ab6c4f"
    );
    assert_eq!(utc_date(1_551_113_065), "2019-02-25");
    assert_eq!(utc_date(1_700_006_399), "2023-11-14");
    assert_eq!(utc_date(951_782_400), "2000-02-29");
}

/// Posts raw bytes to the mock (as a client other than the plugin would)
/// and returns its JSON answer.
async fn raw_post(addr: SocketAddr, headers: Vec<(String, String)>, body: Vec<u8>) -> Value {
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).unwrap();
        let mut request = format!(
            "POST / HTTP/1.1\r\nHost: sms.tencentcloudapi.com\r\nContent-Length: {}\r\nConnection: close\r\n",
            body.len()
        );
        for (name, value) in &headers {
            request.push_str(&format!("{name}: {value}\r\n"));
        }
        request.push_str("\r\n");
        stream.write_all(request.as_bytes()).unwrap();
        stream.write_all(&body).unwrap();
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).unwrap();
        let text = String::from_utf8(answer).unwrap();
        let (head, body) = text.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 200"), "{head}");
        assert!(
            head.to_ascii_lowercase().contains("content-type: application/json\r\n"),
            "{head}"
        );
        // Small bodies arrive whole; a chunked one would start with its size.
        let json = body
            .find('{')
            .map_or(body, |start| &body[start..body.rfind('}').unwrap() + 1]);
        serde_json::from_str(json).unwrap()
    })
    .await
    .unwrap()
}

fn signed_headers(timestamp: i64, scope_date: &str, secret: &str, body: &[u8]) -> Vec<(String, String)> {
    let content_type = "application/json; charset=utf-8";
    let signed = [
        ("content-type".to_string(), content_type.to_string()),
        ("host".to_string(), "sms.tencentcloudapi.com".to_string()),
    ];
    let (_, signature) = tc3_signature(secret, "sms", timestamp, "POST", "", &signed, body);
    vec![
        ("Content-Type".into(), content_type.into()),
        ("X-TC-Action".into(), "SendSms".into()),
        ("X-TC-Version".into(), "2021-01-11".into()),
        ("X-TC-Region".into(), "ap-guangzhou".into()),
        ("X-TC-Timestamp".into(), timestamp.to_string()),
        (
            "Authorization".into(),
            format!(
                "TC3-HMAC-SHA256 Credential={SECRET_ID}/{scope_date}/sms/tc3_request, SignedHeaders=content-type;host, Signature={signature}"
            ),
        ),
    ]
}

#[tokio::test]
async fn mock_refuses_what_tencent_refuses() {
    let (mock, _) = tencent_mock().await;
    let body = format!(
        r#"{{"SmsSdkAppId":"{SDK_APP_ID}","SignName":"Logto","TemplateId":"1234567","TemplateParamSet":["123456"],"PhoneNumberSet":["{CHINA}"]}}"#
    )
    .into_bytes();
    let code = |answer: &Value| {
        answer["Response"]["Error"]["Code"]
            .as_str()
            .unwrap_or("none")
            .to_string()
    };

    let now = now();
    let answer = raw_post(
        mock.addr,
        signed_headers(now, &utc_date(now), SECRET_KEY, &body),
        body.clone(),
    )
    .await;
    assert_eq!(answer["Response"]["SendStatusSet"][0]["Code"], "Ok", "{answer}");

    let stale = now - 400;
    let answer = raw_post(
        mock.addr,
        signed_headers(stale, &utc_date(stale), SECRET_KEY, &body),
        body.clone(),
    )
    .await;
    assert_eq!(code(&answer), "AuthFailure.SignatureExpire");

    let answer = raw_post(
        mock.addr,
        signed_headers(now, "2019-02-25", SECRET_KEY, &body),
        body.clone(),
    )
    .await;
    assert_eq!(code(&answer), "AuthFailure.InvalidAuthorization");

    let tampered = String::from_utf8(body.clone())
        .unwrap()
        .replace("123456", "654321")
        .into_bytes();
    let answer = raw_post(
        mock.addr,
        signed_headers(now, &utc_date(now), SECRET_KEY, &body),
        tampered,
    )
    .await;
    assert_eq!(code(&answer), "AuthFailure.SignatureFailure");

    let digits = String::from_utf8(body.clone())
        .unwrap()
        .replace("+86", "86")
        .into_bytes();
    let answer = raw_post(
        mock.addr,
        signed_headers(now, &utc_date(now), SECRET_KEY, &digits),
        digits,
    )
    .await;
    assert_eq!(code(&answer), "InvalidParameterValue.IncorrectPhoneNumber");

    let mut other_action = signed_headers(now, &utc_date(now), SECRET_KEY, &body);
    other_action[1].1 = "SendStatusStatistics".into();
    let answer = raw_post(mock.addr, other_action, body.clone()).await;
    assert_eq!(code(&answer), "InvalidAction");

    let mut no_region = signed_headers(now, &utc_date(now), SECRET_KEY, &body);
    no_region.remove(3);
    let answer = raw_post(mock.addr, no_region, body).await;
    assert_eq!(code(&answer), "MissingParameter");
}

// --- through the CLI binary ------------------------------------------------

async fn smshost(args: Vec<String>) -> Output {
    smshost_tests::run_cli(env!("CARGO_BIN_EXE_smshost-cli"), args).await
}

fn cli_send(config: &std::path::Path, mock: &MockServer) -> Vec<String> {
    let route = smshost_tests::route(API, mock);
    let extra = [
        "--locale",
        "zh-CN",
        "--payload",
        r#"{"uiLocales":"zh-CN en"}"#,
        "--override-origin",
        &route,
    ];
    smshost_tests::send_args(ID, config, CHINA, "SignIn", "123456", &extra)
}

fn output_text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test]
async fn cli_send_prints_a_receipt() {
    let (mock, _) = tencent_mock().await;
    let config = write_config("tencent-ok.json", &config());
    let output = smshost(cli_send(&config, &mock)).await;
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let receipt: Value = serde_json::from_str(&stdout).expect("JSON receipt");
    assert_eq!(receipt["connector"], ID);
    assert_eq!(receipt["provider_message_id"], TENCENT_SERIAL_NO);
    assert_eq!(receipt["summary"]["request_id"], TENCENT_REQUEST_ID);
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].json()["TemplateParamSet"], json!(["123456"]));
    assert_eq!(requests[0].header("host"), Some("sms.tencentcloudapi.com"));
    assert!(!format!("{stdout}{stderr}").contains(SECRET_KEY));
}

#[tokio::test]
async fn cli_failures_exit_with_their_codes_and_hide_the_secret() {
    let (mock, _) = tencent_mock().await;
    let mut wrong = config();
    wrong["accessKeySecret"] = json!("cli-wrong-secret-77");
    let path = write_config("tencent-wrong-secret.json", &wrong);
    let output = smshost(cli_send(&path, &mock)).await;
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(5), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.contains("authorization_failed"), "{stderr}");
    assert!(stderr.contains("AuthFailure.SignatureFailure"), "{stderr}");
    assert!(stdout.is_empty());
    assert!(!stderr.contains("cli-wrong-secret-77"), "{stderr}");

    let mut broken = config();
    broken.as_object_mut().unwrap().remove("sdkAppId");
    let path = write_config("tencent-broken.json", &broken);
    let output = smshost(cli_send(&path, &mock)).await;
    let (_, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(3), "stderr: {stderr}");
    assert!(
        stderr.contains("invalid_config") && stderr.contains("sdkAppId"),
        "{stderr}"
    );
    assert!(!stderr.contains(SECRET_KEY), "{stderr}");
    assert_eq!(mock.requests().len(), 1, "only the wrongly signed send reached Tencent");
}

#[tokio::test]
async fn cli_inspect_shows_the_secret_field_and_network_host() {
    let output = smshost(vec!["inspect".into(), ID.into()]).await;
    let (stdout, stderr) = output_text(&output);
    assert_eq!(output.status.code(), Some(0), "stderr: {stderr}");
    let shown: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(shown["network_hosts"], json!([{"origin": API}]));
    assert_eq!(shown["secret_fields"], json!(["accessKeySecret"]));
    assert_eq!(
        shown["config_schema"]["properties"]["accessKeySecret"]["writeOnly"],
        true
    );
}
