//! Aliyun dysmsapi `SendSms` mock (provider reference §6, logto reference §6).
//!
//! Checks what Aliyun checks, in the gateway's order: `POST /` with a form
//! body, the common RPC parameters, the timestamp's format and freshness,
//! the AccessKey id, the RPC 1.0 signature (recomputed here from the decoded
//! form with its own HMAC-SHA1 code, never the plugin's), a fresh nonce, then
//! the SendSms parameters. Gateway failures are 4xx with Aliyun's
//! `{"RequestId", "HostId", "Code", "Message", "Recommend"}`; business
//! failures are HTTP 200 with `Code` other than `OK`, as Aliyun sends them.

use super::{ModeCell, Shared, apply_mode, json_response, record};
use crate::MockServer;
use axum::extract::{Request, State};
use axum::response::Response;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::{Value, json};
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

/// The AccessKey pair the mock accepts.
#[derive(Debug, Clone)]
pub struct AliyunCreds {
    /// `AccessKeyId` every request must carry.
    pub access_key_id: String,
    /// The secret the signature must be keyed with (plus `&`).
    pub access_key_secret: String,
}

/// The `BizId` of every accepted message.
pub const ALIYUN_BIZ_ID: &str = "900619746936498440^0";

/// The `RequestId` of every answer.
pub const ALIYUN_REQUEST_ID: &str = "F655A8D5-B967-440B-8683-DAD6FF8DE990";

/// How far `Timestamp` may be from the mock's clock, as on Aliyun (15 min).
const MAX_SKEW_SECONDS: i64 = 15 * 60;

/// What Aliyun's RPC signature keeps unescaped: RFC 3986's unreserved set.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.').remove(b'~');

struct AliyunState {
    creds: AliyunCreds,
    /// Nonces of accepted signatures: Aliyun refuses a replay.
    nonces: Mutex<HashSet<String>>,
}

/// Starts an Aliyun SMS API mock.
pub async fn aliyun(creds: AliyunCreds) -> (MockServer, ModeCell) {
    super::serve(
        AliyunState {
            creds,
            nonces: Mutex::default(),
        },
        aliyun_handler,
    )
    .await
}

/// The mock's own RPC 1.0 signature of `params` sent with `method`: public
/// so a test can hold it against Aliyun's published vectors.
pub fn rpc_signature(method: &str, params: &[(String, String)], access_key_secret: &str) -> String {
    let mac = hmac_sha1(
        format!("{access_key_secret}&").as_bytes(),
        rpc_string_to_sign(method, params).as_bytes(),
    );
    base64::engine::general_purpose::STANDARD.encode(mac)
}

/// `METHOD&%2F&pct(sorted pct(name)=pct(value) joined by &)`, `Signature` left out.
pub fn rpc_string_to_sign(method: &str, params: &[(String, String)]) -> String {
    let encode = |text: &str| utf8_percent_encode(text, UNRESERVED).to_string();
    let mut pairs: Vec<(String, String)> = params
        .iter()
        .filter(|(name, _)| name != "Signature")
        .map(|(name, value)| (encode(name), encode(value)))
        .collect();
    pairs.sort();
    let canonical = pairs
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    format!("{method}&{}&{}", encode("/"), encode(&canonical))
}

fn hmac_sha1(key: &[u8], data: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<sha1::Sha1>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(data);
    mac.finalize().into_bytes().to_vec()
}

/// A gateway-level failure: 4xx with Aliyun's error envelope.
fn gateway_error(status: u16, host: &str, code: &str, message: &str) -> Response {
    json_response(
        status,
        json!({
            "RequestId": ALIYUN_REQUEST_ID,
            "HostId": host,
            "Code": code,
            "Message": message,
            "Recommend": format!("https://api.aliyun.com/troubleshoot?q={code}&product=Dysmsapi"),
        }),
    )
}

/// A business failure: HTTP 200, `Code` other than `OK`, no `BizId`.
fn business_error(code: &str, message: &str) -> Response {
    json_response(
        200,
        json!({"Message": message, "RequestId": ALIYUN_REQUEST_ID, "Code": code}),
    )
}

