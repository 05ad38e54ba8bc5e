#![doc = include_str!("../README.md")]

pub mod signature;

use serde::Deserialize;
use smshost_sdk::clock;
use smshost_sdk::prelude::*;
use smshost_sdk::template::{Region, RegionalCode};

const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com";
const DEFAULT_REGION: &str = "cn-hangzhou";
const ALLOWED_DOMAIN: &str = "aliyuncs.com";

/// The config: Logto's fields plus `endpoint` and `regionId` (described in
/// the schema). `strictPhoneRegionNumberCheck` is kept for compatibility
/// only, see [`is_mainland_china`]; `templates` is parsed so that a
/// malformed `templateCode` or `templateParams` is refused when the config
/// is saved (the host selects and renders the entry for each send).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    access_key_id: String,
    access_key_secret: String,
    sign_name: String,
    #[serde(default)]
    #[expect(dead_code, reason = "accepted for compatibility; it changes nothing")]
    strict_phone_region_number_check: Option<bool>,
    #[serde(default)]
    endpoint: Option<String>,
    #[serde(default)]
    region_id: Option<String>,
    #[serde(default)]
    #[expect(dead_code, reason = "parsed only to refuse malformed entries")]
    templates: Vec<CodeTemplate<RegionalCode>>,
}

impl Config {
    /// The endpoint's origin, `https://<host>`, without a trailing slash.
    fn endpoint_origin(&self) -> Result<String, ConnectorError> {
        match self.endpoint.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => Ok(DEFAULT_ENDPOINT.to_string()),
            Some(text) => endpoint_host(text)
                .map(|host| format!("https://{host}"))
                .ok_or_else(|| {
                    let example = "e.g. https://dysmsapi.ap-southeast-1.aliyuncs.com";
                    let problem = format!("must be an https URL or host name under {ALLOWED_DOMAIN}, {example}");
                    ConnectorError::invalid_field("endpoint", problem)
                }),
        }
    }

    fn region(&self) -> &str {
        self.region_id
            .as_deref()
            .map(str::trim)
            .filter(|region| !region.is_empty())
            .unwrap_or(DEFAULT_REGION)
    }
}

/// The host name of an `endpoint` value (`https://host[/]` or a bare
/// `host`), when it lies under `aliyuncs.com`. Ports, paths, queries and
/// credentials are refused: the request always goes to `https://host/`.
fn endpoint_host(text: &str) -> Option<String> {
    let rest = match text.split_once("://") {
        Some((scheme, rest)) if scheme.eq_ignore_ascii_case("https") => rest,
        Some(_) => return None,
        None => text,
    };
    let host = rest.strip_suffix('/').unwrap_or(rest).to_ascii_lowercase();
    let host = host.strip_suffix('.').unwrap_or(&host).to_string();
    let labels_ok = !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        });
    let under_domain = host
        .strip_suffix(ALLOWED_DOMAIN)
        .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'));
    (labels_ok && under_domain).then_some(host)
}

/// Logto's China detection applied to the E.164 number the host hands us:
/// `+86` followed by a mainland mobile number (`1` and ten digits).
///
/// Logto saw digits without `+` and, unless `strictPhoneRegionNumberCheck`
/// was on, also counted a bare 11-digit `1xxxxxxxxxx` as Chinese, which
/// caught North American numbers (Logto #7050). The host always gives the
/// country code, so that bare form cannot arrive and detection is always
/// the strict rule; the option changes nothing.
pub fn is_mainland_china(e164: &str) -> bool {
    e164.strip_prefix("+86").is_some_and(|national| {
        national.len() == 11 && national.starts_with('1') && national.bytes().all(|b| b.is_ascii_digit())
    })
}

/// The business parameters of one `SendSms` call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendSms {
    /// `PhoneNumbers`: country code and number, no `+` (`8613812345678`).
    pub phone_numbers: String,
    /// `SignName`.
    pub sign_name: String,
    /// `TemplateCode` (`SMS_…`).
    pub template_code: String,
    /// `TemplateParam`: a JSON object of strings.
    pub template_param: String,
}

