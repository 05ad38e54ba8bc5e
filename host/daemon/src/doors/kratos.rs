//! Ory Kratos's courier HTTP channel (`courier.channels[].type: http`).
//!
//! Kratos POSTs whatever its jsonnet template builds. Accepted: its
//! default body `{recipient, template_type, to, recovery_code,
//! recovery_url, verification_url, verification_code, subject, body}` and
//! the documented template that adds the code explicitly (`code`, or the
//! flow's own `login_code`, `registration_code`, …, top level or under
//! `template_data`). Without an explicit code, the code is the first run of
//! 4 to 12 digits in `body`, Kratos's rendered text ("Your login code is:
//! 123456", the expiry minutes being shorter). Auth is basic auth or an
//! API-key header. 2xx is success; Kratos retries a failure on later
//! courier runs, so a delivery is idempotent on the body's hash.

use super::{
    Answer, BasicAuth, DoorRequest, Server, check_header_value, digest, door_key, parse_creds, parse_payload, same,
    send_once, unauthorized,
};
use crate::error::ApiError;
use axum::http::HeaderName;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use smshost::{OutgoingMessage, UsageType};

/// How long a delivery's answer is kept for Kratos's retries (5 by
/// default, on courier runs seconds apart; a day covers a long outage).
const REMEMBER_SECS: u64 = 24 * 3600;

/// Explicit code fields, in the order looked for.
const CODE_FIELDS: [&str; 5] = [
    "code",
    "login_code",
    "registration_code",
    "verification_code",
    "recovery_code",
];

/// `{"basicAuth": {"user", "password"}}` or `{"apiKey": {"name", "value"}}`
/// (Kratos's `request_config.auth`; an API key goes `in: header`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Creds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    basic_auth: Option<BasicAuth>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    api_key: Option<ApiKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ApiKey {
    name: String,
    value: String,
}

impl Creds {
    pub(super) fn parse(document: Value) -> Result<Creds, String> {
        let creds: Creds = parse_creds(document)?;
        match (&creds.basic_auth, &creds.api_key) {
            (Some(basic), None) => basic.check("basicAuth")?,
            (None, Some(key)) => {
                if HeaderName::from_bytes(key.name.as_bytes()).is_err() {
                    return Err("`apiKey.name` must be an HTTP header name".into());
                }
                check_header_value("apiKey.value", &key.value)?;
            }
            _ => return Err("give exactly one of `basicAuth` and `apiKey`".into()),
        }
        Ok(creds)
    }

    fn admits(&self, request: &DoorRequest<'_>) -> bool {
        match (&self.basic_auth, &self.api_key) {
            (Some(basic), _) => basic.matches(request.header("authorization")),
            (None, Some(key)) => same(
                request.header(&key.name).unwrap_or_default().as_bytes(),
                key.value.as_bytes(),
            ),
            (None, None) => false,
        }
    }
}

/// Kratos's request body; only these fields are read.
#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    recipient: Option<String>,
    #[serde(default)]
    to: Option<String>,
    template_type: String,
    #[serde(default)]
    body: Option<String>,
    // Read as any JSON so a wrong type is named by `code_of`.
    #[serde(default)]
    code: Option<Value>,
    #[serde(default)]
    login_code: Option<Value>,
    #[serde(default)]
    registration_code: Option<Value>,
    #[serde(default)]
    verification_code: Option<Value>,
    #[serde(default)]
    recovery_code: Option<Value>,
    #[serde(default)]
    template_data: Option<Map<String, Value>>,
}

impl Body {
    /// The top-level explicit code fields, as one map.
    fn top_level_codes(&self) -> Map<String, Value> {
        let fields = [
            ("code", &self.code),
            ("login_code", &self.login_code),
            ("registration_code", &self.registration_code),
            ("verification_code", &self.verification_code),
            ("recovery_code", &self.recovery_code),
        ];
        fields
            .into_iter()
            .filter_map(|(name, value)| Some((name.to_string(), value.clone()?)))
            .collect()
    }
}

/// A non-blank string field.
fn present(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|text| !text.is_empty())
}

/// The usage type of a Kratos template.
fn usage_of(template_type: &str) -> UsageType {
    match template_type {
        "login_code_valid" => UsageType::SignIn,
        "registration_code_valid" => UsageType::Register,
        // Verifying an address just added to the identity.
        "verification_code_valid" => UsageType::BindNewIdentifier,
        "recovery_code_valid" => UsageType::ForgotPassword,
        _ => UsageType::Generic,
    }
}

