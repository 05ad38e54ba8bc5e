//! Sinch connector (plugins/sinch, Python, built by `./test.sh` with
//! componentize-py), end to end: the real component in the real host,
//! talking to a Sinch mock on loopback through an origin override.

use serde_json::{Value, json};
use smshost::{ConnectorConfig, OutgoingMessage, PhoneNumber, Runtime, UsageType};
use smshost_tests::mocks::sinch::{SINCH_BATCH_ID, SinchCreds, sinch};
use smshost_tests::mocks::{Mode, ModeCell};
use smshost_tests::{MockServer, built_guest, host_with_overrides, quick_limits, text_templates};

const PLAN: &str = "jd63jf88477ll123ab4567cd89012ef3";
const TOKEN: &str = "sinch-secret-token-58";

fn config() -> Value {
    json!({"servicePlanId": PLAN, "apiToken": TOKEN, "from": "Acme", "region": "eu", "templates": text_templates()})
}

fn message() -> OutgoingMessage {
    OutgoingMessage::new(
        PhoneNumber::parse("+4520123456").unwrap(),
        UsageType::Register,
        "123456",
    )
    .with_locale("en")
}

/// The mock for `region`, and a host routing that region's API to it with
/// the plugin loaded.
async fn setup(region: &str) -> Option<(MockServer, ModeCell, Runtime)> {
    let guest = built_guest("SMSHOST_SINCH_GUEST")?;
    let host_name = format!("{region}.sms.api.sinch.com");
    let (mock, mode) = sinch(SinchCreds {
        service_plan_id: PLAN.into(),
        api_token: TOKEN.into(),
        host: host_name.clone(),
    })
    .await;
    let host = host_with_overrides(&[(&format!("https://{host_name}"), mock.addr)], quick_limits());
    host.load_file(&guest).await.expect("the Python component loads");
    Some((mock, mode, host))
}

async fn send(host: &Runtime, config: Value) -> smshost::Result<smshost::Receipt> {
    host.connector("sinch-sms", ConnectorConfig::from_value(config).unwrap())
        .await?
        .send(&message())
        .await
}

#[tokio::test]
async fn sends_exactly_what_sinch_expects_and_describes_itself() {
    let Some((mock, _, host)) = setup("eu").await else {
        return;
    };
    smshost_tests::assert_describes_itself(&host, "sinch-sms", "sinch-sms@0.1.0", &["apiToken"]).await;

    let receipt = send(&host, config()).await.expect("sent");
    assert_eq!(receipt.provider_message_id.as_deref(), Some(SINCH_BATCH_ID));
    assert_eq!(receipt.summary.get("type").map(String::as_str), Some("mt_text"));
    let requests = mock.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method, "POST");
    assert_eq!(request.path, format!("/xms/v1/{PLAN}/batches"));
    assert_eq!(request.header("host"), Some("eu.sms.api.sinch.com"));
    assert_eq!(request.header("content-type"), Some("application/json"));
    assert_eq!(
        request.header("authorization"),
        Some(format!("Bearer {TOKEN}").as_str())
    );
    assert_eq!(
        request.json(),
        json!({
            "to": ["+4520123456"],
            "body": "Your Logto sign-up verification code is 123456. The code will remain active for 10 minutes.",
            "from": "Acme"
        })
    );
}

#[tokio::test]
async fn the_default_region_is_us_and_from_is_optional() {
    let Some((mock, _, host)) = setup("us").await else {
        return;
    };
    let mut config = config();
    let object = config.as_object_mut().unwrap();
    object.remove("region");
    object.remove("from");
    send(&host, config).await.expect("sent to the US region");
    let request = &mock.requests()[0];
    assert_eq!(request.header("host"), Some("us.sms.api.sinch.com"));
    assert!(request.json().get("from").is_none(), "{}", request.text());
}

#[tokio::test]
async fn sinch_errors_become_typed_connector_errors() {
    let Some((_mock, mode, host)) = setup("eu").await else {
        return;
    };

    let mut wrong = config();
    wrong["apiToken"] = json!("not-the-token");
    let error = send(&host, wrong).await.unwrap_err();
    assert_eq!(error.code(), "authorization_failed", "{error}");
    assert!(!error.is_retryable());

    let cases = [
        (
            Mode::Answer(
                400,
                json!({"code": "syntax_invalid_parameter_format", "text": "Parameter 'to' is not valid"}),
            ),
            "invalid_request_parameters",
            false,
            Some("syntax_invalid_parameter_format"),
        ),
        (
            Mode::Answer(
                403,
                json!({"code": "blocked_account", "text": "Your account is blocked"}),
            ),
            "authorization_failed",
            false,
            Some("blocked"),
        ),
        (
            Mode::Answer(403, json!({"code": "insufficient_credit", "text": "Out of credit"})),
            "usage_limit_exceeded",
            false,
            Some("Out of credit"),
        ),
        (
            Mode::Answer(429, json!({"code": "too_many_requests", "text": "Slow down"})),
            "rate_limit_exceeded",
            true,
            Some("Slow down"),
        ),
        (Mode::Text(500, "Internal Server Error"), "general", true, None),
        (Mode::Text(201, "not json"), "invalid_response", false, None),
        (Mode::Hang, "general", true, Some("timeout")),
    ];
    smshost_tests::assert_failures(&mode, cases.into(), TOKEN, || send(&host, config())).await;
}

#[tokio::test]
async fn invalid_configs_name_the_field() {
    let Some((_mock, _, host)) = setup("eu").await else {
        return;
    };
    let mut region = config();
    region["region"] = json!("mars");
    let mut plan = config();
    plan["servicePlanId"] = json!("a/b");
    let cases = vec![
        (json!({"templates": text_templates()}), "`servicePlanId` is required"),
        (
            json!({"servicePlanId": PLAN, "templates": text_templates()}),
            "`apiToken` is required",
        ),
        (region, "`region` must be one of us, eu, au, br, ca"),
        (plan, "`servicePlanId` must be letters and digits only"),
    ];
    smshost_tests::assert_config_refusals(&host, "sinch-sms", cases).await;
}