/// Builds the signed `SendSms` request: common parameters in Logto's order,
/// `SignatureNonce` and `Timestamp` from [`clock`] (fixable in tests), the
/// signature computed over exactly these parameters with `POST`, and the
/// whole set sent as a form body (encoded like `URLSearchParams`).
pub fn send_sms_request(config: &Config, sms: &SendSms) -> Result<HttpRequest, ConnectorError> {
    const METHOD: &str = "POST";
    let timestamp = clock::iso8601_seconds(clock::now_unix());
    let nonce = clock::nonce();
    let mut params: Vec<(&str, &str)> = vec![
        ("Action", "SendSms"),
        ("Format", "json"),
        ("RegionId", config.region()),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2017-05-25"),
        ("AccessKeyId", &config.access_key_id),
        ("PhoneNumbers", &sms.phone_numbers),
        ("SignName", &sms.sign_name),
        ("TemplateCode", &sms.template_code),
        ("TemplateParam", &sms.template_param),
        ("SignatureNonce", &nonce),
        ("Timestamp", &timestamp),
    ];
    let signature = signature::sign(METHOD, &params, &config.access_key_secret);
    params.push(("Signature", &signature));
    let url = format!("{}/", config.endpoint_origin()?);
    Ok(HttpRequest::new(METHOD, url)
        .header("Accept", "application/json")
        .form(&params))
}

/// Aliyun's answer, success or failure.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct AliyunResponse {
    code: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    request_id: Option<String>,
    #[serde(default)]
    biz_id: Option<String>,
}

/// Reads Aliyun's answer: `Code == "OK"` on a 2xx is a receipt, anything
/// else an error carrying Aliyun's `Code`, `Message` and the HTTP status.
pub fn read_response(response: &HttpResponse) -> Result<Receipt, ConnectorError> {
    let answer: AliyunResponse = response.read_json()?;
    if response.is_success() && answer.code == "OK" {
        return Ok(Receipt::new(answer.biz_id).with_some("request_id", answer.request_id));
    }
    let error = ProviderError::new("Aliyun", response)
        .code(Some(&answer.code))
        .message(answer.message)
        .note(answer.request_id.map(|id| format!("RequestId {id}")));
    Err(error.classify(|code| {
        Some(match code? {
            // Per-number frequency control (1/min, 5/h, 10/day by default) and
            // API throttling: the same send later may pass.
            "isv.BUSINESS_LIMIT_CONTROL" => Kind::RateLimited,
            code if code.starts_with("Throttling") => Kind::RateLimited,
            // Console quotas, balance, suspended service: retrying will not help.
            "isv.DAY_LIMIT_CONTROL" | "isv.MONTH_LIMIT_CONTROL" | "isv.AMOUNT_NOT_ENOUGH" | "isv.OUT_OF_SERVICE" => {
                Kind::UsageLimited
            }
            "isv.MOBILE_NUMBER_ILLEGAL"
            | "isv.MOBILE_COUNT_OVER_LIMIT"
            | "isv.INVALID_PARAMETERS"
            | "isv.INVALID_JSON_PARAM"
            | "isv.TEMPLATE_MISSING_PARAMETERS"
            | "isv.TEMPLATE_PARAMS_ILLEGAL"
            | "isv.PARAM_LENGTH_LIMIT" => Kind::InvalidRequest,
            "SignatureDoesNotMatch" | "IncompleteSignature" | "isp.RAM_PERMISSION_DENY" => Kind::Unauthorized,
            code if code.starts_with("InvalidAccessKeyId") || code.starts_with("Forbidden") => Kind::Unauthorized,
            // A nonce collision or a transient fault: a fresh request may pass.
            "SignatureNonceUsed" | "isp.SYSTEM_ERROR" | "ServiceUnavailable" | "InternalError" => Kind::Transient,
            _ => return None,
        })
    }))
}

/// The Aliyun SMS connector.
pub struct Aliyun;

impl Connector for Aliyun {
    type Config = Config;

    fn metadata() -> Metadata {
        let informational = serde_json::json!({"type": "integer", "description": "Logto's template type; not sent."});
        let schema = Schema::object()
            .string("accessKeyId", "AccessKey ID of a RAM user allowed to send SMS.")
            .secret("accessKeySecret", "AccessKey secret.")
            .string("signName", "Approved signature name (签名).")
            .boolean("strictPhoneRegionNumberCheck", "Logto compatibility only; no effect.")
            .string("endpoint", "API endpoint under aliyuncs.com.")
            .default(DEFAULT_ENDPOINT)
            .string("regionId", "RegionId sent with each request.")
            .default(DEFAULT_REGION)
            .templates(Templates::code::<RegionalCode>(Params::Named).field("type", informational));
        // Not `*.aliyuncs.com`: anyone can create a subdomain there (an
        // OSS bucket), which would be a way out for a config's secrets.
        Metadata::new("aliyun-short-message-service", "Aliyun Short Message Service")
            .origin(DEFAULT_ENDPOINT)
            .config_url("endpoint")
            .schema(schema)
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        config.endpoint_origin()?;
        let region = config.region();
        match region.len() <= 64 && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            true => Ok(()),
            false => Err(ConnectorError::invalid_field(
                "regionId",
                "must be letters, digits and dashes",
            )),
        }
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: CodeTemplate<RegionalCode> = message.template()?;
        let region = match is_mainland_china(&message.to) {
            true => Region::China,
            false => Region::Overseas,
        };
        let sms = SendSms {
            phone_numbers: message.to_digits().to_string(),
            sign_name: config.sign_name.clone(),
            template_code: template.code_for(message, region)?,
            template_param: template.named_params_json(message)?,
        };
        read_response(&send_sms_request(&config, &sms)?.send()?)
    }
}

