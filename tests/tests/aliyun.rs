//! Aliyun SMS connector, end to end: the real component in the real host
//! (and the real CLI), talking to a signature-checking Aliyun mock on
//! loopback through an origin override.

use serde_json::{Map, Value, json};
use smshost::{ConnectorConfig, Error, ErrorCode, OutgoingMessage, PhoneNumber, UsageType};
use smshost_tests::mocks::aliyun::{ALIYUN_BIZ_ID, ALIYUN_REQUEST_ID, AliyunCreds, rpc_signature, rpc_string_to_sign};
use smshost_tests::mocks::{self, Mode};
use smshost_tests::write_config;
use smshost_tests::{MockServer, Recorded, host_with_overrides, load, quick_limits, wasm};
use std::io::{Read, Write};
use std::net::SocketAddr;
use std::path::Path;
use std::process::Output;

const ID: &str = "aliyun-short-message-service";
const ORIGIN: &str = "https://dysmsapi.aliyuncs.com";
const KEY_ID: &str = "LTAI5tSmshostTestKey01";
const SECRET: &str = "aliyun-secret-0123456789abcdef";
const SIGN_NAME: &str = "阿里云短信测试";

fn templates() -> Value {
    json!([
        {"usageType": "SignIn", "templateCode": {"china": "SMS_100001", "overseas": "SMS_200001"}},
        {"usageType": "Register", "templateCode": "SMS_100002", "type": 2},
        {"usageType": "ForgotPassword", "templateCode": "SMS_100003"},
        {"usageType": "Generic", "templateCode": {"china": "SMS_100005", "overseas": "SMS_200005"}}
    ])
}

fn config() -> Value {
    json!({
        "accessKeyId": KEY_ID,
        "accessKeySecret": SECRET,
        "signName": SIGN_NAME,
        "templates": templates(),
    })
}

async fn aliyun_mock() -> (MockServer, mocks::ModeCell) {
    mocks::aliyun::aliyun(AliyunCreds {
        access_key_id: KEY_ID.into(),
        access_key_secret: SECRET.into(),
    })
    .await
}

/// A message as Logto's experience API sends one: `locale` and, when the
/// auth request had `ui_locales`, `uiLocales`.
fn message(to: &str, usage: UsageType) -> OutgoingMessage {
    let mut extra = Map::new();
    extra.insert("uiLocales".into(), json!("zh-CN en"));
    OutgoingMessage::new(PhoneNumber::parse(to).unwrap(), usage, "123456")
        .with_locale("zh-CN")
        .with_payload(extra)
}

async fn send_at(
    config: Value,
    origin: &str,
    mock_addr: SocketAddr,
    message: OutgoingMessage,
) -> smshost::Result<smshost::Receipt> {
    let host = host_with_overrides(&[(origin, mock_addr)], quick_limits());
    load(&host, "aliyun").await;
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
    send_at(config, ORIGIN, mock_addr, message).await
}

fn field(request: &Recorded, name: &str) -> Option<String> {
    request
        .form()
        .into_iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value)
}

fn connector_error(error: &Error) -> &smshost::ConnectorError {
    match error {
        Error::Connector { error, .. } => error,
        other => panic!("expected a connector error, got {other:?}"),
    }
}

fn assert_no_secret(text: &str) {
    assert!(!text.contains(SECRET), "secret leaked: {text}");
}

