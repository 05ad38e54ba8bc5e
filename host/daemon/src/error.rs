//! The admin API's error answers: always `{"code": "...", "message": "..."}`
//! with a status that says who should act, plus the connector's details
//! (`providerCode`, `httpStatus`, `retryable`) when a provider refused.
//!
//! Every message built from guest or provider text goes through the
//! library's redaction first (secrets, codes, numbers) and is escaped and
//! capped here, so a hostile provider cannot forge log lines or flood a
//! response.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use smshost::{Error, ErrorCode, PluginFailure};
use smshost_store::StoreError;

/// Longest message an API error carries.
const MAX_MESSAGE: usize = 1024;

/// One error answer.
#[derive(Debug, Clone)]
pub(crate) struct ApiError {
    pub(crate) status: StatusCode,
    pub(crate) code: String,
    pub(crate) message: String,
    pub(crate) retry_after: Option<u64>,
    /// Extra fields merged into the body (connector details).
    pub(crate) details: serde_json::Map<String, Value>,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code: code.to_string(),
            message: clean(&message.into()),
            retry_after: None,
            details: serde_json::Map::new(),
        }
    }

    pub(crate) fn bad_request(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, code, message)
    }

    pub(crate) fn not_found(code: &str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, code, message)
    }

    pub(crate) fn unauthorized() -> Self {
        // Nothing about why: a missing, malformed, unknown and revoked
        // token all look the same from outside.
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "a valid `Authorization: Bearer <token>` header is required",
        )
    }

    pub(crate) fn forbidden_tenant(tenant: &str) -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "forbidden",
            format!("this token does not reach tenant `{tenant}`"),
        )
    }

    pub(crate) fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds.max(1));
        self
    }

    /// The JSON body.
    pub(crate) fn body(&self) -> Value {
        let mut body = serde_json::Map::new();
        body.insert("code".into(), Value::String(self.code.clone()));
        body.insert("message".into(), Value::String(self.message.clone()));
        for (key, value) in &self.details {
            body.insert(key.clone(), value.clone());
        }
        Value::Object(body)
    }

    /// Whether a client retrying the same request may succeed.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(
            self.status,
            StatusCode::TOO_MANY_REQUESTS | StatusCode::SERVICE_UNAVAILABLE | StatusCode::CONFLICT
        ) || self.details.get("retryable") == Some(&Value::Bool(true))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(seconds) = self.retry_after
            && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
        {
            response.headers_mut().insert(header::RETRY_AFTER, value);
        }
        response
    }
}

impl From<crate::secrets::SecretError> for ApiError {
    fn from(error: crate::secrets::SecretError) -> Self {
        // The stored value is fine; this daemon holds another key.
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "secret_key_mismatch",
            error.to_string(),
        )
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::VersionMismatch { current } => ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "version_conflict",
                match current {
                    Some(version) => format!("the connector changed meanwhile; its version is now {version}"),
                    None => "the connector changed meanwhile; none is active now".to_string(),
                },
            ),
            other => {
                tracing::error!(error = %other, "store unavailable");
                ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "store_unavailable",
                    "the configuration store is unavailable; nothing was sent or changed",
                )
                .retry_after(2)
            }
        }
    }
}

/// Maps a library error to its answer. `during_validation`: the error came
/// from checking a config (a refused config is the caller's 400, not the
/// provider's 502).
pub(crate) fn from_host(error: &Error, during_validation: bool) -> ApiError {
    match error {
        Error::InvalidConfig { .. } => ApiError::bad_request("invalid_config", error.to_string()),
        Error::InvalidRequest(_) => ApiError::bad_request("invalid_request_parameters", error.to_string()),
        Error::UnknownPlugin(id) => ApiError::bad_request(
            "plugin_not_found",
            format!("no plugin with id `{id}` is loaded; GET /v1/plugins lists them"),
        ),
        Error::Busy(_) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "busy", error.to_string()).retry_after(1),
        Error::Plugin { failure, .. } => {
            let mut api = ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "plugin_failed", error.to_string());
            api.details
                .insert("failure".into(), Value::String(failure_kind(failure).into()));
            if matches!(failure, PluginFailure::Timeout(_)) {
                api.details.insert("retryable".into(), Value::Bool(true));
            }
            api
        }
        Error::Connector { error: inner, .. } => {
            let status = match inner.code {
                ErrorCode::TemplateNotFound => StatusCode::UNPROCESSABLE_ENTITY,
                ErrorCode::InvalidConfig => StatusCode::BAD_REQUEST,
                _ if during_validation => StatusCode::BAD_REQUEST,
                _ => StatusCode::BAD_GATEWAY,
            };
            let mut api = ApiError::new(status, inner.code.as_str(), error.to_string());
            if let Some(code) = &inner.provider_code {
                api.details.insert("providerCode".into(), Value::String(clean(code)));
            }
            if let Some(status) = inner.http_status {
                api.details.insert("httpStatus".into(), json!(status));
            }
            api.details.insert("retryable".into(), Value::Bool(inner.retryable));
            if inner.code == ErrorCode::RateLimitExceeded && inner.retryable {
                api.retry_after = Some(5);
            }
            api
        }
        other => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, other.code(), other.to_string()),
    }
}

/// The label a plugin failure gets in responses and metrics.
pub(crate) fn failure_kind(failure: &PluginFailure) -> &'static str {
    match failure {
        PluginFailure::Trap(_) => "trap",
        PluginFailure::CpuBudgetExceeded(_) => "cpu_budget",
        PluginFailure::MemoryLimitExceeded(_) => "memory_limit",
        PluginFailure::Timeout(_) => "timeout",
        _ => "other",
    }
}

/// Escapes control characters and caps the length, so a message is one
/// printable line whatever a provider put in it.
pub(crate) fn clean(text: &str) -> String {
    let mut out = String::with_capacity(text.len().min(MAX_MESSAGE));
    for c in text.chars() {
        if out.len() >= MAX_MESSAGE {
            out.push('…');
            break;
        }
        if c.is_control() || matches!(c, '\u{200b}'..='\u{200f}' | '\u{2028}'..='\u{202e}' | '\u{2066}'..='\u{2069}') {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_one_capped_printable_line() {
        let forged = "bad\nsmshost: error: forged\r\x1b[31mred\u{202e}rtl";
        let cleaned = clean(forged);
        assert!(!cleaned.contains('\n') && !cleaned.contains('\r') && !cleaned.contains('\x1b'));
        assert!(!cleaned.contains('\u{202e}'));
        assert!(cleaned.contains("\\n") && cleaned.contains("\\u{1b}"), "{cleaned}");
        let huge = "x".repeat(20 << 20);
        assert!(clean(&huge).len() <= MAX_MESSAGE + '…'.len_utf8());
        let error = ApiError::bad_request("invalid_config", forged);
        assert_eq!(error.body()["code"], "invalid_config");
        assert!(!error.body()["message"].as_str().unwrap().contains('\n'));
    }
}