/// Unix seconds of an ISO 8601 `YYYY-MM-DDThh:mm:ssZ` (no fractions, UTC).
fn parse_timestamp(text: &str) -> Option<i64> {
    let bytes = text.as_bytes();
    let shape_ok = bytes.len() == 20
        && bytes.iter().enumerate().all(|(index, byte)| match index {
            4 | 7 => *byte == b'-',
            10 => *byte == b'T',
            13 | 16 => *byte == b':',
            19 => *byte == b'Z',
            _ => byte.is_ascii_digit(),
        });
    if !shape_ok {
        return None;
    }
    let number = |from: usize, to: usize| text[from..to].parse::<i64>().ok();
    let (year, month, day) = (number(0, 4)?, number(5, 7)?, number(8, 10)?);
    let (hour, minute, second) = (number(11, 13)?, number(14, 16)?, number(17, 19)?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    // Howard Hinnant's days-from-civil.
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    Some(days * 86_400 + hour * 3600 + minute * 60 + second)
}

/// Aliyun's accepted `PhoneNumbers` forms: a mainland mobile with an
/// optional `+`, `+86`, `0086` or `86`; otherwise country code and number,
/// digits only.
fn valid_phone_number(number: &str) -> bool {
    let mainland = ["+86", "0086", "86", "+", ""].iter().any(|prefix| {
        number
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.len() == 11 && rest.starts_with('1') && rest.bytes().all(|b| b.is_ascii_digit()))
    });
    let international =
        (7..=15).contains(&number.len()) && !number.starts_with('0') && number.bytes().all(|b| b.is_ascii_digit());
    mainland || international
}

