//! Twilio Messages API mock (provider reference §2).

use super::{ModeCell, basic_credentials};
use super::{Shared, apply_mode, json_response, record};
use crate::MockServer;
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::json;
use std::sync::Arc;

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

/// Starts a Twilio Messages API mock.
pub async fn twilio(creds: TwilioCreds) -> (MockServer, ModeCell) {
    super::serve(creds, twilio_handler).await
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
