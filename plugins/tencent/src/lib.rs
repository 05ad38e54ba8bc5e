//! Tencent Cloud SMS: API 3.0 `SendSms`, version 2021-01-11.
//!
//! `POST https://sms.tencentcloudapi.com/` with a JSON body (`SmsSdkAppId`,
//! `SignName`, `TemplateId`, `TemplateParamSet`, `PhoneNumberSet`), the
//! `X-TC-Action`, `X-TC-Version`, `X-TC-Timestamp` and `X-TC-Region` headers
//! and a `TC3-HMAC-SHA256` `Authorization` computed over the exact body bytes
//! sent (see [`signature`]). Tencent answers HTTP 200 even for failures: a
//! request-level `Response.Error`, or a per-number `Code` other than `Ok` in
//! `Response.SendStatusSet`.
//!
//! Beyond Logto's connector: `Generic` fallback (done by the host), numbers
//! in E.164 with `+`, a template entry may name its parameters
//! (`templateParams`) so multi-parameter templates work and `uiLocales`
//! never leaks in, and Tencent's codes map to rate limiting, auth failure and
//! bad numbers instead of all being `general`.

pub mod signature;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use signature::{Tc3Input, sign};
use smshost_sdk::clock;
use smshost_sdk::config::require_non_empty;
use smshost_sdk::error::from_http_status;
use smshost_sdk::http::snippet;
use smshost_sdk::prelude::*;

/// The API host; the same for every region (the region travels in `X-TC-Region`).
pub const API_HOST: &str = "sms.tencentcloudapi.com";
/// The SendSms API version.
pub const API_VERSION: &str = "2021-01-11";
/// The content type sent and signed; Tencent's own examples use this one.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";
const SERVICE: &str = "sms";

/// The connector's config: Logto's fields, unchanged.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// Tencent SecretId (`AKID…`).
    pub access_key_id: String,
    /// Tencent SecretKey; signs, never sent.
    pub access_key_secret: String,
    /// The approved SMS signature (`SignName`); may be empty for
    /// international SMS, where Tencent does not use one.
    pub sign_name: String,
    /// The SMS application's SdkAppId (`1400…`), as a string or a number.
    #[serde(deserialize_with = "string_or_integer")]
    pub sdk_app_id: String,
    /// `X-TC-Region`, e.g. `ap-guangzhou`.
    pub region: String,
}

/// Accepts `"1400000000"` and `1400000000`: the console shows SdkAppIds as
/// numbers, and a JSON number there should not cost a failed send.
fn string_or_integer<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct Visitor;
    impl serde::de::Visitor<'_> for Visitor {
        type Value = String;
        fn expecting(&self, formatter: &mut std::fmt::Formatter) -> std::fmt::Result {
            formatter.write_str("a string or an integer")
        }
        fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<String, E> {
            Ok(value.to_string())
        }
        fn visit_u64<E: serde::de::Error>(self, value: u64) -> Result<String, E> {
            Ok(value.to_string())
        }
        fn visit_i64<E: serde::de::Error>(self, value: i64) -> Result<String, E> {
            Ok(value.to_string())
        }
    }
    deserializer.deserialize_any(Visitor)
}

/// A template entry: `{"usageType": "SignIn", "templateCode": "1234567",
/// "templateParams": ["code", "minutes"]}`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Template {
    /// Tencent's TemplateId; a string, or a number as the console shows it.
    #[serde(default)]
    template_code: Option<Value>,
    /// Payload names whose values fill the template's `{1}`, `{2}`... in
    /// order; absent means `["code"]`.
    #[serde(default)]
    template_params: Option<Vec<String>>,
}

impl Template {
    fn code(&self, message: &Message) -> Result<String, ConnectorError> {
        let code = match &self.template_code {
            Some(Value::String(code)) => code.trim().to_string(),
            Some(Value::Number(number)) => number.to_string(),
            _ => String::new(),
        };
        if code.is_empty() {
            return Err(ConnectorError::template_not_found(format!(
                "the template for usage type {} has no `templateCode` (a Tencent TemplateId)",
                message.usage.as_logto_str()
            )));
        }
        Ok(code)
    }
}

