//! The one path every send takes, whatever door it came in by:
//! parse → the tenant's active connector → rate limits → the sandbox →
//! the record (store, metrics, one log line). Each send runs in a
//! `tracing` span carrying its send id and tenant.
//!
//! Idempotency wraps this path (see [`crate::api`]): a replayed request
//! never reaches it.

use crate::app::App;
use crate::error::{self, ApiError};
use crate::tenants::Active;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use smshost::{Error, OutgoingMessage, PhoneNumber, Receipt, UsageType};
use smshost_store::SendRecord;
use std::sync::Arc;
use std::time::Instant;
use tracing::Instrument;

/// Longest one-time code accepted; real ones are 4-10 characters.
const MAX_CODE_LEN: usize = 64;

/// The body of `POST /messages`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub(crate) struct MessageBody {
    to: String,
    usage_type: String,
    payload: Map<String, Value>,
    #[serde(default)]
    ip: Option<String>,
}

impl MessageBody {
    /// Checks the fields and builds the message.
    pub(crate) fn into_message(self) -> Result<OutgoingMessage, ApiError> {
        let to = parse_phone(&self.to)?;
        let usage: UsageType = self.usage_type.parse().map_err(|error: smshost::UnknownUsageType| {
            ApiError::bad_request("unknown_usage_type", error.to_string())
        })?;
        message(to, usage, self.payload, self.ip)
    }
}

/// A recipient, or 400 `invalid_phone_number` (the number itself is never
/// echoed).
pub(crate) fn parse_phone(text: &str) -> Result<PhoneNumber, ApiError> {
    PhoneNumber::parse(text).map_err(|error| ApiError::bad_request("invalid_phone_number", error.to_string()))
}

/// Builds a message from a payload that must carry the code.
pub(crate) fn message(
    to: PhoneNumber,
    usage: UsageType,
    mut payload: Map<String, Value>,
    ip: Option<String>,
) -> Result<OutgoingMessage, ApiError> {
    let code = match payload.remove("code") {
        Some(Value::String(code)) => code,
        Some(Value::Number(number)) => number.to_string(),
        Some(_) => return Err(ApiError::bad_request("invalid_code", "`payload.code` must be a string")),
        None => {
            return Err(ApiError::bad_request(
                "missing_code",
                "`payload.code` (the one-time code) is required",
            ));
        }
    };
    let code = code.trim().to_string();
    if code.is_empty() || code.len() > MAX_CODE_LEN || code.chars().any(char::is_control) {
        return Err(ApiError::bad_request(
            "invalid_code",
            format!("`payload.code` must be 1-{MAX_CODE_LEN} printable characters"),
        ));
    }
    let locale = match payload.remove("locale") {
        Some(Value::String(locale)) if !locale.trim().is_empty() => Some(locale),
        Some(Value::String(_)) | Some(Value::Null) | None => None,
        Some(_) => {
            return Err(ApiError::bad_request(
                "invalid_request",
                "`payload.locale` must be a string",
            ));
        }
    };
    let mut message = OutgoingMessage::new(to, usage, code).with_payload(payload);
    if let Some(locale) = locale {
        message = message.with_locale(locale);
    }
    if let Some(ip) = ip.filter(|ip| !ip.trim().is_empty()) {
        if ip.parse::<std::net::IpAddr>().is_err() {
            return Err(ApiError::bad_request(
                "invalid_request",
                "`ip` must be an IPv4 or IPv6 address",
            ));
        }
        message = message.with_client_ip(ip);
    }
    Ok(message)
}

/// The receipt as the API shows it.
pub(crate) fn receipt_json(receipt: &Receipt) -> Value {
    json!({
        "sendId": receipt.send_id,
        "connector": receipt.connector,
        "to": receipt.to,
        "providerMessageId": receipt.provider_message_id,
        "summary": receipt.summary,
        "elapsedMs": receipt.elapsed_ms,
    })
}

impl App {
    /// Sends `message` through `tenant`'s active connector, applying every
    /// rule and recording the outcome.
    pub(crate) async fn send(&self, tenant: &str, message: OutgoingMessage) -> Result<Value, ApiError> {
        self.send_through(tenant, message, None).await
    }

    /// [`App::send`] through `through` instead of the tenant's active
    /// handle: a front door's variant of that handle (ZITADEL's text sent
    /// as is), so its sends keep the same limits, records and metrics.
    pub(crate) async fn send_through(
        &self,
        tenant: &str,
        message: OutgoingMessage,
        through: Option<Arc<Active>>,
    ) -> Result<Value, ApiError> {
        let span = tracing::info_span!("send", send_id = %message.send_id, tenant);
        self.send_inner(tenant, message, through).instrument(span).await
    }

