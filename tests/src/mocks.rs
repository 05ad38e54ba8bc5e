//! Mock providers. Each checks a request the way the real provider does
//! (auth, content type, every field) and answers with the provider's own
//! success or error bodies; a [`Mode`] makes it fail on purpose.

use crate::{Journal, MockServer, Recorded};
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
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
    /// Never answer (until the client gives up).
    Hang,
}

/// Shared, switchable mode.
pub type ModeCell = Arc<Mutex<Mode>>;

struct Shared<C> {
    journal: Journal,
    mode: ModeCell,
    creds: C,
}

async fn record(request: Request) -> (Recorded, Bytes) {
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

fn json_response(status: u16, body: Value) -> Response {
    (
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

async fn apply_mode(mode: &ModeCell, success: impl FnOnce() -> Response) -> Response {
    let mode = mode.lock().expect("mode lock").clone();
    match mode {
        Mode::Succeed => success(),
        Mode::Answer(status, body) => json_response(status, body),
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

/// Twilio's credentials in the mock.
#[derive(Debug, Clone)]
pub struct TwilioCreds {
    /// The account SID the path and Basic user must carry.
    pub account_sid: String,
    /// The auth token.
    pub auth_token: String,
}

/// The SID the Twilio mock gives every created message.
pub const TWILIO_MESSAGE_SID: &str = "SM1f0e8ae6ade43cb3c0ce4525424e404f";

/// A Twilio Messages API mock (§2 of the provider reference).
pub async fn twilio(creds: TwilioCreds) -> (MockServer, ModeCell) {
    let journal: Journal = Arc::default();
    let mode: ModeCell = Arc::new(Mutex::new(Mode::Succeed));
    let shared = Arc::new(Shared {
        journal: journal.clone(),
        mode: mode.clone(),
        creds,
    });
    let router = Router::new().fallback(twilio_handler).with_state(shared);
    (MockServer::start(router, journal).await, mode)
}

fn twilio_error(status: u16, code: u32, message: &str) -> Response {
    json_response(
        status,
        json!({"code": code, "message": message, "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status}),
    )
}

async fn twilio_handler(State(shared): State<Arc<Shared<TwilioCreds>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    let creds = &shared.creds;
    let expected_path = format!("/2010-04-01/Accounts/{}/Messages.json", creds.account_sid);
    if recorded.method != "POST" || recorded.path != expected_path {
        return twilio_error(
            404,
            20404,
            &format!("The requested resource {} was not found", recorded.path),
        );
    }
    match basic_credentials(&recorded) {
        Some((user, password)) if user == creds.account_sid && password == creds.auth_token => {}
        _ => return twilio_error(401, 20003, "Authenticate"),
    }
    if recorded.header("content-type") != Some("application/x-www-form-urlencoded") {
        return twilio_error(400, 21604, "Content-Type must be application/x-www-form-urlencoded");
    }
    let form = recorded.form();
    let field = |name: &str| form.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
    let to = field("To").unwrap_or_default();
    let valid_to = to.strip_prefix('+').is_some_and(|digits| {
        (2..=15).contains(&digits.len()) && digits.chars().all(|c| c.is_ascii_digit()) && !digits.starts_with('0')
    });
    if to.is_empty() {
        return twilio_error(400, 21604, "A 'To' phone number is required.");
    }
    if !valid_to {
        return twilio_error(
            400,
            21211,
            &format!("The 'To' number {to} is not a valid phone number."),
        );
    }
    if field("MessagingServiceSid").is_none() && field("From").is_none() {
        return twilio_error(400, 21603, "A 'From' phone number is required.");
    }
    let body = field("Body").unwrap_or_default();
    if body.is_empty() {
        return twilio_error(400, 21602, "Message body is required.");
    }
    if !matches!(field("RiskCheck").as_deref(), None | Some("enable") | Some("disable")) {
        return twilio_error(400, 21610, "RiskCheck must be enable or disable.");
    }
    let account = creds.account_sid.clone();
    let service = field("MessagingServiceSid");
    apply_mode(&shared.mode, move || {
        json_response(
            201,
            json!({
                "account_sid": account, "api_version": "2010-04-01", "body": body,
                "date_created": "Thu, 24 Aug 2023 05:01:45 +0000", "date_sent": null,
                "date_updated": "Thu, 24 Aug 2023 05:01:45 +0000", "direction": "outbound-api",
                "error_code": null, "error_message": null, "from": null,
                "messaging_service_sid": service, "num_media": "0", "num_segments": "1",
                "price": null, "price_unit": "USD", "sid": TWILIO_MESSAGE_SID,
                "status": "accepted", "to": to,
                "uri": format!("/2010-04-01/Accounts/{account}/Messages/{TWILIO_MESSAGE_SID}.json")
            }),
        )
    })
    .await
}

/// An operator's HTTP SMS endpoint at `/sms`, requiring `authorization`
/// verbatim when set.
pub async fn http_sms(authorization: Option<String>) -> (MockServer, ModeCell) {
    let journal: Journal = Arc::default();
    let mode: ModeCell = Arc::new(Mutex::new(Mode::Succeed));
    let shared = Arc::new(Shared {
        journal: journal.clone(),
        mode: mode.clone(),
        creds: authorization,
    });
    let router = Router::new().fallback(http_sms_handler).with_state(shared);
    (MockServer::start(router, journal).await, mode)
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