/// The SendSms body; field order is the byte order sent and signed.
#[derive(Debug, Serialize)]
#[serde(rename_all = "PascalCase")]
struct SendSmsBody<'a> {
    sms_sdk_app_id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    sign_name: Option<&'a str>,
    template_id: String,
    template_param_set: Vec<String>,
    phone_number_set: [&'a str; 1],
}

/// `{"Response": {...}}`, Tencent's envelope for every answer.
#[derive(Debug, Deserialize)]
struct Envelope {
    #[serde(rename = "Response")]
    response: TencentResponse,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TencentResponse {
    #[serde(default)]
    error: Option<TencentError>,
    #[serde(default)]
    send_status_set: Option<Vec<SendStatus>>,
    #[serde(default)]
    request_id: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct TencentError {
    code: String,
    #[serde(default)]
    message: Option<String>,
}

/// One number's outcome.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct SendStatus {
    code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    serial_no: Option<String>,
    #[serde(default)]
    fee: Option<Value>,
    #[serde(default)]
    iso_code: Option<String>,
}

/// The Tencent Cloud SMS connector.
pub struct Tencent;

impl Connector for Tencent {
    type Config = Config;

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "tencent-short-message-service".into(),
            name: "Tencent Short Message Service".into(),
            description: "Tencent Cloud SMS sends verification codes with approved templates through the SendSms API."
                .into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["accessKeyId", "accessKeySecret", "signName", "sdkAppId", "region", "templates"],
                "properties": {
                    "accessKeyId": {"type": "string", "description": "SecretId (AKID…) of a Tencent Cloud API key."},
                    "accessKeySecret": {"type": "string", "writeOnly": true, "description": "SecretKey of that API key."},
                    "signName": {"type": "string", "description": "Approved SMS signature (SignName); may be empty for international SMS."},
                    "sdkAppId": {"type": ["string", "integer"], "description": "SdkAppId of the SMS application (1400…)."},
                    "region": {"type": "string", "description": "X-TC-Region: ap-guangzhou, ap-beijing or ap-nanjing."},
                    "templates": {"type": "array", "items": {"type": "object", "required": ["usageType", "templateCode"],
                        "properties": {
                            "usageType": {"type": "string"},
                            "templateCode": {"type": ["string", "integer"], "description": "Tencent TemplateId."},
                            "templateParams": {"type": "array", "items": {"type": "string"},
                                "description": "Payload names filling the template's parameters in order (default [\"code\"])."},
                            "locale": {"type": "string"}
                        }}}
                }
            })
            .to_string(),
            network_hosts: vec![NetworkHost::Origin(format!("https://{API_HOST}"))],
            uses_templates: true,
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        require_non_empty("accessKeyId", &config.access_key_id)?;
        require_non_empty("accessKeySecret", &config.access_key_secret)?;
        require_non_empty("sdkAppId", &config.sdk_app_id)?;
        require_non_empty("region", &config.region)?;
        // The SecretId is spliced into `Credential=<id>/<date>/...`; a comma,
        // slash or space would change what Tencent parses.
        if !config
            .access_key_id
            .trim()
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            return Err(ConnectorError::invalid_config(
                "invalid config: `accessKeyId` must be a Tencent SecretId (letters and digits, AKID…)",
            ));
        }
        if !config.sdk_app_id.trim().chars().all(|c| c.is_ascii_digit()) {
            return Err(ConnectorError::invalid_config(
                "invalid config: `sdkAppId` must be the SMS application's SdkAppId, digits such as 1400000000",
            ));
        }
        if !config
            .region
            .trim()
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        {
            return Err(ConnectorError::invalid_config(
                "invalid config: `region` must be a Tencent region such as ap-guangzhou",
            ));
        }
        Ok(())
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let response = build_request(&config, message, clock::now_unix())?.send()?;
        read_response(&response)
    }
}

