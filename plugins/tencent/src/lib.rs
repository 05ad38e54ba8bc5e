#![doc = include_str!("../README.md")]

pub mod signature;

use serde::{Deserialize, Serialize};
use signature::{Tc3Input, sign};
use smshost_sdk::clock;
use smshost_sdk::http::snippet;
use smshost_sdk::prelude::*;

/// The API host; the same for every region (the region travels in `X-TC-Region`).
pub const API_HOST: &str = "sms.tencentcloudapi.com";
/// The SendSms API version.
pub const API_VERSION: &str = "2021-01-11";
/// The content type sent and signed; Tencent's own examples use this one.
pub const CONTENT_TYPE: &str = "application/json; charset=utf-8";
const SERVICE: &str = "sms";

/// The config: Logto's fields, unchanged (described in the schema).
/// `signName` may be empty for international SMS; `sdkAppId` may be a
/// number, as the console shows it; `templates` is parsed so that a
/// malformed `templateCode` or `templateParams` is refused on save.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    sdk_app_id: StringOrNumber,
    region: String,
    access_key_id: String,
    access_key_secret: String,
    sign_name: String,
    #[serde(default)]
    #[expect(dead_code, reason = "parsed only to refuse malformed entries")]
    templates: Vec<CodeTemplate>,
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
    fee: Option<StringOrNumber>,
    #[serde(default)]
    iso_code: Option<String>,
}

/// The Tencent Cloud SMS connector.
pub struct Tencent;

/// True when `text` is non-empty and every character passes `allowed`.
fn only(text: &str, allowed: impl Fn(char) -> bool) -> bool {
    !text.is_empty() && text.chars().all(allowed)
}

impl Connector for Tencent {
    type Config = Config;

