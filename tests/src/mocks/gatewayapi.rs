//! GatewayAPI REST mock (provider reference §4): `POST /rest/mtsms` with the
//! API token as `Authorization: Token …`, Basic `<token>:` or `?token=`, and
//! a JSON message `{"sender", "message", "recipients": [{"msisdn"}]}` whose
//! `msisdn` is digits with the country code (an integer, or a digit string).
//! Answers `{"ids": […], "usage": {…}}` or
//! `{"code", "incident_uuid", "message", "variables"}` with 4xx.

use super::{ModeCell, basic_credentials};
use super::{Shared, apply_mode, json_response, record};
use crate::{MockServer, Recorded};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::{Value, json};
use std::sync::Arc;

/// GatewayAPI's credentials in the mock.
#[derive(Debug, Clone)]
pub struct GatewayApiCreds {
    /// The API token.
    pub token: String,
}

/// The id the GatewayAPI mock gives every message it accepts.
pub const GATEWAYAPI_MESSAGE_ID: u64 = 421332671;

/// An incident id, as GatewayAPI puts in every error body.
pub const GATEWAYAPI_INCIDENT: &str = "d8127429-fa0c-4316-b1f2-f9a2a0a1a3d5";

/// A GatewayAPI error body (`code` and `variables` left out when empty, as it does).
pub fn gatewayapi_error(code: Option<&str>, message: &str, variables: &[&str]) -> Value {
    let mut body = json!({"incident_uuid": GATEWAYAPI_INCIDENT, "message": message});
    if let Some(code) = code {
        body["code"] = json!(code);
    }
    if !variables.is_empty() {
        body["variables"] = json!(variables);
    }
    body
}

/// Starts a GatewayAPI REST mock.
pub async fn gatewayapi(creds: GatewayApiCreds) -> (MockServer, ModeCell) {
    super::serve(creds, gatewayapi_handler).await
}

fn fail(status: u16, code: Option<&str>, message: &str, variables: &[&str]) -> Response {
    json_response(status, gatewayapi_error(code, message, variables))
}

/// The token the request carries, in any of the documented forms.
fn token(recorded: &Recorded) -> Option<String> {
    if let Some(token) = recorded
        .header("authorization")
        .and_then(|value| value.strip_prefix("Token "))
    {
        return Some(token.to_string());
    }
    if let Some((user, password)) = basic_credentials(recorded)
        && password.is_empty()
    {
        return Some(user);
    }
    form_urlencoded::parse(recorded.query.as_deref().unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "token")
        .map(|(_, value)| value.into_owned())
}

fn country(msisdn: &str) -> &'static str {
    match msisdn {
        _ if msisdn.starts_with("45") => "DK",
        _ if msisdn.starts_with('1') => "US",
        _ if msisdn.starts_with('7') => "RU",
        _ => "DE",
    }
}

async fn gatewayapi_handler(State(shared): State<Arc<Shared<GatewayApiCreds>>>, request: Request) -> Response {
    let (recorded, _) = record(request).await;
    shared.journal.lock().expect("journal lock").push(recorded.clone());
    if recorded.path != "/rest/mtsms" {
        return fail(404, None, "Not found", &[]);
    }
    if recorded.method != "POST" {
        return fail(405, None, "Method not allowed", &[]);
    }
    if token(&recorded).as_deref() != Some(shared.creds.token.as_str()) {
        return fail(401, Some("0x0229"), "Invalid token", &[]);
    }
    let media = recorded.header("content-type").unwrap_or_default();
    if media.split(';').next().map(str::trim) != Some("application/json") {
        return fail(415, None, "Unsupported content type: expected application/json", &[]);
    }
    let Ok(Value::Object(body)) = serde_json::from_slice::<Value>(&recorded.body) else {
        return fail(422, None, "Invalid JSON", &[]);
    };
    for key in body.keys() {
        let known = [
            "sender",
            "message",
            "recipients",
            "class",
            "userref",
            "user_ref",
            "callback_url",
            "sendtime",
            "tags",
            "priority",
            "validity_period",
            "encoding",
            "destaddr",
            "payload",
            "udh",
            "label",
            "max_parts",
            "extra_details",
        ];
        if !known.contains(&key.as_str()) {
            return fail(400, Some("0x0220"), "Unsupported parameter %1", &[key]);
        }
    }
    match body.get("message") {
        Some(Value::String(text)) if !text.is_empty() => {}
        None => return fail(400, Some("0x0222"), "Missing required parameter %1", &["message"]),
        Some(_) => return fail(422, None, "Invalid value for message: expected a non-empty string", &[]),
    }
    if let Some(sender) = body.get("sender") {
        let Some(sender) = sender.as_str() else {
            return fail(422, None, "Invalid value for sender: expected a string", &[]);
        };
        let digits = sender.chars().all(|c| c.is_ascii_digit());
        let fits = if digits {
            sender.len() <= 15
        } else {
            sender.chars().count() <= 11
        };
        if sender.is_empty() || !fits {
            return fail(422, None, "Invalid sender: up to 11 characters or 15 digits", &[]);
        }
    }
    let Some(Value::Array(recipients)) = body.get("recipients") else {
        return fail(400, Some("0x0222"), "Missing required parameter %1", &["recipients"]);
    };
    if recipients.is_empty() {
        return fail(400, Some("0x0222"), "Missing required parameter %1", &["recipients"]);
    }
    let mut msisdns = Vec::new();
    for recipient in recipients {
        let msisdn = match recipient.get("msisdn") {
            Some(Value::Number(number)) if number.is_u64() => number.to_string(),
            Some(Value::String(text)) => text.clone(),
            _ => {
                return fail(
                    422,
                    None,
                    "Invalid msisdn: expected digits including the country code",
                    &[],
                );
            }
        };
        if !(7..=15).contains(&msisdn.len()) || !msisdn.chars().all(|c| c.is_ascii_digit()) || msisdn.starts_with('0') {
            return fail(
                422,
                None,
                "Invalid msisdn: expected digits including the country code",
                &[],
            );
        }
        if msisdns.contains(&msisdn) {
            return fail(
                422,
                Some("0x0310"),
                "A message contains the same recipient more than once. MSISDNs %1 is duplicated",
                &[&msisdn],
            );
        }
        msisdns.push(msisdn);
    }
    apply_mode(&shared.mode, move || {
        let mut countries = serde_json::Map::new();
        for msisdn in &msisdns {
            let entry = countries.entry(country(msisdn)).or_insert(json!(0));
            *entry = json!(entry.as_u64().unwrap_or_default() + 1);
        }
        // One id per message object; this mock takes one message per request.
        let cost = 0.15 * msisdns.len() as f64;
        json_response(
            200,
            json!({"ids": [GATEWAYAPI_MESSAGE_ID], "usage": {"countries": countries, "currency": "DKK", "total_cost": cost}}),
        )
    })
    .await
}
