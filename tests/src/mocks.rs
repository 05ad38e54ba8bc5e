//! Mock providers. Each checks a request the way the real provider does
//! (auth, signatures, content type, every field) and answers with the
//! provider's own success or error bodies; a [`Mode`] makes it fail on
//! purpose. One module per provider; the shared pieces live here.

pub mod aliyun;
pub mod gatewayapi;
pub mod http_sms;
pub mod plivo;
pub mod sinch;
pub mod smsaero;
pub mod tencent;
pub mod twilio;
pub mod vonage;

pub use http_sms::http_sms;
pub use twilio::{TWILIO_MESSAGE_SID, TwilioCreds, twilio};

use crate::{Journal, MockServer, Recorded};
use axum::body::Bytes;
use axum::extract::Request;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How a mock answers a request that passed its checks.
#[derive(Debug, Clone)]
pub enum Mode {
    /// The provider's normal success.
    Succeed,
    /// This status and JSON body.
    Answer(u16, Value),
    /// This status and a body that is not JSON (an unreadable answer).
    Text(u16, &'static str),
    /// Never answer (until the client gives up).
    Hang,
}

/// Shared, switchable mode.
pub type ModeCell = Arc<Mutex<Mode>>;

/// State a mock's handler shares: its journal, its mode and the
/// credentials it accepts.
pub struct Shared<C> {
    /// What the mock received.
    pub journal: Journal,
    /// How it answers.
    pub mode: ModeCell,
    /// What it accepts as credentials.
    pub creds: C,
}

/// Serves `handler` on loopback with `creds` as its state; returns the
/// server and its switchable mode (initially [`Mode::Succeed`]).
pub async fn serve<C, H, T>(creds: C, handler: H) -> (MockServer, ModeCell)
where
    C: Send + Sync + 'static,
    H: axum::handler::Handler<T, Arc<Shared<C>>>,
    T: 'static,
{
    let journal: Journal = Arc::default();
    let mode: ModeCell = Arc::new(Mutex::new(Mode::Succeed));
    let shared = Arc::new(Shared {
        journal: journal.clone(),
        mode: mode.clone(),
        creds,
    });
    let router = axum::Router::new().fallback(handler).with_state(shared);
    (MockServer::start(router, journal).await, mode)
}

/// Reads a request into a [`Recorded`] (and the raw body).
pub async fn record(request: Request) -> (Recorded, Bytes) {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20).await.unwrap_or_default();
    let recorded = Recorded {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().map(str::to_string),
        headers: parts
            .headers
            .iter()
            .map(|(n, v)| {
                (
                    n.as_str().to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
        body: body.to_vec(),
    };
    (recorded, body)
}

/// A JSON response with this status.
pub fn json_response(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// A `text/plain` response with this status.
pub fn text_response(status: u16, body: &'static str) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "text/plain")],
        body,
    )
        .into_response()
}

/// Answers per the mock's [`Mode`], `success` for [`Mode::Succeed`].
pub async fn apply_mode(mode: &ModeCell, success: impl FnOnce() -> Response) -> Response {
    let mode = mode.lock().expect("mode lock").clone();
    match mode {
        Mode::Succeed => success(),
        Mode::Answer(status, body) => json_response(status, body),
        Mode::Text(status, body) => text_response(status, body),
        Mode::Hang => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            json_response(500, json!({}))
        }
    }
}

/// Decodes `Authorization: Basic ...` into (user, password).
pub fn basic_credentials(recorded: &Recorded) -> Option<(String, String)> {
    let value = recorded.header("authorization")?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD.decode(encoded).ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (user, password) = text.split_once(':')?;
    Some((user.to_string(), password.to_string()))
}
