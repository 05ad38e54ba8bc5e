//! Supabase Auth's Send SMS hook over HTTP.
//!
//! Supabase POSTs `{metadata?, user, sms: {otp, phone?, sms_type?}}`,
//! signed with Standard Webhooks: `webhook-id`, `webhook-timestamp` and
//! `webhook-signature` (`v1,<base64 HMAC-SHA256(key, "{id}.{ts}.{body}")>`,
//! one per configured secret, joined by `", "`). It reads a JSON body only
//! on 200/202: `{}` is success and `{"error": {"http_code", "message"}}`
//! makes Supabase answer its own client with that status and message. Other
//! statuses become a generic 500 there, except 429/503 with `Retry-After`,
//! which Supabase retries at once (at most 3 attempts in 5 s).
//!
//! So: failures the end user should read (bad number, too many codes, the
//! provider refused) are 200 with the error object; a failure a prompt
//! retry may cure (busy, store briefly down) is 503 with `Retry-After`;
//! a misconfiguration (signature, unknown door) keeps its 4xx status, and
//! the user sees Supabase's generic error while the operator reads ours in
//! Supabase's log.
//!
//! Each attempt carries a new `webhook-id`, so a retry is recognised by
//! user, phone and code (kept 10 minutes, longer than any SMS code lives
//! at Supabase's defaults): it sends no second SMS and gets the first
//! answer again. A `webhook-id` seen before is a replay and is refused.

use super::{
    Answer, Claim, DoorRequest, Server, claim, digest, door_key, fresh_timestamp, hmac_sha256, parse_creds,
    parse_payload, same, send_once, unauthorized,
};
use crate::error::ApiError;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use smshost::{OutgoingMessage, UsageType};

/// How long a `webhook-id` and a (user, phone, code) are remembered: past
/// the 5-minute timestamp window either side, and past Supabase's retries.
const REMEMBER_SECS: u64 = 600;

/// Most secrets kept for rotation.
const MAX_SECRETS: usize = 10;

/// `{"secrets": ["v1,whsec_<base64>", …]}`: Supabase's
/// `GOTRUE_HOOK_SEND_SMS_SECRETS`, each entry valid during a rotation.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Creds {
    secrets: Vec<String>,
}

impl Creds {
    pub(super) fn parse(document: Value) -> Result<Creds, String> {
        let creds: Creds = parse_creds(document)?;
        if creds.secrets.is_empty() || creds.secrets.len() > MAX_SECRETS {
            return Err(format!("`secrets` must list 1-{MAX_SECRETS} secrets"));
        }
        for (index, secret) in creds.secrets.iter().enumerate() {
            if key_of(secret).is_none() {
                return Err(format!(
                    "`secrets[{index}]` must be a Standard Webhooks secret as Supabase shows it: `v1,whsec_` and base64 of 16 or more bytes"
                ));
            }
        }
        Ok(creds)
    }
}

/// The HMAC key of `v1,whsec_<base64>` (`whsec_<base64>` accepted too).
fn key_of(secret: &str) -> Option<Vec<u8>> {
    let secret = secret.trim();
    let encoded = secret.strip_prefix("v1,").unwrap_or(secret).strip_prefix("whsec_")?;
    let key = STANDARD.decode(encoded).ok()?;
    (key.len() >= 16).then_some(key)
}

/// Supabase's request body; only these fields are read.
#[derive(Debug, Deserialize)]
struct Body {
    #[serde(default)]
    user: Option<User>,
    sms: Sms,
    #[serde(default)]
    metadata: Option<Metadata>,
}

