//! Sinch SMS REST API mock: `POST /xms/v1/{service_plan_id}/batches` on
//! `{region}.sms.api.sinch.com`, `Authorization: Bearer {token}`, a JSON
//! body `{to: [..], from?, body}`; errors are `{"code", "text"}`.

use super::{ModeCell, Shared, apply_mode, json_response, record, text_response};
use crate::MockServer;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// Sinch's credentials in the mock.
#[derive(Debug, Clone)]
pub struct SinchCreds {
    /// The service plan the path must carry.
    pub service_plan_id: String,
    /// The bearer token.
    pub api_token: String,
    /// The API host the request must name (`eu.sms.api.sinch.com`).
    pub host: String,
}

/// The batch id the mock gives every accepted batch.
pub const SINCH_BATCH_ID: &str = "01FC66621XXXXX119Z8PMV1QPQ";

/// Starts a Sinch SMS REST API mock.
pub async fn sinch(creds: SinchCreds) -> (MockServer, ModeCell) {
    super::serve(creds, sinch_handler).await
}

fn sinch_error(status: u16, code: &str, text: &str) -> Response {
    json_response(status, json!({"code": code, "text": text}))
}

async fn sinch_handler(State(shared): State<Arc<Shared<SinchCreds>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    let creds = &shared.creds;
    if recorded.header("host") != Some(creds.host.as_str()) {
        return text_response(404, "Not Found");
    }
    if recorded.method != "POST" || recorded.path != format!("/xms/v1/{}/batches", creds.service_plan_id) {
        return text_response(404, "Not Found");
    }
    if recorded.header("authorization") != Some(format!("Bearer {}", creds.api_token).as_str()) {
        return text_response(401, "Unauthorized");
    }
    if recorded.header("content-type") != Some("application/json") {
        return sinch_error(400, "syntax_invalid_json", "The request body is not valid JSON");
    }
    let Ok(body) = serde_json::from_slice::<Value>(&recorded.body) else {
        return sinch_error(400, "syntax_invalid_json", "The request body is not valid JSON");
    };
    let to: Vec<&str> = body["to"]
        .as_array()
        .map(|to| to.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let valid_number = |number: &&str| {
        let digits = number.strip_prefix('+').unwrap_or(number);
        (8..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit())
    };
    if to.is_empty() || !to.iter().all(valid_number) {
        return sinch_error(
            400,
            "syntax_invalid_parameter_format",
            "Parameter 'to' is not a list of valid MSISDNs",
        );
    }
    let Some(text) = body["body"].as_str().filter(|text| !text.is_empty()) else {
        return sinch_error(400, "syntax_constraint_violation", "Field 'body' is required");
    };
    let (text, from, to) = (text.to_string(), body["from"].clone(), body["to"].clone());
    apply_mode(&shared.mode, move || {
        json_response(
            201,
            json!({
                "id": SINCH_BATCH_ID, "to": to, "from": from, "canceled": false, "body": text,
                "type": "mt_text", "created_at": "2026-12-01T10:00:00.000Z",
                "modified_at": "2026-12-01T10:00:00.000Z", "delivery_report": "none",
                "expire_at": "2026-12-04T10:00:00.000Z", "flash_message": false
            }),
        )
    })
    .await
}
