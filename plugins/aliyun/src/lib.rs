//! Aliyun (Alibaba Cloud) Short Message Service: `SendSms` on `dysmsapi`.
//!
//! `POST https://dysmsapi.aliyuncs.com/` with a form body of RPC parameters
//! (`Action=SendSms`, `Version=2017-05-25`, `Format=json`, `RegionId`, the
//! AccessKey id, `PhoneNumbers`, `SignName`, `TemplateCode`, `TemplateParam`,
//! a UUID `SignatureNonce` and a `Timestamp`), signed with RPC signature 1.0
//! (HMAC-SHA1, see [`signature`]). Aliyun renders the text itself from the
//! approved template; we send the template code and its variables. Aliyun
//! answers JSON `{"Code", "Message", "RequestId", "BizId"?}`: `Code == "OK"`
//! is success, anything else an error, with HTTP 200 for business failures
//! and 4xx for gateway ones (signature, key, timestamp).
//!
//! Beyond Logto's connector: `TemplateParam` never carries `locale` or
//! `uiLocales`, or only the variables a template entry lists in
//! `templateParams`; Aliyun's own error codes reach the caller and are mapped
//! (rate limits, quotas, bad numbers, refused credentials); an `endpoint` and
//! `regionId` reach Aliyun's international site.

pub mod signature;

use serde::Deserialize;
use serde_json::{Map, Value, json};
use smshost_sdk::config::require_non_empty;
use smshost_sdk::http::snippet;
use smshost_sdk::prelude::*;
use smshost_sdk::{clock, encoding};

const DEFAULT_ENDPOINT: &str = "https://dysmsapi.aliyuncs.com";
const DEFAULT_REGION: &str = "cn-hangzhou";
const ALLOWED_DOMAIN: &str = "aliyuncs.com";

/// The connector's config: Logto's fields plus `endpoint` and `regionId`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Config {
    /// AccessKey id, sent as `AccessKeyId`.
    pub access_key_id: String,
    /// AccessKey secret: the HMAC key (with `&` appended). Never sent.
    pub access_key_secret: String,
    /// The approved signature name, shared by every template (`SignName`).
    pub sign_name: String,
    /// Logto's switch for China detection; kept for compatibility, see
    /// [`is_mainland_china`].
    #[serde(default)]
    pub strict_phone_region_number_check: Option<bool>,
    /// API endpoint, e.g. `https://dysmsapi.ap-southeast-1.aliyuncs.com`.
    #[serde(default)]
    pub endpoint: Option<String>,
    /// `RegionId` (default `cn-hangzhou`).
    #[serde(default)]
    pub region_id: Option<String>,
    /// The raw template entries, only to check their shape early; the host
    /// selects and renders the entry for each send.
    #[serde(default)]
    pub templates: Option<Value>,
}

