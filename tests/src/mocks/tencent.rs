//! Tencent Cloud SMS `SendSms` (API 3.0, 2021-01-11) mock (provider
//! reference §7 and §9 note 6).
//!
//! Checks what Tencent checks, in its order: the action, version and region
//! headers, the timestamp (±300 s), the `Authorization` header's shape and
//! credential scope, the SecretId, then the TC3-HMAC-SHA256 signature,
//! recomputed here from the raw body bytes and the headers the client
//! declared in `SignedHeaders` (its own implementation, not the plugin's);
//! then the body fields. Every answer is HTTP 200 with
//! `Content-Type: application/json` and Tencent's `{"Response": {...}}`
//! envelope, as the real API does; [`Mode::Answer`] with [`error_body`] or
//! [`number_failure_body`] makes it fail on purpose.

use super::{ModeCell, Shared, apply_mode, json_response, record};
use crate::{MockServer, Recorded};
use axum::extract::{Request, State};
use axum::response::Response;
use hmac::{Hmac, Mac};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// What the Tencent mock accepts.
#[derive(Debug, Clone)]
pub struct TencentCreds {
    /// The SecretId (`AKID…`) of the one known API key.
    pub secret_id: String,
    /// Its SecretKey.
    pub secret_key: String,
    /// The one SMS application (`SmsSdkAppId`) of the account.
    pub sdk_app_id: String,
    /// Approved templates by TemplateId with their parameter count; empty
    /// means any TemplateId with any number of parameters.
    pub templates: Vec<(String, usize)>,
}

/// The `SerialNo` the mock gives every sent message.
pub const TENCENT_SERIAL_NO: &str = "2645:111111111111111111111111111";
/// The `RequestId` of every mock answer.
pub const TENCENT_REQUEST_ID: &str = "a0aabda6-cf91-4f3e-a81f-9198114a2279";
/// Regions the SMS API serves (`X-TC-Region`).
pub const TENCENT_REGIONS: [&str; 3] = ["ap-guangzhou", "ap-beijing", "ap-nanjing"];
/// Tencent's limit on the timestamp's distance from its clock.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// Starts a Tencent Cloud SMS mock.
pub async fn tencent(creds: TencentCreds) -> (MockServer, ModeCell) {
    super::serve(creds, tencent_handler).await
}

/// A request-level failure body: `{"Response": {"Error": {...}, "RequestId"}}`.
pub fn error_body(code: &str, message: &str) -> Value {
    json!({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": TENCENT_REQUEST_ID}})
}

/// A per-number failure body: the request went through, `phone`'s entry in
/// `SendStatusSet` carries `code`.
pub fn number_failure_body(phone: &str, code: &str, message: &str) -> Value {
    json!({"Response": {
        "SendStatusSet": [{
            "SerialNo": "", "PhoneNumber": phone, "Fee": 0, "SessionContext": "",
            "Code": code, "Message": message, "IsoCode": iso_code(phone)
        }],
        "RequestId": TENCENT_REQUEST_ID
    }})
}

fn tencent_error(code: &str, message: &str) -> Response {
    json_response(200, error_body(code, message))
}

fn iso_code(phone: &str) -> &'static str {
    [
        ("+86", "CN"),
        ("+852", "HK"),
        ("+1", "US"),
        ("+45", "DK"),
        ("+44", "GB"),
    ]
    .iter()
    .find(|(prefix, _)| phone.starts_with(prefix))
    .map_or("", |(_, iso)| iso)
}

fn hmac_sha256(key: &[u8], message: &[u8]) -> Vec<u8> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().to_vec()
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// UTC `YYYY-MM-DD` of a Unix timestamp (civil-from-days, Howard Hinnant),
/// so the mock needs no date crate of its own.
pub fn utc_date(unix_seconds: i64) -> String {
    let days = unix_seconds.div_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}")
}

