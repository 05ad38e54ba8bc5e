//! SMS Aero API v2 mock (provider reference §3): `POST /v2/sms/send` (and
//! `/v2/sms/testsend`) with Basic `email:apiKey`, a JSON or form body whose
//! `number` is 7–15 digits (a JSON integer, as the Python SDK sends, or a
//! digit string), a non-empty `text` and an optional `sign`. Answers
//! `{"success": true, "data": {…}, "message": null}` or `success: false`.

use super::{ModeCell, basic_credentials};
use super::{Shared, apply_mode, json_response, record};
use crate::{MockServer, Recorded};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Map, Value, json};
use std::sync::Arc;

/// SMS Aero's credentials in the mock.
#[derive(Debug, Clone)]
pub struct SmsAeroCreds {
    /// The account email (Basic user).
    pub email: String,
    /// The API key (Basic password).
    pub api_key: String,
}

/// The id the SMS Aero mock gives every message it accepts.
pub const SMSAERO_MESSAGE_ID: u64 = 12345;

/// SMS Aero's answer to bad credentials.
pub fn smsaero_unauthorized() -> Value {
    json!({"success": false, "data": null, "message": "Your request was made with invalid credentials."})
}

/// Starts an SMS Aero API mock.
pub async fn smsaero(creds: SmsAeroCreds) -> (MockServer, ModeCell) {
    super::serve(creds, smsaero_handler).await
}

fn refusal(status: u16, message: &str, fields: Option<Value>) -> Response {
    json_response(
        status,
        json!({"success": false, "data": fields.unwrap_or(Value::Null), "message": message}),
    )
}

fn validation(field: &str, problem: &str) -> Response {
    refusal(400, "Validation error.", Some(json!({ field: [problem] })))
}

/// The request's parameters as JSON values, whichever way they came.
fn parameters(recorded: &Recorded) -> Result<Map<String, Value>, &'static str> {
    let content_type = recorded.header("content-type").unwrap_or_default();
    let media = content_type.split(';').next().unwrap_or_default().trim();
    match media {
        "application/json" => match serde_json::from_slice(&recorded.body) {
            Ok(Value::Object(object)) => Ok(object),
            _ => Err("Invalid JSON."),
        },
        "application/x-www-form-urlencoded" => Ok(recorded
            .form()
            .into_iter()
            .map(|(k, v)| (k, Value::String(v)))
            .collect()),
        _ if recorded.body.is_empty() => Ok(form_urlencoded::parse(
            recorded.query.as_deref().unwrap_or_default().as_bytes(),
        )
        .into_owned()
        .map(|(k, v)| (k, Value::String(v)))
        .collect()),
        _ => Err("Unsupported content type."),
    }
}

async fn smsaero_handler(State(shared): State<Arc<Shared<SmsAeroCreds>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    if !matches!(recorded.path.as_str(), "/v2/sms/send" | "/v2/sms/testsend") {
        return refusal(404, "Page not found.", None);
    }
    if !matches!(recorded.method.as_str(), "POST" | "GET") {
        return refusal(405, "Method Not Allowed.", None);
    }
    let creds = &shared.creds;
    match basic_credentials(&recorded) {
        Some((user, password)) if user == creds.email && password == creds.api_key => {}
        _ => return json_response(401, smsaero_unauthorized()),
    }
    let params = match parameters(&recorded) {
        Ok(params) => params,
        Err(problem) => return refusal(400, problem, None),
    };
    let number = match params.get("number") {
        Some(Value::Number(number)) if number.is_u64() => number.to_string(),
        Some(Value::String(text)) => text.clone(),
        None => return validation("number", "Number cannot be blank."),
        Some(_) => return validation("number", "Invalid number."),
    };
    if !(7..=15).contains(&number.len()) || !number.chars().all(|c| c.is_ascii_digit()) || number.starts_with('0') {
        return validation("number", "Invalid number.");
    }
    let text = match params.get("text") {
        Some(Value::String(text)) if !text.trim().is_empty() => text.clone(),
        Some(Value::String(_)) | None => return validation("text", "Text cannot be blank."),
        Some(_) => return validation("text", "Text must be a string."),
    };
    let sign = match params.get("sign") {
        Some(Value::String(sign)) if !sign.trim().is_empty() => sign.clone(),
        None => "SMS Aero".to_string(),
        Some(_) => return validation("sign", "Sign must be a non-empty string."),
    };
    apply_mode(&shared.mode, move || {
        json_response(
            200,
            json!({
                "success": true,
                "data": {
                    "id": SMSAERO_MESSAGE_ID, "from": sign, "number": number, "text": text,
                    "status": 0, "extendStatus": "queue", "channel": "FREE SIGN", "cost": 5.49,
                    "dateCreate": 1719119523, "dateSend": 1719119523
                },
                "message": null
            }),
        )
    })
    .await
}