smshost_sdk::export_connector!(Aliyun, logo = "logo.svg");

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};
    use smshost_sdk::UsageType;
    use smshost_sdk::config::{checked, parse_config};

    fn read(status: u16, body: &[u8]) -> Result<Receipt, ConnectorError> {
        read_response(&HttpResponse::new(status, body))
    }

    /// A full config with `extra` merged in, as JSON text.
    fn config_json(extra: Value) -> String {
        let mut base = json!({
            "accessKeyId": "testid",
            "accessKeySecret": "testsecret",
            "signName": "阿里云短信测试",
            "templates": [{"usageType": "Generic", "templateCode": "SMS_154950909"}]
        });
        if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
            base.extend(extra);
        }
        base.to_string()
    }

    fn config(extra: Value) -> Config {
        parse_config(&config_json(extra)).expect("config parses")
    }

    fn message(to: &str, template: Value, payload: Value) -> Message {
        Message {
            to: to.into(),
            usage: UsageType::SignIn,
            template: Some(template.to_string()),
            code: "123456".into(),
            locale: Some("zh-CN".into()),
            payload: payload.to_string(),
            client_ip: None,
        }
    }

    // The SendSms vector of the Logto reference (§6.5), byte for byte: the
    // signature and the whole wire body, with the clock and nonce pinned.
    #[test]
    fn send_sms_request_matches_the_reference_vector() {
        clock::fix(1_700_000_000, "c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c");
        let sms = SendSms {
            phone_numbers: "8613812345678".into(),
            sign_name: "阿里云短信测试".into(),
            template_code: "SMS_154950909".into(),
            template_param: r#"{"code":"123456"}"#.into(),
        };
        let request = send_sms_request(&config(json!({})), &sms).unwrap();
        clock::unfix();
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://dysmsapi.aliyuncs.com/");
        assert!(
            request
                .headers
                .contains(&("Content-Type".into(), "application/x-www-form-urlencoded".into()))
        );
        assert_eq!(
            String::from_utf8(request.body).unwrap(),
            "Action=SendSms&Format=json&RegionId=cn-hangzhou&SignatureMethod=HMAC-SHA1&SignatureVersion=1.0\
             &Version=2017-05-25&AccessKeyId=testid&PhoneNumbers=8613812345678\
             &SignName=%E9%98%BF%E9%87%8C%E4%BA%91%E7%9F%AD%E4%BF%A1%E6%B5%8B%E8%AF%95&TemplateCode=SMS_154950909\
             &TemplateParam=%7B%22code%22%3A%22123456%22%7D&SignatureNonce=c1b2c332-4cfb-4a0f-b8cc-ebe622aa0a5c\
             &Timestamp=2023-11-14T22%3A13%3A20Z&Signature=TNiWflTTRy1lVafStr%2FHp9lK%2BaA%3D"
        );
    }

    #[test]
    fn reference_string_to_sign_prefix() {
        let params = [
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
        ];
        assert!(signature::string_to_sign("POST", &params).starts_with(
            "POST&%2F&AccessKeyId%3Dtestid%26Action%3DSendSms%26Format%3Djson%26PhoneNumbers%3D8613812345678\
             %26RegionId%3Dcn-hangzhou%26SignName%3D%25E9%2598%25BF"
        ));
        assert_eq!(
            signature::sign("POST", &params, "testsecret"),
            "TNiWflTTRy1lVafStr/Hp9lK+aA="
        );
    }

    #[test]
    fn china_detection_on_e164() {
        assert!(is_mainland_china("+8613812345678"));
        assert!(!is_mainland_china("+8602112345678"));
        assert!(!is_mainland_china("+861381234567"));
        assert!(!is_mainland_china("+85268326366"));
        assert!(!is_mainland_china("+18624017194"));
        assert!(!is_mainland_china("+14155552671"));
        assert!(!is_mainland_china("+4520123456"));
    }

    #[test]
    fn template_codes_by_region_and_params() {
        let entry = json!({"usageType": "SignIn", "templateCode": {"china": "SMS_CN", "overseas": "SMS_INTL"}});
        let payload = json!({"code": "123456", "locale": "zh-CN", "uiLocales": "zh-CN en"});
        let msg = message("+8613812345678", entry, payload);
        let template: CodeTemplate<RegionalCode> = msg.template().unwrap();
        assert_eq!(template.code_for(&msg, Region::China).unwrap(), "SMS_CN");
        assert_eq!(template.code_for(&msg, Region::Overseas).unwrap(), "SMS_INTL");
        assert_eq!(template.named_params_json(&msg).unwrap(), r#"{"code":"123456"}"#);
        let msg = message("+8613812345678", json!({"usageType": "SignIn"}), json!({}));
        let template: CodeTemplate<RegionalCode> = msg.template().unwrap();
        let error = template.code_for(&msg, Region::China).unwrap_err();
        assert_eq!(error.code, ErrorCode::TemplateNotFound);
        assert_eq!(
            error.message,
            "the template for usage type SignIn has no `templateCode`"
        );
    }

    #[test]
    fn responses() {
        let receipt = read(
            200,
            br#"{"Message":"OK","RequestId":"F655A8D5-B967-440B-8683-DAD6FF8DE990","Code":"OK","BizId":"900619746936498440^0"}"#,
        )
        .unwrap();
        assert_eq!(receipt.provider_message_id.as_deref(), Some("900619746936498440^0"));
        assert_eq!(
            receipt.summary,
            vec![(
                "request_id".to_string(),
                "F655A8D5-B967-440B-8683-DAD6FF8DE990".to_string()
            )]
        );

        let limited = read(
            200,
            r#"{"Message":"触发小时级流控Permits:5","RequestId":"R1","Code":"isv.BUSINESS_LIMIT_CONTROL"}"#.as_bytes(),
        )
        .unwrap_err();
        assert_eq!(limited.code, ErrorCode::RateLimitExceeded);
        assert!(limited.retryable);
        assert_eq!(limited.provider_code.as_deref(), Some("isv.BUSINESS_LIMIT_CONTROL"));
        assert_eq!(limited.http_status, Some(200));
        assert_eq!(limited.message, "触发小时级流控Permits:5 (RequestId R1)");

        let illegal = read(
            200,
            br#"{"Message":"invalid mobile number","RequestId":"R2","Code":"isv.MOBILE_NUMBER_ILLEGAL"}"#,
        )
        .unwrap_err();
        assert_eq!(illegal.code, ErrorCode::InvalidRequestParameters);
        assert!(!illegal.retryable);

        let signature = read(
            400,
            br#"{"RequestId":"R3","HostId":"dysmsapi.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","Recommend":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(signature.code, ErrorCode::AuthorizationFailed);
        assert_eq!(signature.provider_code.as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(signature.http_status, Some(400));

        let quota = read(
            200,
            br#"{"Message":"m","RequestId":"R","Code":"isv.DAY_LIMIT_CONTROL"}"#,
        )
        .unwrap_err();
        assert_eq!(quota.code, ErrorCode::UsageLimitExceeded);
        let other = read(
            200,
            br#"{"Message":"bad sign","RequestId":"R","Code":"isv.SMS_SIGNATURE_ILLEGAL"}"#,
        )
        .unwrap_err();
        assert_eq!(other.code, ErrorCode::General);
        assert_eq!(other.provider_code.as_deref(), Some("isv.SMS_SIGNATURE_ILLEGAL"));
        // "OK" in a non-2xx answer is not a success.
        assert!(read(500, br#"{"Code":"OK","Message":"OK"}"#).unwrap_err().retryable);

        let unreadable = read(200, b"<html>oops</html>").unwrap_err();
        assert_eq!(unreadable.code, ErrorCode::InvalidResponse);
        assert!(!unreadable.retryable);
        assert!(unreadable.message.contains("<html>oops</html>"));
        // An unreadable body on a non-2xx is classified by the status.
        let gateway = read(502, b"Bad Gateway").unwrap_err();
        assert_eq!(gateway.code, ErrorCode::General);
        assert!(gateway.retryable);
        assert_eq!(gateway.http_status, Some(502));
        assert_eq!(read(200, b"{}").unwrap_err().code, ErrorCode::InvalidResponse);
    }

    #[test]
    fn endpoints() {
        assert_eq!(config(json!({})).endpoint_origin().unwrap(), DEFAULT_ENDPOINT);
        for (given, origin) in [
            (
                "https://dysmsapi.ap-southeast-1.aliyuncs.com",
                "https://dysmsapi.ap-southeast-1.aliyuncs.com",
            ),
            (
                "https://dysmsapi.ap-southeast-1.aliyuncs.com/",
                "https://dysmsapi.ap-southeast-1.aliyuncs.com",
            ),
            ("dysmsapi.aliyuncs.com", "https://dysmsapi.aliyuncs.com"),
            ("HTTPS://DYSMSAPI.aliyuncs.com.", "https://dysmsapi.aliyuncs.com"),
        ] {
            assert_eq!(
                config(json!({"endpoint": given})).endpoint_origin().unwrap(),
                origin,
                "{given}"
            );
        }
        for bad in [
            "http://dysmsapi.aliyuncs.com",
            "https://evil.test",
            "https://aliyuncs.com",
            "https://dysmsapi.aliyuncs.com.evil.test",
            "https://evilaliyuncs.com",
            "https://dysmsapi.aliyuncs.com:8443",
            "https://dysmsapi.aliyuncs.com/path",
            "https://user@dysmsapi.aliyuncs.com",
            "https://dysmsapi.aliyuncs.com?x=1",
        ] {
            let error = Aliyun::validate(&config(json!({"endpoint": bad}))).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig, "{bad}");
            assert!(error.message.contains("`endpoint`"), "{}", error.message);
        }
        assert!(Aliyun::validate(&config(json!({"regionId": "ap-southeast-1"}))).is_ok());
        assert!(Aliyun::validate(&config(json!({"regionId": "cn/../x"}))).is_err());
    }

    #[test]
    fn config_errors_name_the_field_and_hide_values() {
        let error = parse_config::<Config>(r#"{"accessKeyId":"id","signName":"s"}"#).unwrap_err();
        assert_eq!(error.code, ErrorCode::InvalidConfig);
        assert_eq!(error.message, "missing field `accessKeySecret`");
        let error = parse_config::<Config>(r#"{"accessKeyId":"id","accessKeySecret":["s3cret-value"],"signName":"s"}"#)
            .unwrap_err();
        assert_eq!(error.message, "`accessKeySecret` must be a string");
        assert!(!error.message.contains("s3cret-value"));
        let error = parse_config::<Config>(
            r#"{"accessKeyId":"id","accessKeySecret":"k","signName":"s","strictPhoneRegionNumberCheck":"yes"}"#,
        )
        .unwrap_err();
        assert!(
            error
                .message
                .contains("`strictPhoneRegionNumberCheck` must be a boolean"),
            "{}",
            error.message
        );
        let error = checked::<Aliyun>(&config_json(json!({"signName": " "}))).unwrap_err();
        assert_eq!(error.message, "`signName` must not be empty");
        let error = checked::<Aliyun>(&config_json(json!({"accessKeySecret": ""}))).unwrap_err();
        assert_eq!(error.message, "`accessKeySecret` must not be empty");
    }

    #[test]
    fn template_shapes_are_checked_early() {
        let ok = json!({"templates": [
            {"usageType": "SignIn", "templateCode": {"china": "SMS_1", "overseas": "SMS_2"}, "templateParams": ["code"], "type": 2},
            {"usageType": "Generic"}
        ]});
        assert!(checked::<Aliyun>(&config_json(ok)).is_ok());
        for (bad, names) in [
            (
                json!({"usageType": "SignIn", "templateCode": 5}),
                "templates[0].templateCode",
            ),
            (
                json!({"usageType": "SignIn", "templateCode": {"china": 1}}),
                "templates[0].templateCode.china",
            ),
            (json!({"usageType": "SignIn", "templateCode": {"cn": "SMS_1"}}), "`cn`"),
            (
                json!({"usageType": "SignIn", "templateParams": "code"}),
                "templates[0].templateParams",
            ),
        ] {
            let error = checked::<Aliyun>(&config_json(json!({"templates": [bad]}))).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig);
            assert!(error.message.contains(names), "{}", error.message);
        }
    }

    #[test]
    fn metadata_marks_the_secret() {
        let metadata = Aliyun::metadata().into_wit(&smshost_sdk::metadata::Crate::TEST);
        let schema: Value = serde_json::from_str(&metadata.config_schema).unwrap();
        assert_eq!(schema["properties"]["accessKeySecret"]["writeOnly"], true);
        assert_eq!(metadata.id, "aliyun-short-message-service");
        assert!(metadata.uses_templates);
    }
}