/// TC3-HMAC-SHA256 as Tencent's server computes it: `headers` are the
/// declared signed headers with the values received, `payload` the raw body.
/// Returns (hashed canonical request, signature).
pub fn tc3_signature(
    secret_key: &str,
    service: &str,
    timestamp: i64,
    method: &str,
    query: &str,
    headers: &[(String, String)],
    payload: &[u8],
) -> (String, String) {
    let mut canonical_headers = String::new();
    let mut names = Vec::new();
    for (name, value) in headers {
        let name = name.to_ascii_lowercase();
        canonical_headers.push_str(&format!("{name}:{}\n", value.trim().to_ascii_lowercase()));
        names.push(name);
    }
    let canonical_request = format!(
        "{method}\n/\n{query}\n{canonical_headers}\n{}\n{}",
        names.join(";"),
        sha256_hex(payload)
    );
    let hashed = sha256_hex(canonical_request.as_bytes());
    let date = utc_date(timestamp);
    let string_to_sign = format!("TC3-HMAC-SHA256\n{timestamp}\n{date}/{service}/tc3_request\n{hashed}");
    let key = hmac_sha256(format!("TC3{secret_key}").as_bytes(), date.as_bytes());
    let key = hmac_sha256(&key, service.as_bytes());
    let key = hmac_sha256(&key, b"tc3_request");
    let signature = hex::encode(hmac_sha256(&key, string_to_sign.as_bytes()));
    (hashed, signature)
}

/// The parts of `TC3-HMAC-SHA256 Credential=ID/DATE/SERVICE/tc3_request,
/// SignedHeaders=a;b, Signature=HEX`.
struct Authorization {
    secret_id: String,
    date: String,
    service: String,
    signed_headers: Vec<String>,
    signature: String,
}

fn parse_authorization(value: &str) -> Option<Authorization> {
    let rest = value.strip_prefix("TC3-HMAC-SHA256 ")?;
    let mut credential = None;
    let mut signed_headers = None;
    let mut signature = None;
    for part in rest.split(',') {
        let (key, value) = part.trim().split_once('=')?;
        match key {
            "Credential" => credential = Some(value),
            "SignedHeaders" => signed_headers = Some(value),
            "Signature" => signature = Some(value),
            _ => return None,
        }
    }
    let mut scope = credential?.split('/');
    let (secret_id, date, service, terminator) = (scope.next()?, scope.next()?, scope.next()?, scope.next()?);
    if terminator != "tc3_request" || scope.next().is_some() || secret_id.is_empty() {
        return None;
    }
    let signed_headers: Vec<String> = signed_headers?.split(';').map(str::to_string).collect();
    let signature = signature?;
    if signature.len() != 64 || !signature.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    Some(Authorization {
        secret_id: secret_id.to_string(),
        date: date.to_string(),
        service: service.to_string(),
        signed_headers,
        signature: signature.to_string(),
    })
}