/// The signed SendSms request for `message` at `timestamp` (Unix seconds).
pub fn build_request(config: &Config, message: &Message, timestamp: i64) -> Result<HttpRequest, ConnectorError> {
    let template: Template = message.template()?;
    let template_id = template.code(message)?;
    // Tencent's parameters are positional, so only names the operator listed
    // go in; Logto sent every payload value but `locale`, `uiLocales` included.
    let template_param_set = match template.template_params.as_deref() {
        Some(names) => message
            .template_variables(Some(names))?
            .into_iter()
            .map(|(_, value)| value)
            .collect(),
        None => vec![message.code.clone()],
    };
    let sign_name = config.sign_name.trim();
    let body = SendSmsBody {
        sms_sdk_app_id: config.sdk_app_id.trim(),
        sign_name: (!sign_name.is_empty()).then_some(sign_name),
        template_id,
        template_param_set,
        phone_number_set: [&message.to],
    };
    let body = serde_json::to_vec(&body)
        .map_err(|error| ConnectorError::general(format!("cannot encode the SendSms body: {error}")))?;
    // The host sends the URL's authority as `Host`, also when it routes to a
    // sandbox, so signing the real API host matches what arrives.
    let signed = sign(
        config.access_key_secret.trim(),
        &Tc3Input {
            method: "POST",
            canonical_uri: "/",
            canonical_query: "",
            signed_headers: &[("content-type", CONTENT_TYPE), ("host", API_HOST)],
            payload: &body,
            service: SERVICE,
            timestamp,
        },
    );
    Ok(HttpRequest::post(format!("https://{API_HOST}/"))
        .header("Authorization", signed.authorization(config.access_key_id.trim()))
        .header("X-TC-Action", "SendSms")
        .header("X-TC-Version", API_VERSION)
        .header("X-TC-Timestamp", timestamp.to_string())
        .header("X-TC-Region", config.region.trim())
        .body_bytes(CONTENT_TYPE, body))
}

/// Reads Tencent's answer: `Response.Error`, then the number's status.
fn read_response(response: &HttpResponse) -> Result<Receipt, ConnectorError> {
    let status = response.status;
    let envelope = match serde_json::from_slice::<Envelope>(&response.body) {
        Ok(Envelope { response }) => response,
        Err(_) if !response.is_success() => {
            return Err(from_http_status(
                status,
                format!("Tencent answered HTTP {status}: {}", snippet(&response.text())),
            ));
        }
        Err(error) => {
            return Err(ConnectorError::invalid_response(format!(
                "unreadable Tencent response: {error}: {}",
                snippet(&response.text())
            ))
            .http_status(status));
        }
    };
    let request_id = envelope.request_id.as_deref();
    if let Some(error) = &envelope.error {
        return Err(tencent_error(&error.code, error.message.as_deref(), request_id).http_status(status));
    }
    if !response.is_success() {
        return Err(from_http_status(
            status,
            format!("Tencent answered HTTP {status}: {}", snippet(&response.text())),
        ));
    }
    let Some(sent) = envelope.send_status_set.as_deref().and_then(<[SendStatus]>::first) else {
        return Err(ConnectorError::invalid_response(format!(
            "Tencent's response has no SendStatusSet entry: {}",
            snippet(&response.text())
        ))
        .http_status(status));
    };
    if !sent.code.eq_ignore_ascii_case("ok") {
        return Err(tencent_error(&sent.code, sent.message.as_deref(), request_id).http_status(status));
    }
    let serial = sent.serial_no.clone().filter(|serial| !serial.is_empty());
    let mut receipt = Receipt::new(serial);
    if let Some(request_id) = request_id {
        receipt = receipt.with("request_id", request_id);
    }
    match &sent.fee {
        Some(Value::String(fee)) => receipt = receipt.with("fee", fee),
        Some(fee @ Value::Number(_)) => receipt = receipt.with("fee", fee),
        _ => {}
    }
    if let Some(iso) = sent.iso_code.as_deref().filter(|iso| !iso.is_empty()) {
        receipt = receipt.with("iso_code", iso);
    }
    Ok(receipt)
}