async fn aliyun_handler(State(shared): State<Arc<Shared<AliyunState>>>, request: Request) -> Response {
    let (recorded, body) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    let state = &shared.creds;
    let host = recorded.header("host").unwrap_or("dysmsapi.aliyuncs.com").to_string();
    let fail = |status: u16, code: &str, message: &str| gateway_error(status, &host, code, message);

    if recorded.path != "/" {
        return fail(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        );
    }
    if recorded.method != "POST" {
        return fail(
            400,
            "UnsupportedHTTPMethod",
            "This mock takes SendSms as POST with a form body, as Logto sends it.",
        );
    }
    let content_type = recorded.header("content-type").unwrap_or_default();
    if content_type.split(';').next().map(str::trim) != Some("application/x-www-form-urlencoded") {
        return fail(
            400,
            "InvalidParameter.ContentType",
            "The body must be application/x-www-form-urlencoded.",
        );
    }
    // RPC parameters may sit in the query and the body; both are signed.
    let mut params: Vec<(String, String)> = recorded
        .query
        .as_deref()
        .map(|query| form_urlencoded::parse(query.as_bytes()).into_owned().collect())
        .unwrap_or_default();
    params.extend(form_urlencoded::parse(&body).into_owned());
    let mut seen = HashSet::new();
    if let Some((name, _)) = params.iter().find(|(name, _)| !seen.insert(name.clone())) {
        return fail(400, "InvalidParameter", &format!("Parameter {name} is duplicated."));
    }
    let param = |name: &str| {
        params
            .iter()
            .find(|(key, _)| key == name)
            .map(|(_, value)| value.as_str())
    };

    for name in [
        "Action",
        "Version",
        "AccessKeyId",
        "Signature",
        "SignatureMethod",
        "SignatureVersion",
        "SignatureNonce",
        "Timestamp",
        "Format",
    ] {
        if param(name).is_none_or(str::is_empty) {
            return fail(
                400,
                &format!("Missing{name}"),
                &format!("{name} is mandatory for this action."),
            );
        }
    }
    if param("Action") != Some("SendSms") {
        return fail(
            404,
            "InvalidAction.NotFound",
            "Specified api is not found, please check your url and method.",
        );
    }
    if param("Version") != Some("2017-05-25") {
        return fail(400, "InvalidVersion", "Specified parameter Version is not valid.");
    }
    if !param("Format").is_some_and(|format| format.eq_ignore_ascii_case("json")) {
        return fail(400, "InvalidParameter.Format", "This mock answers Format=JSON only.");
    }
    if param("SignatureMethod") != Some("HMAC-SHA1") {
        return fail(
            400,
            "InvalidSignatureMethod",
            "Specified signature method is not supported.",
        );
    }
    if param("SignatureVersion") != Some("1.0") {
        return fail(
            400,
            "InvalidSignatureVersion",
            "Specified signature version is not supported.",
        );
    }
    let Some(timestamp) = param("Timestamp").and_then(parse_timestamp) else {
        return fail(
            400,
            "InvalidTimeStamp.Format",
            "Specified time stamp or date value is not well formatted.",
        );
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default();
    if (now - timestamp).abs() > MAX_SKEW_SECONDS {
        return fail(
            400,
            "InvalidTimeStamp.Expired",
            "Specified time stamp or date value is expired.",
        );
    }
    if param("AccessKeyId") != Some(state.creds.access_key_id.as_str()) {
        return fail(404, "InvalidAccessKeyId.NotFound", "Specified access key is not found.");
    }
    let expected = rpc_signature(&recorded.method, &params, &state.creds.access_key_secret);
    if param("Signature") != Some(expected.as_str()) {
        return fail(
            400,
            "SignatureDoesNotMatch",
            "Specified signature is not matched with our calculation.",
        );
    }
    let nonce = param("SignatureNonce").unwrap_or_default().to_string();
    if !state.nonces.lock().expect("nonce lock").insert(nonce) {
        return fail(400, "SignatureNonceUsed", "Specified signature nonce was used already.");
    }

    for name in ["PhoneNumbers", "SignName", "TemplateCode"] {
        if param(name).is_none_or(|value| value.trim().is_empty()) {
            return fail(
                400,
                &format!("Missing{name}"),
                &format!("{name} is mandatory for this action."),
            );
        }
    }
    let numbers: Vec<&str> = param("PhoneNumbers").unwrap_or_default().split(',').collect();
    if numbers.len() > 1000 {
        return business_error("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制");
    }
    if !numbers.iter().all(|number| valid_phone_number(number)) {
        return business_error("isv.MOBILE_NUMBER_ILLEGAL", "invalid mobile number");
    }
    let template_code = param("TemplateCode").unwrap_or_default();
    if !template_code
        .strip_prefix("SMS_")
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
    {
        return business_error("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板");
    }
    if let Some(text) = param("TemplateParam") {
        let Ok(Value::Object(variables)) = serde_json::from_str::<Value>(text) else {
            return business_error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值");
        };
        if !variables.values().all(Value::is_string) {
            return business_error("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值");
        }
        // The mock treats every template as a verification-code template
        // (Logto's default type 2): Aliyun refuses anything but letters and
        // digits there, which is what `locale`/`uiLocales` used to trip (#7121).
        let alphanumeric = |value: &Value| {
            value
                .as_str()
                .is_some_and(|text| text.bytes().all(|b| b.is_ascii_alphanumeric()))
        };
        if !variables.values().all(alphanumeric) {
            return business_error(
                "isv.INVALID_PARAMETERS",
                "params must be [a-zA-Z0-9] for verification sms",
            );
        }
    }

    apply_mode(&shared.mode, || {
        json_response(
            200,
            json!({"Message": "OK", "RequestId": ALIYUN_REQUEST_ID, "Code": "OK", "BizId": ALIYUN_BIZ_ID}),
        )
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps() {
        assert_eq!(parse_timestamp("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(parse_timestamp("2023-11-14T22:13:20Z"), Some(1_700_000_000));
        assert_eq!(parse_timestamp("2016-02-23T12:46:24Z"), Some(1_456_231_584));
        assert_eq!(parse_timestamp("2023-11-14T22:13:20.000Z"), None);
        assert_eq!(parse_timestamp("2023-11-14 22:13:20Z"), None);
        assert_eq!(parse_timestamp("2023-13-14T22:13:20Z"), None);
    }

    #[test]
    fn phone_forms() {
        for ok in [
            "13812345678",
            "8613812345678",
            "+8613812345678",
            "008613812345678",
            "4520123456",
        ] {
            assert!(valid_phone_number(ok), "{ok}");
        }
        for bad in ["", "+4520123456", "0452012345", "12345", "86138123456789012"] {
            assert!(!valid_phone_number(bad), "{bad}");
        }
    }
}
