//! authentik's SMS authenticator stage with the `generic` provider.
//!
//! authentik POSTs JSON `{"From", "To", "Body", "Message"}` to the stage's
//! URL: `Body` is the token, `Message` a ready English sentence. Auth is
//! `Authorization: Bearer <token>` or basic auth. A non-2xx status fails
//! the stage and authentik shows the response text to the user, so
//! failures are one short clean line; no retries. The stage serves MFA
//! enrolment and validation alike, so every send is `MfaVerification`.

use super::{
    Answer, BasicAuth, DoorRequest, Server, check_header_value, parse_creds, parse_payload, same, unauthorized,
};
use crate::error::ApiError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use smshost::{OutgoingMessage, UsageType};

/// `{"authorization": "Bearer …"}` (the exact header) or
/// `{"basicAuth": {"user", "password"}}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(super) struct Creds {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    authorization: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    basic_auth: Option<BasicAuth>,
}

impl Creds {
    pub(super) fn parse(document: Value) -> Result<Creds, String> {
        let creds: Creds = parse_creds(document)?;
        match (&creds.authorization, &creds.basic_auth) {
            (Some(authorization), None) => check_header_value("authorization", authorization)?,
            (None, Some(basic)) => basic.check("basicAuth")?,
            _ => {
                return Err(
                    "give exactly one of `authorization` (the stage's `Bearer …` header) and `basicAuth`".into(),
                );
            }
        }
        Ok(creds)
    }

    fn admits(&self, header: Option<&str>) -> bool {
        match (&self.authorization, &self.basic_auth) {
            (Some(expected), _) => same(header.unwrap_or_default().as_bytes(), expected.as_bytes()),
            (None, Some(basic)) => basic.matches(header),
            (None, None) => false,
        }
    }
}

/// authentik's request body (`From` and `Message` are not used).
#[derive(Debug, Deserialize)]
struct Body {
    #[serde(rename = "To")]
    to: String,
    #[serde(rename = "Body")]
    token: String,
}

pub(super) async fn handle(request: DoorRequest<'_>) -> Response {
    match accept(request).await {
        Ok(_) => (StatusCode::OK, axum::Json(json!({"ok": true}))).into_response(),
        Err(error) => Answer::short_text(&error).into_response(),
    }
}

async fn accept(request: DoorRequest<'_>) -> Result<Value, ApiError> {
    let checked = async {
        let creds: Creds = request.credentials(Server::Authentik).await?;
        if !creds.admits(request.header("authorization")) {
            return Err(unauthorized(
                "the request's authorization does not match this door's; check the SMS stage's auth settings",
            ));
        }
        let body: Body = parse_payload(request.body)?;
        let to = super::phone("To", &body.to)?;
        let token = super::code("Body", &body.token)?;
        Ok(OutgoingMessage::new(to, UsageType::MfaVerification, token))
    };
    let message = checked
        .await
        .inspect_err(|error| request.refused(Server::Authentik, error))?;
    request.app.send(request.tenant, message).await
}