impl Config {
    /// The endpoint's origin, `https://<host>`, without a trailing slash.
    fn endpoint_origin(&self) -> Result<String, ConnectorError> {
        match self.endpoint.as_deref().map(str::trim).filter(|text| !text.is_empty()) {
            None => Ok(DEFAULT_ENDPOINT.to_string()),
            Some(text) => endpoint_host(text)
                .map(|host| format!("https://{host}"))
                .ok_or_else(|| {
                    ConnectorError::invalid_config(format!(
                        "invalid config: `endpoint` must be an https URL or host name under {ALLOWED_DOMAIN}, \
                         e.g. https://dysmsapi.ap-southeast-1.aliyuncs.com"
                    ))
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

fn valid_region(region: &str) -> bool {
    !region.is_empty() && region.len() <= 64 && region.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
}

/// A template entry: `{"usageType": "SignIn", "templateCode": "SMS_1"}` or
/// `{"usageType": "SignIn", "templateCode": {"china": "SMS_1", "overseas":
/// "SMS_2"}, "templateParams": ["code"]}`. Logto's `type` is informational
/// and ignored, as Logto does.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Template {
    #[serde(default)]
    template_code: Option<Value>,
    #[serde(default)]
    template_params: Option<Vec<String>>,
}

/// Where the recipient is, for picking between regional template codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Region {
    /// A mainland China mobile number.
    China,
    /// Anything else, Hong Kong, Macau and Taiwan included.
    Overseas,
}

impl Region {
    fn key(self) -> &'static str {
        match self {
            Region::China => "china",
            Region::Overseas => "overseas",
        }
    }
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

/// The template code for `region` from an entry's `templateCode`.
fn template_code(value: Option<&Value>, region: Region, usage: &str) -> Result<String, ConnectorError> {
    let missing =
        |what: &str| ConnectorError::template_not_found(format!("template for usage type {usage} has no {what}"));
    let code = match value {
        None | Some(Value::Null) => return Err(missing("`templateCode`")),
        Some(Value::String(code)) => code.as_str(),
        Some(Value::Object(codes)) => match codes.get(region.key()) {
            Some(Value::String(code)) => code.as_str(),
            _ => return Err(missing(&format!("`templateCode.{}`", region.key()))),
        },
        Some(_) => {
            return Err(ConnectorError::template_not_found(format!(
                "template for usage type {usage}: `templateCode` must be a string or {{\"china\", \"overseas\"}}"
            )));
        }
    };
    let code = code.trim();
    if code.is_empty() {
        return Err(missing("`templateCode`"));
    }
    Ok(code.to_string())
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
pub fn send_sms_request(
    origin: &str,
    region_id: &str,
    access_key_id: &str,
    access_key_secret: &str,
    sms: &SendSms,
) -> HttpRequest {
    const METHOD: &str = "POST";
    let timestamp = clock::iso8601_seconds(clock::now_unix());
    let nonce = clock::nonce();
    let mut params: Vec<(&str, &str)> = vec![
        ("Action", "SendSms"),
        ("Format", "json"),
        ("RegionId", region_id),
        ("SignatureMethod", "HMAC-SHA1"),
        ("SignatureVersion", "1.0"),
        ("Version", "2017-05-25"),
        ("AccessKeyId", access_key_id),
        ("PhoneNumbers", &sms.phone_numbers),
        ("SignName", &sms.sign_name),
        ("TemplateCode", &sms.template_code),
        ("TemplateParam", &sms.template_param),
        ("SignatureNonce", &nonce),
        ("Timestamp", &timestamp),
    ];
    let signature = signature::sign(METHOD, &params, access_key_secret);
    params.push(("Signature", &signature));
    HttpRequest::new(METHOD, format!("{origin}/"))
        .header("Accept", "application/json")
        .body_bytes(
            "application/x-www-form-urlencoded",
            encoding::form_urlencode(&params).into_bytes(),
        )
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
pub fn read_response(status: u16, body: &[u8]) -> Result<Receipt, ConnectorError> {
    let Ok(answer) = serde_json::from_slice::<AliyunResponse>(body) else {
        let text = String::from_utf8_lossy(body);
        return Err(ConnectorError::invalid_response(format!(
            "Aliyun answered HTTP {status} with an unreadable body: {}",
            snippet(&text)
        ))
        .http_status(status)
        // A gateway's HTML error page: the service itself may be fine later.
        .retryable(status >= 500));
    };
    if (200..300).contains(&status) && answer.code == "OK" {
        let receipt = Receipt::new(answer.biz_id);
        return Ok(match answer.request_id {
            Some(id) => receipt.with("request_id", id),
            None => receipt,
        });
    }
    Err(aliyun_error(status, answer))
}

fn aliyun_error(status: u16, answer: AliyunResponse) -> ConnectorError {
    let code = answer.code.as_str();
    let mut text = answer
        .message
        .filter(|message| !message.trim().is_empty())
        .unwrap_or_else(|| format!("Aliyun answered {code}"));
    if let Some(id) = &answer.request_id {
        text.push_str(&format!(" (RequestId {id})"));
    }
    let error = match code {
        // Per-number frequency control (1/min, 5/h, 10/day by default) and
        // API throttling: the same send later may pass.
        "isv.BUSINESS_LIMIT_CONTROL" => ConnectorError::rate_limited(text),
        _ if code.starts_with("Throttling") => ConnectorError::rate_limited(text),
        // Console quotas, balance, suspended service: retrying will not help.
        "isv.DAY_LIMIT_CONTROL" | "isv.MONTH_LIMIT_CONTROL" | "isv.AMOUNT_NOT_ENOUGH" | "isv.OUT_OF_SERVICE" => {
            ConnectorError::usage_limited(text)
        }
        "isv.MOBILE_NUMBER_ILLEGAL"
        | "isv.MOBILE_COUNT_OVER_LIMIT"
        | "isv.INVALID_PARAMETERS"
        | "isv.INVALID_JSON_PARAM"
        | "isv.TEMPLATE_MISSING_PARAMETERS"
        | "isv.TEMPLATE_PARAMS_ILLEGAL"
        | "isv.PARAM_LENGTH_LIMIT" => ConnectorError::invalid_request(text),
        "SignatureDoesNotMatch" | "IncompleteSignature" | "isp.RAM_PERMISSION_DENY" => {
            ConnectorError::unauthorized(text)
        }
        _ if code.starts_with("InvalidAccessKeyId") || code.starts_with("Forbidden") => {
            ConnectorError::unauthorized(text)
        }
        // A nonce collision or a transient fault: a fresh request may pass.
        "SignatureNonceUsed" | "isp.SYSTEM_ERROR" | "ServiceUnavailable" | "InternalError" => {
            ConnectorError::general(text).retryable(true)
        }
        _ if status >= 500 => ConnectorError::general(text).retryable(true),
        _ => ConnectorError::general(text),
    };
    error.provider_code(code).http_status(status)
}

/// Checks the shape of the template entries' Aliyun fields, so a typo shows
/// up when the config is saved rather than on some user's sign-in. A missing
/// `templateCode` is left to the send (`template_not_found`), as in Logto.
fn check_templates(templates: Option<&Value>) -> Result<(), ConnectorError> {
    let Some(Value::Array(entries)) = templates else {
        return Ok(());
    };
    for (index, entry) in entries.iter().enumerate() {
        let Some(entry) = entry.as_object() else { continue };
        let bad = |what: &str| ConnectorError::invalid_config(format!("invalid config: `templates[{index}].{what}"));
        match entry.get("templateCode") {
            None | Some(Value::Null) | Some(Value::String(_)) => {}
            Some(Value::Object(codes)) => {
                for (key, value) in codes {
                    if !matches!(key.as_str(), "china" | "overseas") {
                        return Err(bad(&format!(
                            "templateCode` may hold only `china` and `overseas`, not `{key}`"
                        )));
                    }
                    if !value.is_string() {
                        return Err(bad(&format!("templateCode.{key}` must be a string")));
                    }
                }
            }
            Some(_) => {
                return Err(bad(
                    "templateCode` must be a string or an object {\"china\": ..., \"overseas\": ...}",
                ));
            }
        }
        match entry.get("templateParams") {
            None | Some(Value::Null) => {}
            Some(Value::Array(names)) if names.iter().all(Value::is_string) => {}
            Some(_) => return Err(bad("templateParams` must be an array of payload variable names")),
        }
    }
    Ok(())
}

/// The Aliyun SMS connector.
pub struct Aliyun;

impl Connector for Aliyun {
    type Config = Config;

    fn metadata() -> ConnectorMetadata {
        ConnectorMetadata {
            id: "aliyun-short-message-service".into(),
            name: "Aliyun Short Message Service".into(),
            description: "Aliyun (Alibaba Cloud) SMS: sends an approved template with its variables through SendSms."
                .into(),
            version: env!("CARGO_PKG_VERSION").into(),
            config_schema: json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "required": ["accessKeyId", "accessKeySecret", "signName", "templates"],
                "properties": {
                    "accessKeyId": {"type": "string", "description": "AccessKey ID (a RAM user's key with SMS permission)."},
                    "accessKeySecret": {"type": "string", "writeOnly": true, "description": "AccessKey secret."},
                    "signName": {"type": "string", "description": "Approved signature name (签名), e.g. 阿里云短信测试."},
                    "strictPhoneRegionNumberCheck": {"type": "boolean", "default": false,
                        "description": "Logto compatibility only: numbers always carry their country code here, so China detection is always strict (+86 then 1 and ten digits)."},
                    "endpoint": {"type": "string", "default": DEFAULT_ENDPOINT,
                        "description": "API endpoint under aliyuncs.com, e.g. https://dysmsapi.ap-southeast-1.aliyuncs.com for the international site."},
                    "regionId": {"type": "string", "default": DEFAULT_REGION, "description": "RegionId sent with each request, e.g. ap-southeast-1."},
                    "templates": {"type": "array", "items": {"type": "object", "required": ["usageType", "templateCode"],
                        "properties": {
                            "usageType": {"type": "string"},
                            "templateCode": {"oneOf": [
                                {"type": "string", "description": "Template code (SMS_…) for every recipient."},
                                {"type": "object", "required": ["china", "overseas"],
                                 "properties": {"china": {"type": "string"}, "overseas": {"type": "string"}},
                                 "description": "`china` for +86 mainland mobile numbers, `overseas` for every other number."}
                            ]},
                            "templateParams": {"type": "array", "items": {"type": "string"},
                                "description": "Payload variables sent in TemplateParam, in order (default: all but locale and uiLocales)."},
                            "type": {"type": "integer", "enum": [0, 1, 2, 6, 7], "description": "Informational (Logto's template type); not sent."},
                            "locale": {"type": "string"}
                        }}}
                }
            })
            .to_string(),
            // Not `*.aliyuncs.com`: anyone can create a subdomain there (an
            // OSS bucket), which would be a way out for a config's secrets.
            network_hosts: vec![
                NetworkHost::Origin(DEFAULT_ENDPOINT.into()),
                NetworkHost::ConfigUrl("endpoint".into()),
            ],
            uses_templates: true,
        }
    }

    fn validate(config: &Config) -> Result<(), ConnectorError> {
        require_non_empty("accessKeyId", &config.access_key_id)?;
        require_non_empty("accessKeySecret", &config.access_key_secret)?;
        require_non_empty("signName", &config.sign_name)?;
        config.endpoint_origin()?;
        if !valid_region(config.region()) {
            return Err(ConnectorError::invalid_config(
                "invalid config: `regionId` must be letters, digits and dashes, e.g. cn-hangzhou",
            ));
        }
        check_templates(config.templates.as_ref())
    }

    fn send(config: Config, message: &Message) -> Result<Receipt, ConnectorError> {
        let template: Template = message.template()?;
        let usage = message.usage.as_logto_str();
        let region = if is_mainland_china(&message.to) {
            Region::China
        } else {
            Region::Overseas
        };
        let template_code = template_code(template.template_code.as_ref(), region, usage)?;
        let variables = message.template_variables(template.template_params.as_deref())?;
        let template_param: Map<String, Value> = variables
            .into_iter()
            .map(|(name, value)| (name, Value::String(value)))
            .collect();
        let sms = SendSms {
            phone_numbers: message.to_digits().to_string(),
            sign_name: config.sign_name.clone(),
            template_code,
            template_param: Value::Object(template_param).to_string(),
        };
        let request = send_sms_request(
            &config.endpoint_origin()?,
            config.region(),
            &config.access_key_id,
            &config.access_key_secret,
            &sms,
        );
        let response = request.send()?;
        read_response(response.status, &response.body)
    }
}

smshost_sdk::export_connector!(Aliyun);

#[cfg(test)]
mod tests {
    use super::*;
    use smshost_sdk::UsageType;
    use smshost_sdk::config::parse_config;

    fn config(extra: Value) -> Config {
        let mut base = json!({
            "accessKeyId": "testid",
            "accessKeySecret": "testsecret",
            "signName": "阿里云短信测试",
            "templates": [{"usageType": "Generic", "templateCode": "SMS_154950909"}]
        });
        if let (Some(base), Value::Object(extra)) = (base.as_object_mut(), extra) {
            base.extend(extra);
        }
        parse_config(&base.to_string()).expect("config parses")
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
        let request = send_sms_request(DEFAULT_ENDPOINT, DEFAULT_REGION, "testid", "testsecret", &sms);
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
    fn template_codes_by_region() {
        let both = json!({"china": "SMS_CN", "overseas": "SMS_INTL"});
        assert_eq!(template_code(Some(&both), Region::China, "SignIn").unwrap(), "SMS_CN");
        assert_eq!(
            template_code(Some(&both), Region::Overseas, "SignIn").unwrap(),
            "SMS_INTL"
        );
        let one = json!("SMS_1");
        assert_eq!(template_code(Some(&one), Region::Overseas, "SignIn").unwrap(), "SMS_1");
        let china_only = json!({"china": "SMS_CN"});
        let error = template_code(Some(&china_only), Region::Overseas, "SignIn").unwrap_err();
        assert_eq!(error.code, ErrorCode::TemplateNotFound);
        assert!(error.message.contains("templateCode.overseas"), "{}", error.message);
        let error = template_code(None, Region::China, "BindMfa").unwrap_err();
        assert_eq!(error.message, "template for usage type BindMfa has no `templateCode`");
        assert!(template_code(Some(&json!(" ")), Region::China, "SignIn").is_err());
        assert!(template_code(Some(&json!(7)), Region::China, "SignIn").is_err());
    }

    #[test]
    fn template_param_excludes_context_keys() {
        let msg = message(
            "+8613812345678",
            json!({"usageType": "SignIn", "templateCode": "SMS_1"}),
            json!({"code": "123456", "locale": "zh-CN", "uiLocales": "zh-CN en"}),
        );
        let variables = msg.template_variables(None).unwrap();
        let map: Map<String, Value> = variables.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        assert_eq!(Value::Object(map).to_string(), r#"{"code":"123456"}"#);
    }

    #[test]
    fn responses() {
        let receipt = read_response(
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

        let limited = read_response(
            200,
            r#"{"Message":"触发小时级流控Permits:5","RequestId":"R1","Code":"isv.BUSINESS_LIMIT_CONTROL"}"#.as_bytes(),
        )
        .unwrap_err();
        assert_eq!(limited.code, ErrorCode::RateLimitExceeded);
        assert!(limited.retryable);
        assert_eq!(limited.provider_code.as_deref(), Some("isv.BUSINESS_LIMIT_CONTROL"));
        assert_eq!(limited.http_status, Some(200));
        assert_eq!(limited.message, "触发小时级流控Permits:5 (RequestId R1)");

        let illegal = read_response(
            200,
            br#"{"Message":"invalid mobile number","RequestId":"R2","Code":"isv.MOBILE_NUMBER_ILLEGAL"}"#,
        )
        .unwrap_err();
        assert_eq!(illegal.code, ErrorCode::InvalidRequestParameters);
        assert!(!illegal.retryable);

        let signature = read_response(
            400,
            br#"{"RequestId":"R3","HostId":"dysmsapi.aliyuncs.com","Code":"SignatureDoesNotMatch","Message":"Specified signature is not matched with our calculation.","Recommend":"x"}"#,
        )
        .unwrap_err();
        assert_eq!(signature.code, ErrorCode::AuthorizationFailed);
        assert_eq!(signature.provider_code.as_deref(), Some("SignatureDoesNotMatch"));
        assert_eq!(signature.http_status, Some(400));

        let quota = read_response(
            200,
            br#"{"Message":"m","RequestId":"R","Code":"isv.DAY_LIMIT_CONTROL"}"#,
        )
        .unwrap_err();
        assert_eq!(quota.code, ErrorCode::UsageLimitExceeded);
        let other = read_response(
            200,
            br#"{"Message":"bad sign","RequestId":"R","Code":"isv.SMS_SIGNATURE_ILLEGAL"}"#,
        )
        .unwrap_err();
        assert_eq!(other.code, ErrorCode::General);
        assert_eq!(other.provider_code.as_deref(), Some("isv.SMS_SIGNATURE_ILLEGAL"));
        // "OK" in a non-2xx answer is not a success.
        assert!(
            read_response(500, br#"{"Code":"OK","Message":"OK"}"#)
                .unwrap_err()
                .retryable
        );

        let unreadable = read_response(200, b"<html>oops</html>").unwrap_err();
        assert_eq!(unreadable.code, ErrorCode::InvalidResponse);
        assert!(!unreadable.retryable);
        assert!(unreadable.message.contains("<html>oops</html>"));
        let gateway = read_response(502, b"Bad Gateway").unwrap_err();
        assert_eq!(gateway.code, ErrorCode::InvalidResponse);
        assert!(gateway.retryable);
        assert_eq!(read_response(200, b"{}").unwrap_err().code, ErrorCode::InvalidResponse);
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
        assert_eq!(error.message, "invalid config: missing field `accessKeySecret`");
        let error = parse_config::<Config>(r#"{"accessKeyId":"id","accessKeySecret":["s3cret-value"],"signName":"s"}"#)
            .unwrap_err();
        assert_eq!(error.message, "invalid config: `accessKeySecret` must be a string");
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
        let error = Aliyun::validate(&config(json!({"signName": " "}))).unwrap_err();
        assert!(error.message.contains("`signName`"), "{}", error.message);
        let error = Aliyun::validate(&config(json!({"accessKeySecret": ""}))).unwrap_err();
        assert!(error.message.contains("`accessKeySecret`"), "{}", error.message);
    }

    #[test]
    fn template_shapes_are_checked_early() {
        let ok = json!({"templates": [
            {"usageType": "SignIn", "templateCode": {"china": "SMS_1", "overseas": "SMS_2"}, "templateParams": ["code"], "type": 2},
            {"usageType": "Generic"}
        ]});
        assert!(Aliyun::validate(&config(ok)).is_ok());
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
            let error = Aliyun::validate(&config(json!({"templates": [bad]}))).unwrap_err();
            assert_eq!(error.code, ErrorCode::InvalidConfig);
            assert!(error.message.contains(names), "{}", error.message);
        }
    }

    #[test]
    fn metadata_marks_the_secret() {
        let metadata = Aliyun::metadata();
        let schema: Value = serde_json::from_str(&metadata.config_schema).unwrap();
        assert_eq!(schema["properties"]["accessKeySecret"]["writeOnly"], true);
        assert_eq!(metadata.id, "aliyun-short-message-service");
        assert!(metadata.uses_templates);
    }
}