#[derive(Debug, Deserialize)]
struct User {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    new_phone: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Sms {
    otp: String,
    #[serde(default)]
    phone: Option<String>,
    #[serde(default)]
    sms_type: Option<String>,
}

#[derive(Debug, Deserialize)]
struct Metadata {
    #[serde(default)]
    ip_address: Option<String>,
}

pub(super) async fn handle(request: DoorRequest<'_>) -> Response {
    match accept(request).await {
        Ok(answer) => answer,
        Err(error) => {
            request.refused(Server::Supabase, &error);
            // Refused before any send: the status tells Supabase's log why.
            Answer::json(error.status, &error_object(&error)).into_response()
        }
    }
}

/// `{"error": {"http_code": N, "message": "…"}}`.
fn error_object(error: &ApiError) -> Value {
    json!({"error": {"http_code": error.status.as_u16(), "message": error.message}})
}

/// The answer for a send's outcome, in Supabase's shape.
fn render(outcome: &Result<Value, ApiError>) -> Answer {
    match outcome {
        Ok(_) => Answer::json(StatusCode::OK, &json!({})),
        // Supabase retries 429/503 with Retry-After at once, within 5 s in
        // all: worth it only for a wait of a second or two.
        Err(error) if error.is_retryable() && error.retry_after.unwrap_or(u64::MAX) <= 2 => Answer {
            retry_after: error.retry_after,
            ..Answer::json(StatusCode::SERVICE_UNAVAILABLE, &error_object(error))
        },
        Err(error) => Answer::json(StatusCode::OK, &error_object(error)),
    }
}

/// Checks the Standard Webhooks headers against every secret.
fn verify(request: &DoorRequest<'_>, creds: &Creds) -> Result<String, ApiError> {
    let (Some(id), Some(timestamp), Some(signatures)) = (
        request.header("webhook-id"),
        request.header("webhook-timestamp"),
        request.header("webhook-signature"),
    ) else {
        return Err(unauthorized(
            "the webhook-id, webhook-timestamp and webhook-signature headers are required (Standard Webhooks)",
        ));
    };
    if id.is_empty() || id.len() > 200 {
        return Err(unauthorized("webhook-id must be 1-200 characters"));
    }
    let seconds: i64 = timestamp
        .trim()
        .parse()
        .map_err(|_| unauthorized("webhook-timestamp must be Unix seconds"))?;
    let keys: Vec<Vec<u8>> = creds.secrets.iter().filter_map(|secret| key_of(secret)).collect();
    let expected: Vec<[u8; 32]> = keys
        .iter()
        .map(|key| hmac_sha256(key, &[id.as_bytes(), b".", timestamp.as_bytes(), b".", request.body]))
        .collect();
    // Supabase joins signatures with ", "; the spec separates them by
    // spaces. Either way each is `v1,<base64>`.
    let mut valid = false;
    for signature in signatures.split([' ', '\t']).map(|part| part.trim_end_matches(',')) {
        let Some(encoded) = signature.strip_prefix("v1,") else {
            continue;
        };
        let Ok(sent) = STANDARD.decode(encoded) else {
            continue;
        };
        for mac in &expected {
            valid |= same(&sent, mac);
        }
    }
    if !valid {
        return Err(unauthorized(
            "no webhook-signature matches this door's secrets; check GOTRUE_HOOK_SEND_SMS_SECRETS",
        ));
    }
    // Checked after the signature, so an unsigned caller learns nothing
    // about the clock.
    fresh_timestamp(seconds)?;
    Ok(id.to_string())
}

async fn accept(request: DoorRequest<'_>) -> Result<Response, ApiError> {
    let creds: Creds = request.credentials(Server::Supabase).await?;
    let id = verify(&request, &creds)?;
    let id_key = door_key(Server::Supabase, "id", &digest(&[id.as_bytes()]));
    match claim(request.app, request.tenant, &id_key, REMEMBER_SECS).await? {
        Claim::Fresh => {
            // Kept as finished at once: the id is spent whatever follows.
            let spent = Answer::json(StatusCode::OK, &json!({}));
            super::settle(request.app, request.tenant, &id_key, false, &spent).await;
        }
        Claim::Replay(_) | Claim::Busy => {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "replayed_webhook",
                "this webhook-id was delivered before; Supabase signs every attempt with a new one",
            ));
        }
    }
    let body: Body = parse_payload(request.body)?;
    let user = body.user.as_ref();
    let present = |value: Option<&String>| {
        value
            .map(|text| text.trim())
            .filter(|text| !text.is_empty())
            .map(str::to_string)
    };
    // `sms.phone` since 2.180; before, the user's number: a pending phone
    // change's new number first, as the code verifies that number.
    let (field, number) = if let Some(number) = present(body.sms.phone.as_ref()) {
        ("sms.phone", number)
    } else if let Some(number) = present(user.and_then(|user| user.new_phone.as_ref())) {
        ("user.new_phone", number)
    } else if let Some(number) = present(user.and_then(|user| user.phone.as_ref())) {
        ("user.phone", number)
    } else {
        return Err(ApiError::bad_request(
            "invalid_payload",
            "no phone number: `sms.phone`, `user.new_phone` and `user.phone` are all empty",
        ));
    };
    // The number is the user's own typing (Supabase checks only its
    // shape): the user should read why it failed, so 200 with the error.
    let to = match super::phone(field, &number) {
        Ok(to) => to,
        Err(error) => {
            request.refused(Server::Supabase, &error);
            return Ok(render(&Err(error)).into_response());
        }
    };
    let otp = super::code("sms.otp", &body.sms.otp)?;
    let usage = match body.sms.sms_type.as_deref() {
        Some("mfa") => UsageType::MfaVerification,
        _ => UsageType::SignIn,
    };
    let mut message = OutgoingMessage::new(to.clone(), usage, otp.clone());
    if let Some(ip) = body
        .metadata
        .and_then(|metadata| metadata.ip_address)
        .filter(|ip| ip.parse::<std::net::IpAddr>().is_ok())
    {
        message = message.with_client_ip(ip);
    }
    let user_id = user.and_then(|user| user.id.clone()).unwrap_or_default();
    let key = door_key(
        Server::Supabase,
        "otp",
        &digest(&[user_id.as_bytes(), to.as_str().as_bytes(), otp.as_bytes()]),
    );
    let answer = send_once(
        request,
        &key,
        REMEMBER_SECS,
        request.app.send(request.tenant, message),
        render,
        "application/json",
    )
    .await;
    Ok(answer.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_parse_as_supabase_shows_them() {
        let key = STANDARD.encode([7u8; 24]);
        assert_eq!(key_of(&format!("v1,whsec_{key}")), Some(vec![7u8; 24]));
        assert_eq!(key_of(&format!("whsec_{key}")), Some(vec![7u8; 24]));
        assert!(key_of(&format!("v1,{key}")).is_none());
        assert!(key_of("v1,whsec_!!!").is_none());
        assert!(key_of("v1,whsec_AAAA").is_none());
        assert!(Creds::parse(json!({"secrets": []})).is_err());
        assert!(Creds::parse(json!({"secrets": [format!("v1,whsec_{key}")]})).is_ok());
        let error = Creds::parse(json!({"secrets": ["v1,whsec_short-secret"]})).unwrap_err();
        assert!(!error.contains("short-secret"), "{error}");
    }
}