    async fn send_inner(
        &self,
        tenant: &str,
        message: OutgoingMessage,
        through: Option<Arc<Active>>,
    ) -> Result<Value, ApiError> {
        let started = Instant::now();
        let active = match through {
            Some(active) => Some(active),
            None => self.active(tenant).await?,
        };
        let Some(active) = active else {
            return Err(ApiError::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "no_active_connector",
                format!("tenant `{tenant}` has no active SMS connector; PUT one at /connectors/sms"),
            ));
        };
        let connector_id = active.record.plugin.clone();
        let usage = message.usage.as_str();
        let to = message.to.redacted();
        let record = |outcome: &str, error_code: Option<String>, provider_message_id: Option<String>| SendRecord {
            id: message.send_id.clone(),
            at_unix_ms: crate::limits::now_unix_ms(),
            connector: connector_id.clone(),
            usage_type: usage.to_string(),
            to_masked: to.clone(),
            outcome: outcome.to_string(),
            error_code,
            provider_message_id,
            latency_ms: started.elapsed().as_millis() as u64,
        };

        if let Some(refusal) = self
            .limits
            .check(
                &self.counters,
                &self.key,
                tenant,
                &message.to,
                message.client_ip.as_deref(),
            )
            .await?
        {
            self.metrics
                .rate_limited
                .with_label_values(&[tenant, refusal.limit])
                .inc();
            self.finish(tenant, record("refused", Some("rate_limit_exceeded".into()), None))
                .await;
            return Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limit_exceeded",
                format!(
                    "too many codes sent (limit per {}: {} per {} s); try again in {} s",
                    refusal.limit, refusal.rule.count, refusal.rule.window_secs, refusal.retry_after_secs
                ),
            )
            .retry_after(refusal.retry_after_secs));
        }

        let sending = Instant::now();
        let result = active.connector.send(&message).await;
        self.metrics
            .provider_latency
            .with_label_values(&[&connector_id])
            .observe(sending.elapsed().as_secs_f64());
        match result {
            Ok(receipt) => {
                self.finish(tenant, record("sent", None, receipt.provider_message_id.clone()))
                    .await;
                Ok(receipt_json(&receipt))
            }
            Err(error) => {
                if let Error::Plugin { failure, .. } = &error {
                    self.metrics
                        .plugin_failures
                        .with_label_values(&[&connector_id, error::failure_kind(failure)])
                        .inc();
                }
                self.finish(tenant, record("failed", Some(error.code().to_string()), None))
                    .await;
                Err(error::from_host(&error, false))
            }
        }
    }

    /// Stores the record, counts it and writes the send's one log line.
    async fn finish(&self, tenant: &str, record: SendRecord) {
        self.metrics
            .sends
            .with_label_values(&[tenant, &record.connector, &record.usage_type, &record.outcome])
            .inc();
        tracing::info!(
            target: "smshost::send",
            tenant,
            connector = %record.connector,
            usage_type = %record.usage_type,
            to = %record.to_masked,
            outcome = %record.outcome,
            error_code = record.error_code.as_deref().unwrap_or(""),
            latency_ms = record.latency_ms,
            "send"
        );
        if let Err(error) = self.store.record_send(tenant, record).await {
            // The SMS went out (or was refused) already; losing its audit
            // line is logged, not turned into a failed send.
            tracing::error!(%error, "could not store the send record");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(value: Value) -> Result<OutgoingMessage, ApiError> {
        serde_json::from_value::<MessageBody>(value)
            .map_err(|error| ApiError::bad_request("invalid_body", error.to_string()))?
            .into_message()
    }

    fn code_of(value: Value) -> String {
        body(value).unwrap_err().code
    }

    #[test]
    fn a_good_body_becomes_a_message() {
        let message = body(json!({
            "to": "4520123456", "usageType": "sign-in",
            "payload": {"code": 123456, "locale": "da", "application": {"name": "Acme"}},
            "ip": "203.0.113.7"
        }))
        .unwrap();
        assert_eq!(message.to.as_str(), "+4520123456");
        assert_eq!(message.usage, UsageType::SignIn);
        assert_eq!(message.code(), "123456");
        assert_eq!(message.locale(), Some("da"));
        assert_eq!(message.payload["application"]["name"], "Acme");
        assert_eq!(message.client_ip.as_deref(), Some("203.0.113.7"));
    }

    #[test]
    fn each_bad_field_has_its_own_code_and_never_echoes_the_number() {
        let ok = json!({"to": "+4520123456", "usageType": "SignIn", "payload": {"code": "1234"}});
        let with = |key: &str, value: Value| {
            let mut body = ok.clone();
            body[key] = value;
            body
        };
        let error = body(with("to", json!("+4512345678"))).unwrap_err();
        assert_eq!(error.code, "invalid_phone_number");
        assert!(!error.message.contains("12345678"), "{}", error.message);
        assert_eq!(code_of(with("usageType", json!("Login"))), "unknown_usage_type");
        assert_eq!(code_of(with("payload", json!({}))), "missing_code");
        assert_eq!(code_of(with("payload", json!({"code": ""}))), "invalid_code");
        assert_eq!(code_of(with("payload", json!({"code": ["1"]}))), "invalid_code");
        assert_eq!(code_of(with("payload", json!({"code": "1\n2"}))), "invalid_code");
        assert_eq!(
            code_of(with("payload", json!({"code": "9".repeat(65)}))),
            "invalid_code"
        );
        assert_eq!(
            code_of(with("payload", json!({"code": "1", "locale": 5}))),
            "invalid_request"
        );
        assert_eq!(code_of(with("ip", json!("not-an-ip"))), "invalid_request");
    }
}
