//! An operator's HTTP SMS endpoint.

use super::ModeCell;
use super::{Shared, apply_mode, json_response, record};
use crate::MockServer;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::Value;
use serde_json::json;
use std::sync::Arc;

/// An operator's HTTP SMS endpoint at `/sms`, requiring `authorization`
/// verbatim when set.
pub async fn http_sms(authorization: Option<String>) -> (MockServer, ModeCell) {
    super::serve(authorization, http_sms_handler).await
}

async fn http_sms_handler(State(shared): State<Arc<Shared<Option<String>>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    if recorded.method != "POST" || recorded.path != "/sms" {
        return json_response(404, json!({"error": "not found"}));
    }
    if let Some(expected) = &shared.creds
        && recorded.header("authorization") != Some(expected.as_str())
    {
        return json_response(401, json!({"error": "unauthorized"}));
    }
    if recorded.header("content-type") != Some("application/json") {
        return json_response(415, json!({"error": "expected application/json"}));
    }
    let Ok(body) = serde_json::from_slice::<Value>(&recorded.body) else {
        return json_response(400, json!({"error": "invalid JSON"}));
    };
    let well_formed = body["to"].is_string() && body["type"].is_string() && body["payload"]["code"].is_string();
    if !well_formed {
        return json_response(400, json!({"error": "to, type and payload.code are required"}));
    }
    apply_mode(&shared.mode, || json_response(200, json!({"ok": true}))).await
}
