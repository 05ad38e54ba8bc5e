//! Constructors for [`ConnectorError`], so connectors say what failed, not how
//! to fill a record.

use crate::{ConnectorError, ErrorCode};

impl ConnectorError {
    /// An error with just a code and a message; not retryable.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        ConnectorError {
            code,
            message: message.into(),
            provider_code: None,
            http_status: None,
            retryable: false,
        }
    }

    /// The config is missing a field or holds a bad value; name the field.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidConfig, message)
    }

    /// The selected template entry lacks what this connector needs.
    pub fn template_not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::TemplateNotFound, message)
    }

    /// Any provider failure without a more specific code.
    pub fn general(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::General, message)
    }

    /// The provider throttled the request; retryable.
    pub fn rate_limited(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::RateLimitExceeded, message).retryable(true)
    }

    /// The provider answered with a body the connector cannot read.
    pub fn invalid_response(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidResponse, message)
    }

    /// The provider refused the request's parameters (e.g. the phone number).
    pub fn invalid_request(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequestParameters, message)
    }

    /// The account's quota or balance is exhausted.
    pub fn usage_limited(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::UsageLimitExceeded, message)
    }

    /// The provider refused the credentials.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::AuthorizationFailed, message)
    }

    /// Attaches the provider's own error code.
    pub fn provider_code(mut self, code: impl ToString) -> Self {
        self.provider_code = Some(code.to_string());
        self
    }

    /// Attaches the provider's HTTP status.
    pub fn http_status(mut self, status: u16) -> Self {
        self.http_status = Some(status);
        self
    }

    /// Marks whether sending again later may succeed.
    pub fn retryable(mut self, retryable: bool) -> Self {
        self.retryable = retryable;
        self
    }
}

/// The code Logto would use for an HTTP status when the body says nothing
/// more specific: 429 is rate limiting, 401/403 refused credentials, 5xx is a
/// provider fault worth retrying.
pub fn from_http_status(status: u16, message: impl Into<String>) -> ConnectorError {
    let error = match status {
        429 => ConnectorError::rate_limited(message),
        401 | 403 => ConnectorError::unauthorized(message),
        500..=599 => ConnectorError::general(message).retryable(true),
        _ => ConnectorError::general(message),
    };
    error.http_status(status)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_mapping() {
        assert_eq!(from_http_status(429, "x").code, ErrorCode::RateLimitExceeded);
        assert!(from_http_status(429, "x").retryable);
        assert_eq!(from_http_status(401, "x").code, ErrorCode::AuthorizationFailed);
        assert!(from_http_status(503, "x").retryable);
        assert!(!from_http_status(400, "x").retryable);
        assert_eq!(from_http_status(400, "x").http_status, Some(400));
    }
}