/// A refusal: Tencent's error code and message, answered by the handler.
struct Refusal(&'static str, String);

fn refuse(code: &'static str, message: &str) -> Refusal {
    Refusal(code, message.to_string())
}

/// The header checks and signature verification; `Err` is the answer.
fn verify_signature(recorded: &Recorded, creds: &TencentCreds) -> Result<(), Refusal> {
    let Some(timestamp) = recorded.header("x-tc-timestamp") else {
        return Err(refuse(
            "MissingParameter",
            "The request is missing a required parameter `Timestamp`.",
        ));
    };
    let Ok(timestamp) = timestamp.trim().parse::<i64>() else {
        return Err(refuse(
            "InvalidParameter",
            "The value of parameter `Timestamp` is not a Unix timestamp.",
        ));
    };
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default();
    if (now - timestamp).abs() > MAX_SKEW_SECONDS {
        return Err(refuse(
            "AuthFailure.SignatureExpire",
            &format!(
                "Signature expired. Timestamp {timestamp} is more than {MAX_SKEW_SECONDS} seconds from the server time {now}."
            ),
        ));
    }
    let Some(authorization) = recorded.header("authorization").and_then(parse_authorization) else {
        return Err(refuse(
            "AuthFailure.InvalidAuthorization",
            "Authorization is not a valid TC3-HMAC-SHA256 header.",
        ));
    };
    if authorization.service != "sms" {
        return Err(refuse(
            "AuthFailure.InvalidAuthorization",
            &format!(
                "The credential scope's service `{}` is not `sms`.",
                authorization.service
            ),
        ));
    }
    if authorization.date != utc_date(timestamp) {
        return Err(refuse(
            "AuthFailure.InvalidAuthorization",
            "The credential scope's date is not the UTC date of X-TC-Timestamp.",
        ));
    }
    let declared = &authorization.signed_headers;
    let mut sorted = declared.clone();
    sorted.sort();
    sorted.dedup();
    if !declared.iter().any(|h| h == "content-type")
        || !declared.iter().any(|h| h == "host")
        || declared.iter().any(|h| h.is_empty() || h.to_ascii_lowercase() != *h)
        || sorted != *declared
    {
        return Err(refuse(
            "AuthFailure.InvalidAuthorization",
            "SignedHeaders must list content-type and host, lowercase and sorted.",
        ));
    }
    if authorization.secret_id != creds.secret_id {
        return Err(refuse(
            "AuthFailure.SecretIdNotFound",
            "The SecretId is not found, please ensure that your SecretId is correct.",
        ));
    }
    let mut signed = Vec::new();
    for name in declared {
        let Some(value) = recorded.header(name) else {
            return Err(refuse(
                "AuthFailure.InvalidAuthorization",
                &format!("The signed header `{name}` is not in the request."),
            ));
        };
        signed.push((name.clone(), value.to_string()));
    }
    let (_, expected) = tc3_signature(
        &creds.secret_key,
        "sms",
        timestamp,
        &recorded.method,
        recorded.query.as_deref().unwrap_or_default(),
        &signed,
        &recorded.body,
    );
    if expected != authorization.signature {
        return Err(refuse(
            "AuthFailure.SignatureFailure",
            "The provided credentials could not be validated. Please check your signature is correct.",
        ));
    }
    Ok(())
}

const BODY_KEYS: [&str; 8] = [
    "PhoneNumberSet",
    "SmsSdkAppId",
    "TemplateId",
    "SignName",
    "TemplateParamSet",
    "ExtendCode",
    "SessionContext",
    "SenderId",
];

fn is_e164(phone: &str) -> bool {
    phone.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) && !digits.starts_with('0')
    })
}

/// The SendSms parameter checks; `Ok` holds the numbers to answer for.
fn check_body(recorded: &Recorded, creds: &TencentCreds) -> Result<Vec<String>, Refusal> {
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&recorded.body) else {
        return Err(refuse("InvalidParameter", "The request body is not a JSON object."));
    };
    if let Some(key) = body.keys().find(|key| !BODY_KEYS.contains(&key.as_str())) {
        return Err(refuse(
            "UnknownParameter",
            &format!("The parameter `{key}` is not recognized."),
        ));
    }
    let string = |name: &str| -> Result<Option<&str>, Refusal> {
        match body.get(name) {
            None => Ok(None),
            Some(Value::String(text)) => Ok(Some(text)),
            Some(_) => Err(refuse(
                "InvalidParameter",
                &format!("The type of parameter `{name}` must be String."),
            )),
        }
    };
    let Some(app) = string("SmsSdkAppId")? else {
        return Err(refuse(
            "MissingParameter",
            "The request is missing a required parameter `SmsSdkAppId`.",
        ));
    };
    if app != creds.sdk_app_id {
        return Err(refuse(
            "InvalidParameterValue.SdkAppIdNotExist",
            "The SdkAppId does not exist.",
        ));
    }
    let Some(template) = string("TemplateId")?.filter(|id| !id.is_empty()) else {
        return Err(refuse(
            "MissingParameter",
            "The request is missing a required parameter `TemplateId`.",
        ));
    };
    let sign_name = string("SignName")?.unwrap_or_default();
    let params = match body.get("TemplateParamSet") {
        None => 0,
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => items.len(),
        Some(_) => {
            return Err(refuse(
                "InvalidParameter",
                "The type of parameter `TemplateParamSet` must be Array of String.",
            ));
        }
    };
    if !creds.templates.is_empty() {
        match creds.templates.iter().find(|(id, _)| id == template) {
            None => {
                return Err(refuse(
                    "FailedOperation.TemplateIncorrectOrUnapproved",
                    "The template is not approved or does not exist.",
                ));
            }
            Some((_, count)) if *count != params => {
                return Err(refuse(
                    "FailedOperation.TemplateParamSetNotMatchApprovedTemplate",
                    &format!("The template takes {count} parameters, {params} were given."),
                ));
            }
            Some(_) => {}
        }
    }
    let numbers: Vec<String> = match body.get("PhoneNumberSet") {
        None => {
            return Err(refuse(
                "MissingParameter",
                "The request is missing a required parameter `PhoneNumberSet`.",
            ));
        }
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            items.iter().filter_map(Value::as_str).map(str::to_string).collect()
        }
        Some(_) => {
            return Err(refuse(
                "InvalidParameter",
                "The type of parameter `PhoneNumberSet` must be Array of String.",
            ));
        }
    };
    if numbers.is_empty() || numbers.len() > 200 {
        return Err(refuse(
            "InvalidParameterValue",
            "PhoneNumberSet must hold 1 to 200 numbers.",
        ));
    }
    if let Some(bad) = numbers.iter().find(|number| !is_e164(number)) {
        return Err(refuse(
            "InvalidParameterValue.IncorrectPhoneNumber",
            &format!("The phone number {bad} is not in E.164 format (+[country code][number])."),
        ));
    }
    if sign_name.is_empty() && numbers.iter().any(|number| number.starts_with("+86")) {
        return Err(refuse(
            "MissingParameter",
            "SignName is required for Chinese mainland numbers.",
        ));
    }
    Ok(numbers)
}