/// Maps a Tencent error code (request-level or per-number) to a connector
/// error carrying the code, Tencent's message and the RequestId.
fn tencent_error(code: &str, message: Option<&str>, request_id: Option<&str>) -> ConnectorError {
    let mut text = match message.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => text.to_string(),
        None => format!("Tencent reported {code}"),
    };
    if let Some(id) = request_id {
        // What Tencent support asks for first.
        text.push_str(&format!(" (RequestId {id})"));
    }
    let error = if code.starts_with("LimitExceeded.") || code.starts_with("RequestLimitExceeded") {
        ConnectorError::rate_limited(text)
    } else if code.starts_with("AuthFailure") {
        ConnectorError::unauthorized(text)
    } else if code == "InvalidParameterValue.IncorrectPhoneNumber" {
        ConnectorError::invalid_request(text)
    } else if code == "FailedOperation.InsufficientBalanceInSmsPackage" {
        ConnectorError::usage_limited(text)
    } else if code.starts_with("InternalError") {
        // Tencent's own fault: another try may well go through.
        ConnectorError::general(text).retryable(true)
    } else {
        ConnectorError::general(text)
    };
    error.provider_code(code)
}

smshost_sdk::export_connector!(Tencent);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> Config {
        Config {
            access_key_id: "AKIDtestsecretid".into(),
            access_key_secret: "testsecretkey".into(),
            sign_name: "Logto".into(),
            sdk_app_id: "1400000000".into(),
            region: "ap-guangzhou".into(),
        }
    }

    fn message(template: &str, payload: &str) -> Message {
        Message {
            to: "+8613812345678".into(),
            usage: UsageType::SignIn,
            template: Some(template.into()),
            code: "123456".into(),
            locale: Some("zh-CN".into()),
            payload: payload.into(),
            client_ip: None,
        }
    }

    fn header<'a>(request: &'a HttpRequest, name: &str) -> Option<&'a str> {
        request
            .headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse {
            status,
            headers: vec![("content-type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// The exact request for a sign-in: body bytes, headers, and a signature
    /// recomputed independently (Python, hmac/hashlib) for this E.164 body.
    #[test]
    fn request_is_exactly_what_tencent_expects() {
        clock::fix(1_700_000_000, "unused");
        let message = message(
            r#"{"usageType":"SignIn","templateCode":"123456"}"#,
            r#"{"code":"123456","locale":"zh-CN","uiLocales":"zh-CN en"}"#,
        );
        let request = build_request(&config(), &message, clock::now_unix()).unwrap();
        clock::unfix();
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://sms.tencentcloudapi.com/");
        assert_eq!(
            String::from_utf8(request.body.clone()).unwrap(),
            r#"{"SmsSdkAppId":"1400000000","SignName":"Logto","TemplateId":"123456","TemplateParamSet":["123456"],"PhoneNumberSet":["+8613812345678"]}"#
        );
        let names: Vec<&str> = request.headers.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "Authorization",
                "X-TC-Action",
                "X-TC-Version",
                "X-TC-Timestamp",
                "X-TC-Region",
                "Content-Type"
            ]
        );
        assert_eq!(header(&request, "x-tc-action"), Some("SendSms"));
        assert_eq!(header(&request, "x-tc-version"), Some("2021-01-11"));
        assert_eq!(header(&request, "x-tc-timestamp"), Some("1700000000"));
        assert_eq!(header(&request, "x-tc-region"), Some("ap-guangzhou"));
        assert_eq!(
            header(&request, "content-type"),
            Some("application/json; charset=utf-8")
        );
        assert_eq!(
            header(&request, "authorization"),
            Some(
                "TC3-HMAC-SHA256 Credential=AKIDtestsecretid/2023-11-14/sms/tc3_request, SignedHeaders=content-type;host, Signature=d05b11228175e35c3d7ead734357240a84771d9cc9266440cbda2f5dc41f1b7d"
            )
        );
        assert!(header(&request, "host").is_none(), "the host sets Host");
    }

    #[test]
    fn named_parameters_in_order_and_numeric_ids() {
        let named = message(
            r#"{"usageType":"SignIn","templateCode":1234567,"templateParams":["minutes","code"]}"#,
            r#"{"code":"654321","locale":"en","minutes":10}"#,
        );
        let mut config = config();
        config.sign_name = " ".into();
        let request = build_request(&config, &named, 1_700_000_000).unwrap();
        assert_eq!(
            String::from_utf8(request.body).unwrap(),
            r#"{"SmsSdkAppId":"1400000000","TemplateId":"1234567","TemplateParamSet":["10","654321"],"PhoneNumberSet":["+8613812345678"]}"#
        );

        let empty = message(r#"{"usageType":"SignIn","templateCode":"7","templateParams":[]}"#, "{}");
        let request = build_request(&config, &empty, 0).unwrap();
        assert!(
            String::from_utf8(request.body)
                .unwrap()
                .contains(r#""TemplateParamSet":[]"#)
        );

        let missing = message(
            r#"{"usageType":"SignIn","templateCode":"7","templateParams":["minutes"]}"#,
            r#"{"code":"1"}"#,
        );
        let error = build_request(&config, &missing, 0).unwrap_err();
        assert_eq!(error.code, ErrorCode::TemplateNotFound);
        assert!(error.message.contains("minutes"), "{}", error.message);
    }

    #[test]
    fn missing_template_code_is_template_not_found() {
        for entry in [
            r#"{"usageType":"SignIn"}"#,
            r#"{"usageType":"SignIn","templateCode":""}"#,
            r#"{"usageType":"SignIn","templateCode":null}"#,
        ] {
            let error = build_request(&config(), &message(entry, r#"{"code":"1"}"#), 0).unwrap_err();
            assert_eq!(error.code, ErrorCode::TemplateNotFound, "{entry}");
            assert!(error.message.contains("templateCode"), "{}", error.message);
        }
    }

    #[test]
    fn success_receipt() {
        let receipt = read_response(&response(
            200,
            r#"{"Response": {"SendStatusSet": [{"SerialNo": "5000:1045710669157053657849499619", "PhoneNumber": "+8618511122233", "Fee": 1, "SessionContext": "test", "Code": "Ok", "Message": "send success", "IsoCode": "CN"}], "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279"}}"#,
        ))
        .unwrap();
        assert_eq!(
            receipt.provider_message_id.as_deref(),
            Some("5000:1045710669157053657849499619")
        );
        assert_eq!(
            receipt.summary,
            vec![
                (
                    "request_id".to_string(),
                    "a0aabda6-cf91-4f3e-a81f-9198114a2279".to_string()
                ),
                ("fee".to_string(), "1".to_string()),
                ("iso_code".to_string(), "CN".to_string()),
            ]
        );
        // Tencent writes `Ok`; any case is accepted.
        assert!(read_response(&response(200, r#"{"Response":{"SendStatusSet":[{"Code":"OK"}]}}"#)).is_ok());
    }

    #[test]
    fn request_level_errors() {
        let error = read_response(&response(
            200,
            r#"{"Response": {"Error": {"Code": "AuthFailure.SignatureFailure", "Message": "The provided credentials could not be validated. Please check your signature is correct."}, "RequestId": "ed93f3cb-f35e-473f-b9f3-0d451b8b79c6"}}"#,
        ))
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::AuthorizationFailed);
        assert_eq!(error.provider_code.as_deref(), Some("AuthFailure.SignatureFailure"));
        assert_eq!(error.http_status, Some(200));
        assert_eq!(
            error.message,
            "The provided credentials could not be validated. Please check your signature is correct. (RequestId ed93f3cb-f35e-473f-b9f3-0d451b8b79c6)"
        );
        assert!(!error.retryable);

        let error = read_response(&response(
            200,
            r#"{"Response":{"Error":{"Code":"RequestLimitExceeded","Message":"slow down"},"RequestId":"r"}}"#,
        ))
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::RateLimitExceeded);
        assert!(error.retryable);

        let error = read_response(&response(
            200,
            r#"{"Response":{"Error":{"Code":"FailedOperation.TemplateIncorrectOrUnapproved","Message":"template not approved"},"RequestId":"r"}}"#,
        ))
        .unwrap_err();
        assert_eq!(error.code, ErrorCode::General);
        assert!(!error.retryable);

        let error = read_response(&response(200, r#"{"Response":{"Error":{"Code":"InternalError"}}}"#)).unwrap_err();
        assert_eq!(error.message, "Tencent reported InternalError");
        assert!(error.retryable);
    }

    #[test]
    fn per_number_errors() {
        let status = |code: &str| {
            read_response(&response(
                200,
                &format!(
                    r#"{{"Response":{{"SendStatusSet":[{{"SerialNo":"","PhoneNumber":"+8613812345678","Fee":0,"SessionContext":"","Code":"{code}","Message":"m","IsoCode":"CN"}}],"RequestId":"r-1"}}}}"#
                ),
            ))
            .unwrap_err()
        };
        let error = status("LimitExceeded.PhoneNumberDailyLimit");
        assert_eq!(error.code, ErrorCode::RateLimitExceeded);
        assert!(error.retryable);
        assert_eq!(
            error.provider_code.as_deref(),
            Some("LimitExceeded.PhoneNumberDailyLimit")
        );
        assert_eq!(error.message, "m (RequestId r-1)");
        assert_eq!(
            status("InvalidParameterValue.IncorrectPhoneNumber").code,
            ErrorCode::InvalidRequestParameters
        );
        assert_eq!(
            status("FailedOperation.InsufficientBalanceInSmsPackage").code,
            ErrorCode::UsageLimitExceeded
        );
        assert_eq!(
            status("FailedOperation.PhoneNumberInBlacklist").code,
            ErrorCode::General
        );
    }

    #[test]
    fn unreadable_answers() {
        for body in [
            "<html>gateway</html>",
            r#"{"ok":true}"#,
            r#"{"Response":{"RequestId":"r"}}"#,
            r#"{"Response":{"SendStatusSet":[],"RequestId":"r"}}"#,
        ] {
            let error = read_response(&response(200, body)).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidResponse, "{body}");
        }
        let error = read_response(&response(502, "<html>bad gateway</html>")).unwrap_err();
        assert_eq!(error.code, ErrorCode::General);
        assert!(error.retryable);
        assert_eq!(error.http_status, Some(502));
        assert!(error.message.contains("bad gateway"), "{}", error.message);
    }

    #[test]
    fn config_checks_name_the_field_and_never_the_secret() {
        let json =
            r#"{"accessKeyId":"AKID1","signName":"Logto","sdkAppId":1400000000,"region":"ap-beijing","templates":[]}"#;
        let error = smshost_sdk::config::parse_config::<Config>(json).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidConfig);
        assert_eq!(error.message, "invalid config: missing field `accessKeySecret`");

        let json = r#"{"accessKeyId":"AKID1","accessKeySecret":"s3cret","signName":"","sdkAppId":1400000000,"region":"ap-beijing"}"#;
        let parsed = smshost_sdk::config::parse_config::<Config>(json).unwrap();
        assert_eq!(parsed.sdk_app_id, "1400000000");
        assert!(Tencent::validate(&parsed).is_ok());

        let json = r#"{"accessKeyId":"AKID1","accessKeySecret":"s3cret","signName":"x","sdkAppId":true,"region":"r"}"#;
        let error = smshost_sdk::config::parse_config::<Config>(json).unwrap_err();
        assert!(error.message.contains("a string or an integer"), "{}", error.message);

        let bad = |edit: fn(&mut Config)| {
            let mut config = config();
            config.access_key_secret = "s3cret-value".into();
            edit(&mut config);
            let error = Tencent::validate(&config).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig);
            assert!(!error.message.contains("s3cret-value"), "{}", error.message);
            error.message
        };
        assert!(bad(|c| c.access_key_secret = " ".into()).contains("`accessKeySecret`"));
        assert!(bad(|c| c.access_key_id = "AKID, Signature=x".into()).contains("`accessKeyId`"));
        assert!(bad(|c| c.sdk_app_id = "app".into()).contains("`sdkAppId`"));
        assert!(bad(|c| c.region = "ap-guangzhou\r\nX: y".into()).contains("`region`"));
        assert!(bad(|c| c.region = String::new()).contains("`region`"));
    }

    #[test]
    fn example_config_is_valid() {
        let config: Config = smshost_sdk::config::parse_config(include_str!("../example-config.json")).unwrap();
        assert!(Tencent::validate(&config).is_ok());
    }

    #[test]
    fn metadata_marks_the_secret() {
        let metadata = Tencent::metadata();
        assert_eq!(metadata.id, "tencent-short-message-service");
        let schema: Value = serde_json::from_str(&metadata.config_schema).unwrap();
        assert_eq!(schema["properties"]["accessKeySecret"]["writeOnly"], true);
        assert!(
            matches!(&metadata.network_hosts[..], [NetworkHost::Origin(origin)] if origin == "https://sms.tencentcloudapi.com")
        );
        assert!(metadata.uses_templates);
    }
}