    fn metadata() -> Metadata {
        let schema = Schema::object()
            .string("accessKeyId", "SecretId (AKID…) of a Tencent Cloud API key.")
            .secret("accessKeySecret", "SecretKey of that API key.")
            .string("signName", "Approved SMS signature; may be empty abroad.")
            .may_be_empty()
            .string_or_integer("sdkAppId", "SdkAppId of the SMS application (1400…).")
            .string("region", "X-TC-Region: ap-guangzhou, ap-beijing or ap-nanjing.")
            .templates(Templates::code::<StringOrNumber>(Params::Positional));
        let origin = format!("https://{API_HOST}");
        Metadata::new("tencent-short-message-service", "Tencent Short Message Service")
            .origin(origin)
            .schema(schema)
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        // The SecretId is spliced into `Credential=<id>/<date>/...`; a comma,
        // slash or space would change what Tencent parses.
        if !only(config.access_key_id.trim(), |c| {
            c.is_ascii_alphanumeric() || c == '-' || c == '_'
        }) {
            return Err(ConnectorError::invalid_field(
                "accessKeyId",
                "must be a Tencent SecretId (letters and digits, AKID…)",
            ));
        }
        if !only(config.sdk_app_id.trim(), |c| c.is_ascii_digit()) {
            return Err(ConnectorError::invalid_field(
                "sdkAppId",
                "must be the SMS application's SdkAppId, digits such as 1400000000",
            ));
        }
        if !only(config.region.trim(), |c| {
            c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'
        }) {
            return Err(ConnectorError::invalid_field(
                "region",
                "must be a Tencent region such as ap-guangzhou",
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
    let template: CodeTemplate = message.template()?;
    let template_id = template.code(message)?;
    // Tencent's parameters are positional, so only names the operator listed
    // go in; Logto sent every payload value but `locale`, `uiLocales` included.
    let template_param_set = template.positional_params(message)?;
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
    let Envelope { response: answer } = response.read_json()?;
    let request_id = answer.request_id.as_deref();
    if let Some(error) = answer.error {
        return Err(tencent_error(response, error.code, error.message, request_id));
    }
    if !response.is_success() {
        return Err(ProviderError::new("Tencent", response).build());
    }
    let Some(sent) = answer.send_status_set.and_then(|set| set.into_iter().next()) else {
        return Err(ConnectorError::invalid_response(format!(
            "Tencent's response has no SendStatusSet entry: {}",
            snippet(&response.text())
        ))
        .http_status(response.status));
    };
    if !sent.code.eq_ignore_ascii_case("ok") {
        return Err(tencent_error(response, sent.code, sent.message, request_id));
    }
    Ok(Receipt::new(sent.serial_no.filter(|serial| !serial.is_empty()))
        .with_some("request_id", request_id)
        .with_some("fee", sent.fee)
        .with_some("iso_code", sent.iso_code))
}

/// Maps a Tencent error code (request-level or per-number) to a connector
/// error carrying the code, Tencent's message and the RequestId (what
/// Tencent support asks for first).
fn tencent_error(
    response: &HttpResponse,
    code: String,
    message: Option<String>,
    request_id: Option<&str>,
) -> ConnectorError {
    ProviderError::new("Tencent", response)
        .code(Some(code))
        .message(message)
        .note(request_id.map(|id| format!("RequestId {id}")))
        .classify(|code| {
            let code = code?;
            Some(
                if code.starts_with("LimitExceeded.") || code.starts_with("RequestLimitExceeded") {
                    Kind::RateLimited
                } else if code.starts_with("AuthFailure") {
                    Kind::Unauthorized
                } else if code == "InvalidParameterValue.IncorrectPhoneNumber" {
                    Kind::InvalidRequest
                } else if code == "FailedOperation.InsufficientBalanceInSmsPackage" {
                    Kind::UsageLimited
                } else if code.starts_with("InternalError") {
                    // Tencent's own fault: another try may well go through.
                    Kind::Transient
                } else {
                    return None;
                },
            )
        })
}

smshost_sdk::export_connector!(Tencent, logo = "logo.svg");

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    fn config() -> Config {
        Config {
            access_key_id: "AKIDtestsecretid".into(),
            access_key_secret: "testsecretkey".into(),
            sign_name: "Logto".into(),
            sdk_app_id: "1400000000".into(),
            region: "ap-guangzhou".into(),
            templates: Vec::new(),
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
        assert_eq!(error.message, "missing field `accessKeySecret`");

        let json = r#"{"accessKeyId":"AKID1","accessKeySecret":"s3cret","signName":"","sdkAppId":1400000000,"region":"ap-beijing"}"#;
        let parsed = smshost_sdk::config::parse_config::<Config>(json).unwrap();
        assert_eq!(parsed.sdk_app_id, "1400000000");
        assert!(Tencent::validate(&parsed).is_ok());

        let json = r#"{"accessKeyId":"AKID1","accessKeySecret":"s3cret","signName":"x","sdkAppId":true,"region":"r"}"#;
        let error = smshost_sdk::config::parse_config::<Config>(json).unwrap_err();
        assert_eq!(error.message, "`sdkAppId` must be a string or a number");

        let bad = |edit: fn(&mut Config)| {
            let mut config = config();
            config.access_key_secret = "s3cret-value".into();
            edit(&mut config);
            let error = Tencent::validate(&config).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig);
            assert!(!error.message.contains("s3cret-value"), "{}", error.message);
            error.message
        };
        assert!(bad(|c| c.access_key_id = "AKID, Signature=x".into()).contains("`accessKeyId`"));
        assert!(bad(|c| c.sdk_app_id = "app".into()).contains("`sdkAppId`"));
        assert!(bad(|c| c.region = "ap-guangzhou\r\nX: y".into()).contains("`region`"));
        assert!(bad(|c| c.region = String::new()).contains("`region`"));
        // Blank required strings are the schema's to refuse, before `validate`.
        let blank = r#"{"accessKeyId":"AKID1","accessKeySecret":" ","signName":"","sdkAppId":1,"region":"r"}"#;
        let error = smshost_sdk::config::checked::<Tencent>(blank).unwrap_err();
        assert_eq!(error.message, "`accessKeySecret` must not be empty");
    }

    #[test]
    fn metadata_marks_the_secret() {
        let metadata = Tencent::metadata().into_wit(&smshost_sdk::metadata::Crate::TEST);
        assert_eq!(metadata.id, "tencent-short-message-service");
        let schema: Value = serde_json::from_str(&metadata.config_schema).unwrap();
        assert_eq!(schema["properties"]["accessKeySecret"]["writeOnly"], true);
        assert!(
            matches!(&metadata.network_hosts[..], [NetworkHost::Origin(origin)] if origin == "https://sms.tencentcloudapi.com")
        );
        assert!(metadata.uses_templates);
    }
}