async fn tencent_handler(State(shared): State<Arc<Shared<TencentCreds>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    let creds = &shared.creds;
    if recorded.method != "POST" || recorded.path != "/" {
        return tencent_error(
            "UnsupportedOperation",
            &format!(
                "{} {} is not supported; POST / with JSON.",
                recorded.method, recorded.path
            ),
        );
    }
    let content_type = recorded.header("content-type").unwrap_or_default().to_ascii_lowercase();
    if content_type != "application/json" && content_type != "application/json; charset=utf-8" {
        return tencent_error(
            "InvalidParameter",
            "Content-Type must be application/json (optionally with charset=utf-8).",
        );
    }
    match recorded.header("x-tc-action") {
        Some("SendSms") => {}
        Some(other) => {
            return tencent_error("InvalidAction", &format!("The action `{other}` is not supported."));
        }
        None => {
            return tencent_error(
                "MissingParameter",
                "The request is missing a required parameter `Action`.",
            );
        }
    }
    match recorded.header("x-tc-version") {
        Some("2021-01-11") => {}
        Some(other) => return tencent_error("NoSuchVersion", &format!("The version `{other}` does not exist.")),
        None => {
            return tencent_error(
                "MissingParameter",
                "The request is missing a required parameter `Version`.",
            );
        }
    }
    match recorded.header("x-tc-region") {
        Some(region) if TENCENT_REGIONS.contains(&region) => {}
        Some(region) => {
            return tencent_error("UnsupportedRegion", &format!("The region `{region}` is not supported."));
        }
        None => {
            return tencent_error(
                "MissingParameter",
                "The request is missing a required parameter `Region`.",
            );
        }
    }
    let numbers = match verify_signature(&recorded, creds).and_then(|()| check_body(&recorded, creds)) {
        Ok(numbers) => numbers,
        Err(Refusal(code, message)) => return tencent_error(code, &message),
    };
    apply_mode(&shared.mode, move || {
        let statuses: Vec<Value> = numbers
            .iter()
            .map(|number| {
                json!({
                    "SerialNo": TENCENT_SERIAL_NO, "PhoneNumber": number, "Fee": 1, "SessionContext": "",
                    "Code": "Ok", "Message": "send success", "IsoCode": iso_code(number)
                })
            })
            .collect();
        json_response(
            200,
            json!({"Response": {"SendStatusSet": statuses, "RequestId": TENCENT_REQUEST_ID}}),
        )
    })
    .await
}