/// The code: an explicit field (top level, then `template_data`), else the
/// first run of 4-12 digits in the rendered `body`.
fn code_of(body: &Body) -> Result<String, ApiError> {
    let top = body.top_level_codes();
    let places = [("", Some(&top)), ("template_data.", body.template_data.as_ref())];
    for (prefix, place) in places {
        let Some(place) = place else { continue };
        for field in CODE_FIELDS {
            match place.get(field) {
                None | Some(Value::Null) => {}
                Some(Value::String(code)) => return super::code(&format!("{prefix}{field}"), code),
                Some(_) => {
                    return Err(ApiError::bad_request(
                        "invalid_payload",
                        format!("`{prefix}{field}` must be a string"),
                    ));
                }
            }
        }
    }
    body.body
        .as_deref()
        .and_then(digits_in)
        .map(str::to_string)
        .ok_or_else(|| {
            ApiError::bad_request(
                "missing_code",
                "no one-time code: add `code` to the courier's jsonnet body, or keep `body` (Kratos's text with the code); smshost sends only codes",
            )
        })
}

/// The first maximal run of 4-12 ASCII digits in `text`.
fn digits_in(text: &str) -> Option<&str> {
    let bytes = text.as_bytes();
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let end = start + bytes[start..].iter().take_while(|byte| byte.is_ascii_digit()).count();
        if (4..=12).contains(&(end - start)) {
            return Some(&text[start..end]);
        }
        start = end;
    }
    None
}

pub(super) async fn handle(request: DoorRequest<'_>) -> Response {
    match accept(request).await {
        Ok(answer) => answer.into_response(),
        Err(error) => {
            request.refused(Server::Kratos, &error);
            Answer::api_error(&error).into_response()
        }
    }
}

async fn accept(request: DoorRequest<'_>) -> Result<Answer, ApiError> {
    let creds: Creds = request.credentials(Server::Kratos).await?;
    if !creds.admits(&request) {
        return Err(unauthorized(
            "the request's credentials do not match this door's; check the channel's request_config.auth",
        ));
    }
    let body: Body = parse_payload(request.body)?;
    let (field, number) = match (present(&body.recipient), present(&body.to)) {
        (Some(number), _) => ("recipient", number),
        (None, Some(number)) => ("to", number),
        (None, None) => {
            return Err(ApiError::bad_request("invalid_payload", "`recipient` is required"));
        }
    };
    let to = super::phone(field, number)?;
    let code = code_of(&body)?;
    let message = OutgoingMessage::new(to, usage_of(&body.template_type), code);
    let key = door_key(Server::Kratos, "body", &digest(&[request.body]));
    Ok(send_once(
        request,
        &key,
        REMEMBER_SECS,
        request.app.send(request.tenant, message),
        super::json_receipt,
        "application/json",
    )
    .await)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn body(value: Value) -> Body {
        serde_json::from_value(value).unwrap()
    }

    #[test]
    fn codes_come_from_fields_then_the_text() {
        let default = body(json!({
            "recipient": "+4520123456", "template_type": "login_code_valid", "to": null,
            "recovery_code": null, "recovery_url": null, "verification_url": null,
            "verification_code": null, "subject": "", "body": "Your login code is: 482913\n"
        }));
        assert_eq!(code_of(&default).unwrap(), "482913");
        let text = body(json!({"template_type": "registration_code_valid",
            "body": "Your registration code is: 771204\n\nIt expires in 15 minutes.\n"}));
        assert_eq!(code_of(&text).unwrap(), "771204");
        let explicit = body(json!({"template_type": "x", "code": "123456", "body": "9999 0000"}));
        assert_eq!(code_of(&explicit).unwrap(), "123456");
        let nested = body(json!({"template_type": "x", "template_data": {"recovery_code": "654321"}}));
        assert_eq!(code_of(&nested).unwrap(), "654321");
        let wrong = body(json!({"template_type": "x", "code": 123456}));
        assert_eq!(code_of(&wrong).unwrap_err().message, "`code` must be a string");
        assert!(code_of(&body(json!({"template_type": "x", "body": "expires in 15 minutes"}))).is_err());
    }

    #[test]
    fn digit_runs() {
        assert_eq!(digits_in("a 12 b 123456 c"), Some("123456"));
        assert_eq!(digits_in("12345678901234 then 4321"), Some("4321"));
        assert_eq!(digits_in("none"), None);
    }

    #[test]
    fn template_types_map_to_usage_types() {
        assert_eq!(usage_of("login_code_valid"), UsageType::SignIn);
        assert_eq!(usage_of("registration_code_valid"), UsageType::Register);
        assert_eq!(usage_of("verification_code_valid"), UsageType::BindNewIdentifier);
        assert_eq!(usage_of("recovery_code_valid"), UsageType::ForgotPassword);
        assert_eq!(usage_of("other"), UsageType::Generic);
    }
}
