//! Logto's HTTP SMS connector (`@logto/connector-http-sms`).
//!
//! Logto POSTs `{to, type, payload: {code, locale?, uiLocales?, user?,
//! application?, organization?}, ip?}` as JSON with the `Authorization`
//! header its admin typed, verbatim; no signature. Any 2xx is success and
//! its body is ignored; on any other status Logto shows the raw body to the
//! caller, so failures are one short clean line. Logto does not retry.
//!
//! The body is exactly `POST /v1/messages`'s, with `type` for `usageType`:
//! the same checks, the whole payload as template variables.

use super::{Answer, DoorRequest, Server, check_header_value, parse_creds, parse_payload, same, unauthorized};
use crate::error::ApiError;
use crate::pipeline;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use smshost::UsageType;

/// `{"authorization": "<the exact Authorization header Logto sends>"}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Creds {
    authorization: String,
}

impl Creds {
    pub(super) fn parse(document: Value) -> Result<Creds, String> {
        let creds: Creds = parse_creds(document)?;
        check_header_value("authorization", &creds.authorization)?;
        Ok(creds)
    }
}

/// Logto's request body.
#[derive(Debug, Deserialize)]
struct Body {
    to: String,
    #[serde(rename = "type")]
    usage: String,
    payload: Map<String, Value>,
    #[serde(default)]
    ip: Option<String>,
}

pub(super) async fn handle(request: DoorRequest<'_>) -> Response {
    match accept(request).await {
        Ok(_) => (StatusCode::OK, axum::Json(json!({"ok": true}))).into_response(),
        Err(error) => Answer::short_text(&error).into_response(),
    }
}

async fn accept(request: DoorRequest<'_>) -> Result<Value, ApiError> {
    let checked = async {
        let creds: Creds = request.credentials(Server::Logto).await?;
        let sent = request.header("authorization").unwrap_or_default();
        if !same(sent.as_bytes(), creds.authorization.as_bytes()) {
            return Err(unauthorized(
                "the Authorization header does not match this door's; check the connector's Authorization Header field",
            ));
        }
        let body: Body = parse_payload(request.body)?;
        let to = super::phone("to", &body.to)?;
        let usage: UsageType = body.usage.parse().map_err(|error: smshost::UnknownUsageType| {
            ApiError::bad_request("unknown_usage_type", error.to_string())
        })?;
        pipeline::message(to, usage, body.payload, body.ip)
    };
    let message = checked
        .await
        .inspect_err(|error| request.refused(Server::Logto, error))?;
    request.app.send(request.tenant, message).await
}
