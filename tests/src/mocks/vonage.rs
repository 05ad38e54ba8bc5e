//! Vonage SMS API mock (provider reference §5): `POST /sms/json` with
//! `api_key`/`api_secret` (form body or query) or Basic `key:secret`, and
//! `from`, `to` (7–15 digits, no `+`), `text`, optional `type`
//! (`text`|`unicode`|`binary`). Like Vonage it answers **HTTP 200** for every
//! message-level outcome: `{"message-count": "n", "messages": [...]}` with one
//! entry per SMS part (GSM-7: 160 septets, 153 per part; unicode: 70 UTF-16
//! units, 67 per part), each `status` `"0"`, or one entry with a failing
//! status and `error-text`. Every value is a string, as Vonage sends them.

use super::{ModeCell, basic_credentials};
use super::{Shared, apply_mode, json_response, record};
use crate::{MockServer, Recorded};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Vonage's credentials in the mock.
#[derive(Debug, Clone)]
pub struct VonageCreds {
    /// The API key.
    pub api_key: String,
    /// The API secret.
    pub api_secret: String,
}

/// The id of the first part of every message the Vonage mock accepts.
pub const VONAGE_MESSAGE_ID: &str = "0A0000000123ABCD1";

/// A Vonage answer for one failed message: HTTP 200, a non-`"0"` status.
pub fn vonage_failure(status: &str, error_text: &str) -> Value {
    json!({"message-count": "1", "messages": [{"status": status, "error-text": error_text}]})
}

/// Starts a Vonage SMS API mock.
pub async fn vonage(creds: VonageCreds) -> (MockServer, ModeCell) {
    super::serve(creds, vonage_handler).await
}

fn failure(status: &str, error_text: &str) -> Response {
    json_response(200, vonage_failure(status, error_text))
}

/// GSM 03.38 default alphabet and extension table (an extension character
/// takes two septets).
const GSM7_BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?\
¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
const GSM7_EXTENSION: &str = "\u{000C}^{}\\[~]|€";

/// How many SMS parts `text` takes with this `type`.
pub fn sms_parts(text: &str, unicode: bool) -> usize {
    let (units, single, multi) = if unicode {
        (text.encode_utf16().count(), 70, 67)
    } else {
        let septets = text
            .chars()
            .map(|c| if GSM7_EXTENSION.contains(c) { 2 } else { 1 })
            .sum();
        (septets, 160, 153)
    };
    if units <= single { 1 } else { units.div_ceil(multi) }
}

/// True when GSM-7 can carry `text` (what `type=text` needs to arrive intact).
pub fn is_gsm7(text: &str) -> bool {
    text.chars()
        .all(|c| GSM7_BASIC.contains(c) || GSM7_EXTENSION.contains(c))
}

/// The request's parameters: query first, then a form or JSON body.
fn parameters(recorded: &Recorded) -> Vec<(String, String)> {
    let mut params: Vec<(String, String)> =
        form_urlencoded::parse(recorded.query.as_deref().unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let media = recorded.header("content-type").unwrap_or_default();
    match media.split(';').next().unwrap_or_default().trim() {
        "application/x-www-form-urlencoded" => params.extend(recorded.form()),
        // Vonage's Node SDK posts JSON, and Vonage takes it.
        "application/json" => {
            if let Ok(Value::Object(object)) = serde_json::from_slice::<Value>(&recorded.body) {
                params.extend(object.into_iter().map(|(key, value)| match value {
                    Value::String(text) => (key, text),
                    other => (key, other.to_string()),
                }));
            }
        }
        _ => {}
    }
    params
}

async fn vonage_handler(State(shared): State<Arc<Shared<VonageCreds>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    if recorded.path != "/sms/json" {
        return json_response(404, json!({"error-text": "Not Found"}));
    }
    let params = parameters(&recorded);
    let field = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let creds = &shared.creds;
    let authenticated = match (field("api_key"), field("api_secret")) {
        (Some(key), Some(secret)) => key == creds.api_key && secret == creds.api_secret,
        (None, None) => basic_credentials(&recorded) == Some((creds.api_key.clone(), creds.api_secret.clone())),
        _ => false,
    };
    if !authenticated {
        return failure("4", "Bad Credentials");
    }
    let Some(from) = field("from").filter(|from| !from.is_empty()) else {
        return failure("2", "Missing from param");
    };
    let Some(to) = field("to").filter(|to| !to.is_empty()) else {
        return failure("2", "Missing to param");
    };
    if !(7..=15).contains(&to.len()) || !to.chars().all(|c| c.is_ascii_digit()) || to.starts_with('0') {
        return failure("3", "Invalid to param");
    }
    let alphanumeric_sender = from.chars().count() <= 11 && from.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ');
    let numeric_sender = from.len() <= 15 && from.chars().all(|c| c.is_ascii_digit());
    if !alphanumeric_sender && !numeric_sender {
        return failure("15", "Illegal Sender Address - rejected");
    }
    let kind = field("type").unwrap_or_else(|| "text".to_string());
    if !matches!(kind.as_str(), "text" | "unicode" | "binary") {
        return failure("3", "Invalid type param");
    }
    let Some(text) = field("text").filter(|text| !text.is_empty()) else {
        return failure("2", "Missing text param");
    };
    let parts = sms_parts(&text, kind == "unicode");
    apply_mode(&shared.mode, move || {
        let messages: Vec<Value> = (0..parts)
            .map(|part| {
                let id = if part == 0 {
                    VONAGE_MESSAGE_ID.to_string()
                } else {
                    format!("0A0000000123ABCE{part}")
                };
                json!({
                    "to": to, "message-id": id, "status": "0",
                    "remaining-balance": format!("{:.8}", 15.5 - 0.0333 * (part + 1) as f64),
                    "message-price": "0.03330000", "network": "23820"
                })
            })
            .collect();
        json_response(200, json!({"message-count": parts.to_string(), "messages": messages}))
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts() {
        assert_eq!(sms_parts(&"a".repeat(160), false), 1);
        assert_eq!(sms_parts(&"a".repeat(161), false), 2);
        assert_eq!(sms_parts(&"€".repeat(80), false), 1);
        assert_eq!(sms_parts(&"€".repeat(81), false), 2);
        assert_eq!(sms_parts(&"ж".repeat(70), true), 1);
        assert_eq!(sms_parts(&"ж".repeat(71), true), 2);
        assert!(is_gsm7("é€{"));
        assert!(!is_gsm7("ê"));
    }
}