#[tokio::test]
async fn sends_exactly_what_aliyun_expects() {
    let (mock, _) = aliyun_mock().await;
    let receipt = send_with(config(), mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .expect("sent");
    assert_eq!(receipt.provider_message_id.as_deref(), Some(ALIYUN_BIZ_ID));
    assert_eq!(
        receipt.summary.get("request_id").map(String::as_str),
        Some(ALIYUN_REQUEST_ID)
    );
    assert_eq!(receipt.connector, ID);
    assert!(!receipt.to.contains("13812345678"), "{}", receipt.to);

    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, "/");
    assert_eq!(request.query, None);
    assert_eq!(request.header("host"), Some("dysmsapi.aliyuncs.com"));
    assert_eq!(
        request.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = request.form();
    let names: Vec<&str> = form.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(
        names,
        [
            "Action",
            "Format",
            "RegionId",
            "SignatureMethod",
            "SignatureVersion",
            "Version",
            "AccessKeyId",
            "PhoneNumbers",
            "SignName",
            "TemplateCode",
            "TemplateParam",
            "SignatureNonce",
            "Timestamp",
            "Signature"
        ]
    );
    for (name, value) in [
        ("Action", "SendSms"),
        ("Format", "json"),
        ("RegionId", "cn-hangzhou"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2017-05-25"),
        ("AccessKeyId", KEY_ID),
        // Country code and number, no `+`: unambiguous for Aliyun's
        // mainland and international parsing alike.
        ("PhoneNumbers", "8613812345678"),
        ("SignName", SIGN_NAME),
        ("TemplateCode", "SMS_100001"),
        // Only the template variables: no `locale`, no `uiLocales`.
        ("TemplateParam", r#"{"code":"123456"}"#),
    ] {
        assert_eq!(field(request, name).as_deref(), Some(value), "{name}");
    }
    let nonce = field(request, "SignatureNonce").unwrap();
    let shape: Vec<usize> = nonce.split('-').map(str::len).collect();
    assert_eq!(shape, [8, 4, 4, 4, 12], "UUID nonce: {nonce}");
    assert_eq!(nonce.as_bytes()[14], b'4', "UUID v4: {nonce}");
    let timestamp = field(request, "Timestamp").unwrap();
    assert_eq!(timestamp.len(), 20, "no milliseconds: {timestamp}");
    assert!(
        timestamp.ends_with('Z') && timestamp.as_bytes()[10] == b'T',
        "{timestamp}"
    );
    assert_eq!(
        field(request, "Signature").unwrap(),
        rpc_signature("POST", &form, SECRET)
    );
    // URLSearchParams encoding of the body, as Logto's `got` sends it.
    let text = request.text();
    assert!(
        text.starts_with(
            "Action=SendSms&Format=json&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0\
             &Version=2017-05-25&AccessKeyId=LTAI5tSmshostTestKey01&PhoneNumbers=8613812345678\
             &SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95&TemplateCode=SMS_100001\
             &TemplateParam=%7B%22code%22%3A%22123456%22%7D&SignatureNonce="
        ),
        "{text}"
    );
    assert!(text.contains("&Timestamp=20") && text.contains("%3A"), "{text}");
}

#[test]
fn the_mocks_signature_reproduces_aliyuns_published_vectors() {
    let owned = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    };
    // provider-apis §8.1 A1.
    let a1 = owned(&[
        ("Timestamp", "2016-02-23T12:46:24Z"),
        ("Format", "XML"),
        ("AccessKeyId", "testid"),
        ("Action", "DescribeRegions"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf"),
        ("Version", "2014-05-26"),
        ("SignatureVersion", "1.0"),
    ]);
    assert_eq!(rpc_signature("GET", &a1, "testsecret"), "OLeaidS1JvxuMvnyHOwuJ+uX5qY=");
    // provider-apis §8.1 A2, the SMS documentation's SendSms example.
    let a2 = owned(&[
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureNonce", "45e25e9b-0a6f-4070-8c85-2956eda1b466"),
        ("AccessKeyId", "testId"),
        ("SignatureVersion", "1.0"),
        ("Timestamp", "2017-07-12T02:42:19Z"),
        ("Format", "XML"),
        ("Action", "SendSms"),
        ("Version", "2017-05-25"),
        ("RegionId", "cn-hangzhou"),
        ("PhoneNumbers", "15300000001"),
        ("SignName", "阿里云短信测试专用"),
        ("TemplateParam", r#"{"customer":"test"}"#),
        ("TemplateCode", "SMS_71390007"),
        ("OutId", "123"),
    ]);
    assert_eq!(rpc_signature("GET", &a2, "testSecret"), "zJDF+Lrzhj/ThnlvIToysFRq6t4=");
    // Logto reference §6.5, the SendSms request as the connector sends it.
    let logto = owned(&[
        ("Action", "SendSms"),
        ("Format", "json"),
        ("RegionId", "cn-hangzhou"),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2017-05-25"),
        ("AccessKeyId", "testid"),
        ("PhoneNumbers", "8613812345678"),
        ("SignName", "阿里云短信测试"),
        ("TemplateCode", "SMS_154950909"),
        ("TemplateParam", r#"{"code":"123456"}"#),
        ("SignatureNonce", "c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c"),
        ("Timestamp", "2023-11-14T22:13:20Z"),
    ]);
    assert!(rpc_string_to_sign("POST", &logto).starts_with("POST&%2F&AccessKeyId%3Dtestid%26Action%3DSendSms"));
    assert_eq!(
        rpc_signature("POST", &logto, "testsecret"),
        "TNiWflTTRy1lVafStr/Hp9lK+aA="
    );
}

#[tokio::test]
async fn china_and_overseas_numbers_get_their_template_codes() {
    let (mock, _) = aliyun_mock().await;
    for to in ["+14155552671", "+4520123456", "+8613812345678", "+85268326366"] {
        send_with(config(), mock.addr, message(to, UsageType::SignIn))
            .await
            .unwrap_or_else(|error| panic!("{to}: {error}"));
    }
    // A single code serves every number.
    send_with(config(), mock.addr, message("+4520123456", UsageType::Register))
        .await
        .expect("sent");
    // Strict mode changes nothing now that numbers carry their country code.
    let mut strict = config();
    strict["strictPhoneRegionNumberCheck"] = json!(true);
    send_with(strict.clone(), mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .expect("sent");
    send_with(strict, mock.addr, message("+14155552671", UsageType::SignIn))
        .await
        .expect("sent");

    let seen: Vec<(String, String)> = mock
        .requests()
        .iter()
        .map(|request| {
            (
                field(request, "PhoneNumbers").unwrap(),
                field(request, "TemplateCode").unwrap(),
            )
        })
        .collect();
    let pairs = |list: &[(&str, &str)]| -> Vec<(String, String)> {
        list.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
    };
    assert_eq!(
        seen,
        pairs(&[
            // +1 862…-style numbers were Logto #7050: never China here.
            ("14155552671", "SMS_200001"),
            ("4520123456", "SMS_200001"),
            ("8613812345678", "SMS_100001"),
            // Hong Kong is overseas (Logto #9111).
            ("85268326366", "SMS_200001"),
            ("4520123456", "SMS_100002"),
            ("8613812345678", "SMS_100001"),
            ("14155552671", "SMS_200001"),
        ])
    );
}

#[tokio::test]
async fn unlisted_usage_types_fall_back_to_generic() {
    let (mock, _) = aliyun_mock().await;
    send_with(config(), mock.addr, message("+8613812345678", UsageType::BindMfa))
        .await
        .expect("sent");
    send_with(config(), mock.addr, message("+14155552671", UsageType::MfaVerification))
        .await
        .expect("sent");
    let requests = mock.requests();
    assert_eq!(field(&requests[0], "TemplateCode").as_deref(), Some("SMS_100005"));
    assert_eq!(field(&requests[1], "TemplateCode").as_deref(), Some("SMS_200005"));
    assert_eq!(
        field(&requests[1], "TemplateParam").as_deref(),
        Some(r#"{"code":"123456"}"#)
    );
}

#[tokio::test]
async fn template_params_pick_the_payload_variables() {
    let (mock, _) = aliyun_mock().await;
    let mut config = config();
    config["templates"][0] =
        json!({"usageType": "SignIn", "templateCode": "SMS_100009", "templateParams": ["product", "code"]});
    let mut extra = Map::new();
    extra.insert("product".into(), json!("Acme"));
    extra.insert("campaign".into(), json!("spring"));
    let with_product = message("+4520123456", UsageType::SignIn).with_payload(extra);
    send_with(config.clone(), mock.addr, with_product).await.expect("sent");
    assert_eq!(
        field(&mock.requests()[0], "TemplateParam").as_deref(),
        Some(r#"{"product":"Acme","code":"123456"}"#)
    );

    // A listed variable the payload lacks cannot fill the template.
    let error = send_with(config, mock.addr, message("+4520123456", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(error.to_string().contains("`product`"), "{error}");
    assert_eq!(mock.requests().len(), 1, "nothing sent without the variable");
}

#[tokio::test]
async fn business_failures_arrive_in_a_200_body() {
    let (mock, mode) = aliyun_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        json!({"Message": "invalid mobile number", "RequestId": "84A18172-6B2A-4D0B-A3C2-7BE7E2C3A0C1", "Code": "isv.MOBILE_NUMBER_ILLEGAL"}),
    );
    let error = send_with(config(), mock.addr, message("+4520123456", UsageType::SignIn))
        .await
        .unwrap_err();
    let Error::Connector { plugin, error } = &error else {
        panic!("{error:?}")
    };
    assert_eq!(plugin, "aliyun-short-message-service@0.1.0");
    assert_eq!(error.code, ErrorCode::InvalidRequestParameters);
    assert_eq!(error.provider_code.as_deref(), Some("isv.MOBILE_NUMBER_ILLEGAL"));
    assert_eq!(error.http_status, Some(200));
    assert!(error.message.contains("invalid mobile number"), "{}", error.message);
    assert!(error.message.contains("84A18172"), "{}", error.message);
    assert!(!error.retryable);

    *mode.lock().unwrap() = Mode::Answer(
        200,
        json!({"Message": "签名不合法", "RequestId": ALIYUN_REQUEST_ID, "Code": "isv.SMS_SIGNATURE_ILLEGAL"}),
    );
    let error = send_with(config(), mock.addr, message("+4520123456", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "general");
    assert_eq!(
        connector_error(&error).provider_code.as_deref(),
        Some("isv.SMS_SIGNATURE_ILLEGAL")
    );
    assert!(error.to_string().contains("签名不合法"), "{error}");
}

#[tokio::test]
async fn business_limit_control_is_a_retryable_rate_limit() {
    let (mock, mode) = aliyun_mock().await;
    *mode.lock().unwrap() = Mode::Answer(
        200,
        json!({"Message": "触发小时级流控Permits:5", "RequestId": ALIYUN_REQUEST_ID, "Code": "isv.BUSINESS_LIMIT_CONTROL"}),
    );
    let error = send_with(config(), mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "rate_limit_exceeded");
    assert!(error.is_retryable());
    let reported = connector_error(&error);
    assert_eq!(reported.provider_code.as_deref(), Some("isv.BUSINESS_LIMIT_CONTROL"));
    assert_eq!(reported.http_status, Some(200));
    assert!(reported.message.contains("Permits:5"), "{}", reported.message);
}

#[tokio::test]
async fn a_wrong_secret_fails_the_signature_check() {
    let (mock, _) = aliyun_mock().await;
    let mut config = config();
    config["accessKeySecret"] = json!("not-the-secret-at-all");
    let error = send_with(config, mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    let reported = connector_error(&error);
    assert_eq!(reported.provider_code.as_deref(), Some("SignatureDoesNotMatch"));
    assert_eq!(reported.http_status, Some(400));
    assert!(
        reported
            .message
            .contains("Specified signature is not matched with our calculation."),
        "{}",
        reported.message
    );
    assert!(!error.is_retryable());
    let text = format!("{error} {error:?}");
    assert!(!text.contains("not-the-secret-at-all"), "{text}");
    assert_eq!(mock.requests().len(), 1);
}

#[tokio::test]
async fn an_unknown_access_key_is_refused() {
    let (mock, _) = aliyun_mock().await;
    let mut config = config();
    config["accessKeyId"] = json!("LTAI5tSomebodyElse");
    let error = send_with(config, mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "authorization_failed");
    let reported = connector_error(&error);
    assert_eq!(reported.provider_code.as_deref(), Some("InvalidAccessKeyId.NotFound"));
    assert_eq!(reported.http_status, Some(404));
    assert!(reported.message.contains("Specified access key is not found."));
}

/// Posts `body` to the mock as raw HTTP/1.1 and returns (status, body).
async fn raw_post(addr: SocketAddr, method: &'static str, body: String) -> (u16, Value) {
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connect to the mock");
        let request = format!(
            "{method} / HTTP/1.1\r\nHost: dysmsapi.aliyuncs.com\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        stream.write_all(request.as_bytes()).expect("write");
        let mut answer = String::new();
        stream.read_to_string(&mut answer).expect("read");
        let status = answer
            .split(' ')
            .nth(1)
            .and_then(|code| code.parse().ok())
            .expect("status line");
        let body = answer.split_once("\r\n\r\n").map(|(_, body)| body).unwrap_or_default();
        (status, serde_json::from_str(body).unwrap_or(Value::Null))
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn the_mock_refuses_replays_tampering_and_other_methods() {
    let (mock, _) = aliyun_mock().await;
    send_with(config(), mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .expect("sent");
    let body = mock.requests()[0].text();

    let (status, answer) = raw_post(mock.addr, "POST", body.clone()).await;
    assert_eq!((status, answer["Code"].as_str()), (400, Some("SignatureNonceUsed")));

    let tampered = body.replace("PhoneNumbers=8613812345678", "PhoneNumbers=8613900000000");
    assert_ne!(tampered, body);
    let (status, answer) = raw_post(mock.addr, "POST", tampered).await;
    assert_eq!((status, answer["Code"].as_str()), (400, Some("SignatureDoesNotMatch")));
    assert_eq!(
        answer["Message"],
        "Specified signature is not matched with our calculation."
    );

    let (status, answer) = raw_post(mock.addr, "PUT", body).await;
    assert_eq!((status, answer["Code"].as_str()), (400, Some("UnsupportedHTTPMethod")));
}

#[tokio::test]
async fn unreadable_answers_are_invalid_response() {
    let (mock, mode) = aliyun_mock().await;
    *mode.lock().unwrap() = Mode::Answer(200, json!("<html>maintenance</html>"));
    let error = send_with(config(), mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_response");
    assert!(error.to_string().contains("maintenance"), "{error}");
    assert!(!error.is_retryable());

    *mode.lock().unwrap() = Mode::Answer(200, json!({"Message": "no code here"}));
    let error = send_with(config(), mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "invalid_response");

    // An unreadable body on a non-2xx is classified by its status, as in
    // every connector (this one used to say `invalid_response`).
    *mode.lock().unwrap() = Mode::Answer(503, json!("upstream unavailable"));
    let error = send_with(config(), mock.addr, message("+8613812345678", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "general");
    assert!(error.is_retryable());
    assert_eq!(connector_error(&error).http_status, Some(503));
}

/// One change to a good config.
type ConfigEdit = Box<dyn Fn(&mut Value)>;

#[tokio::test]
async fn invalid_configs_name_the_field_and_never_the_secret() {
    let (mock, _) = aliyun_mock().await;
    let refused = |edit: &dyn Fn(&mut Value)| {
        let mut config = config();
        edit(&mut config);
        let addr = mock.addr;
        async move {
            send_with(config, addr, message("+8613812345678", UsageType::SignIn))
                .await
                .unwrap_err()
        }
    };
    let cases: Vec<(ConfigEdit, &str)> = vec![
        (
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("accessKeySecret");
            }),
            "missing field `accessKeySecret`",
        ),
        (
            Box::new(|c| {
                c.as_object_mut().unwrap().remove("signName");
            }),
            "missing field `signName`",
        ),
        (
            Box::new(|c| c["accessKeyId"] = json!("  ")),
            "`accessKeyId` must not be empty",
        ),
        (
            Box::new(|c| c["accessKeyId"] = json!(42)),
            "`accessKeyId` must be a string",
        ),
        (
            Box::new(|c| c["strictPhoneRegionNumberCheck"] = json!("yes")),
            "`strictPhoneRegionNumberCheck` must be a boolean",
        ),
        (
            Box::new(|c| c["endpoint"] = json!("https://sms.evil.test")),
            "`endpoint` must be an https URL or host name under aliyuncs.com",
        ),
        (
            Box::new(|c| c["endpoint"] = json!("http://dysmsapi.aliyuncs.com")),
            "`endpoint`",
        ),
        (Box::new(|c| c["regionId"] = json!("cn-hangzhou/../x")), "`regionId`"),
        (
            Box::new(|c| c["templates"][0]["templateCode"] = json!(100001)),
            "`templates[0].templateCode` must be a string or an object",
        ),
        (
            Box::new(|c| c["templates"] = json!([{"usageType": "SignIn", "templateCode": "SMS_1"}])),
            "Template with UsageType (Register, ForgotPassword, Generic) should be provided!",
        ),
    ];
    for (edit, expected) in cases {
        let error = refused(&*edit).await;
        assert_eq!(error.code(), "invalid_config", "{error}");
        let text = format!("{error} {error:?}");
        assert!(text.contains(expected), "expected {expected:?} in {text}");
        assert_no_secret(&text);
    }
    assert!(mock.requests().is_empty(), "nothing may be sent with a refused config");
}

#[tokio::test]
async fn a_missing_template_code_is_template_not_found() {
    let (mock, _) = aliyun_mock().await;
    let mut config = config();
    config["templates"][3] = json!({"usageType": "Generic", "type": 2});
    let error = send_with(config.clone(), mock.addr, message("+8613812345678", UsageType::BindMfa))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(
        error
            .to_string()
            .contains("template for usage type BindMfa has no `templateCode`"),
        "{error}"
    );

    // A China-only code cannot serve an overseas number.
    config["templates"][0] = json!({"usageType": "SignIn", "templateCode": {"china": "SMS_100001"}});
    let error = send_with(config.clone(), mock.addr, message("+14155552671", UsageType::SignIn))
        .await
        .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(error.to_string().contains("`templateCode.overseas`"), "{error}");

    // No entry at all: Generic only exists in German (the host's selection).
    config["templates"][3] = json!({"usageType": "Generic", "locale": "de", "templateCode": "SMS_100005"});
    let error = send_with(
        config,
        mock.addr,
        message("+8613812345678", UsageType::BindMfa).with_locale("en"),
    )
    .await
    .unwrap_err();
    assert_eq!(error.code(), "template_not_found");
    assert!(
        error.to_string().contains("Cannot find template for type: BindMfa"),
        "{error}"
    );
    assert!(mock.requests().is_empty());
}

#[tokio::test]
async fn the_international_site_uses_its_endpoint_and_region() {
    let (mock, _) = aliyun_mock().await;
    let mut config = config();
    config["endpoint"] = json!("https://dysmsapi.ap-southeast-1.aliyuncs.com");
    config["regionId"] = json!("ap-southeast-1");
    send_at(
        config,
        "https://dysmsapi.ap-southeast-1.aliyuncs.com",
        mock.addr,
        message("+4520123456", UsageType::SignIn),
    )
    .await
    .expect("sent through the Singapore endpoint");
    let request = &mock.requests()[0];
    assert_eq!(request.header("host"), Some("dysmsapi.ap-southeast-1.aliyuncs.com"));
    assert_eq!(field(request, "RegionId").as_deref(), Some("ap-southeast-1"));
    assert_eq!(field(request, "TemplateCode").as_deref(), Some("SMS_200001"));
}

// ---- the CLI ----

async fn smshost(args: Vec<String>) -> Output {
    smshost_tests::run_cli(env!("CARGO_BIN_EXE_smshost-cli"), args).await
}

fn cli_send(config: &Path, mock: &MockServer, to: &str) -> Vec<String> {
    let plugin = wasm("aliyun").display().to_string();
    let route = smshost_tests::route(ORIGIN, mock);
    let extra = [
        "--locale",
        "zh-CN",
        "--payload",
        r#"{"uiLocales":"zh-CN en"}"#,
        "--override-origin",
        &route,
    ];
    smshost_tests::send_args(&plugin, config, to, "SignIn", "123456", &extra)
}

#[tokio::test]
async fn cli_sends_and_reports_aliyun_failures() {
    let (mock, mode) = aliyun_mock().await;
    let good = write_config("aliyun-ok.json", &config());
    let output = smshost(cli_send(&good, &mock, "+8613812345678")).await;
    assert_eq!(output.status.code(), Some(0), "{}", smshost_tests::output_text(&output));
    let receipt: Value = serde_json::from_slice(&output.stdout).expect("JSON receipt");
    assert_eq!(receipt["provider_message_id"], ALIYUN_BIZ_ID);
    assert_eq!(receipt["connector"], ID);
    let request = &mock.requests()[0];
    assert_eq!(field(request, "TemplateParam").as_deref(), Some(r#"{"code":"123456"}"#));
    assert_eq!(field(request, "PhoneNumbers").as_deref(), Some("8613812345678"));
    assert_no_secret(&smshost_tests::output_text(&output));

    *mode.lock().unwrap() = Mode::Answer(
        200,
        json!({"Message": "触发分钟级流控Permits:1", "RequestId": ALIYUN_REQUEST_ID, "Code": "isv.BUSINESS_LIMIT_CONTROL"}),
    );
    let output = smshost(cli_send(&good, &mock, "+14155552671")).await;
    assert_eq!(output.status.code(), Some(5), "{}", smshost_tests::output_text(&output));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("rate_limit_exceeded"), "{stderr}");
    assert!(stderr.contains("isv.BUSINESS_LIMIT_CONTROL"), "{stderr}");
    assert!(output.stdout.is_empty());
    *mode.lock().unwrap() = Mode::Succeed;

    let mut wrong = config();
    wrong["accessKeySecret"] = json!("cli-wrong-secret-000");
    let wrong = write_config("aliyun-wrong-secret.json", &wrong);
    let output = smshost(cli_send(&wrong, &mock, "+4520123456")).await;
    assert_eq!(output.status.code(), Some(5), "{}", smshost_tests::output_text(&output));
    assert!(
        smshost_tests::output_text(&output).contains("SignatureDoesNotMatch"),
        "{}",
        smshost_tests::output_text(&output)
    );
    assert!(!smshost_tests::output_text(&output).contains("cli-wrong-secret-000"));

    let mut broken = config();
    broken.as_object_mut().unwrap().remove("signName");
    let broken = write_config("aliyun-broken.json", &broken);
    let output = smshost(cli_send(&broken, &mock, "+4520123456")).await;
    assert_eq!(output.status.code(), Some(3), "{}", smshost_tests::output_text(&output));
    assert!(
        smshost_tests::output_text(&output).contains("invalid_config"),
        "{}",
        smshost_tests::output_text(&output)
    );
    assert!(
        smshost_tests::output_text(&output).contains("signName"),
        "{}",
        smshost_tests::output_text(&output)
    );
    assert_no_secret(&smshost_tests::output_text(&output));
    assert_eq!(mock.requests().len(), 3, "the refused config sent nothing");
}

#[tokio::test]
async fn cli_inspect_shows_the_secret_field_and_hosts() {
    let output = smshost(
        ["inspect", &wasm("aliyun").display().to_string()]
            .iter()
            .map(|arg| arg.to_string())
            .collect(),
    )
    .await;
    assert_eq!(output.status.code(), Some(0), "{}", smshost_tests::output_text(&output));
    let shown: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(shown["id"], ID);
    assert_eq!(shown["uses_templates"], true);
    assert_eq!(shown["secret_fields"], json!(["accessKeySecret"]));
    assert_eq!(
        shown["network_hosts"],
        json!([{"origin": "https://dysmsapi.aliyuncs.com"}, {"config_url": "endpoint"}])
    );
}
