//! Plivo Message API mock: `POST /v1/Account/{auth_id}/Message/`, HTTP
//! Basic `auth_id:auth_token`, a JSON body `{src | powerpack_uuid, dst, text}`.

use super::{ModeCell, Shared, apply_mode, basic_credentials, json_response, record, text_response};
use crate::MockServer;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Plivo's credentials in the mock.
#[derive(Debug, Clone)]
pub struct PlivoCreds {
    /// The Auth ID the path and the Basic user must carry.
    pub auth_id: String,
    /// The auth token.
    pub auth_token: String,
}

/// The `message_uuid` the mock gives every accepted message.
pub const PLIVO_MESSAGE_UUID: &str = "db3ce55a-7f1d-11e1-8ea7-1231380bc196";

/// The `api_id` of every answer.
pub const PLIVO_API_ID: &str = "db342550-7f1d-11e1-8ea7-1231380bc196";

/// Starts a Plivo Message API mock.
pub async fn plivo(creds: PlivoCreds) -> (MockServer, ModeCell) {
    super::serve(creds, plivo_handler).await
}

fn plivo_error(status: u16, error: &str) -> Response {
    json_response(status, json!({"api_id": PLIVO_API_ID, "error": error}))
}

async fn plivo_handler(State(shared): State<Arc<Shared<PlivoCreds>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    let creds = &shared.creds;
    if recorded.method != "POST" || recorded.path != format!("/v1/Account/{}/Message/", creds.auth_id) {
        return plivo_error(404, "not found");
    }
    match basic_credentials(&recorded) {
        Some((user, password)) if user == creds.auth_id && password == creds.auth_token => {}
        // Plivo's 401 is plain text, not its JSON error body.
        _ => {
            return text_response(
                401,
                "Could not verify your access level for that URL.\nYou have to login with proper credentials",
            );
        }
    }
    if recorded.header("content-type") != Some("application/json") {
        return plivo_error(400, "content type must be application/json");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&recorded.body) else {
        return plivo_error(400, "invalid JSON");
    };
    let has_sender = body["src"].as_str().is_some_and(|src| !src.is_empty())
        || body["powerpack_uuid"].as_str().is_some_and(|uuid| !uuid.is_empty());
    if !has_sender {
        return plivo_error(400, "Either of src or powerpack_uuid should be given");
    }
    let dst = body["dst"].as_str().unwrap_or_default();
    let digits = dst.strip_prefix('+').unwrap_or(dst);
    if digits.len() < 8 || digits.len() > 15 || !digits.chars().all(|c| c.is_ascii_digit()) {
        return plivo_error(400, "invalid dst parameter");
    }
    if body["text"].as_str().is_none_or(str::is_empty) {
        return plivo_error(400, "text parameter is required");
    }
    apply_mode(&shared.mode, || {
        json_response(
            202,
            json!({"api_id": PLIVO_API_ID, "message": "message(s) queued", "message_uuid": [PLIVO_MESSAGE_UUID]}),
        )
    })
    .await
}
