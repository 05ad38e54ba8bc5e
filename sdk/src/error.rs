//! Constructors for [`ConnectorError`], so connectors say what failed, not how
//! to fill a record, and one way to classify what a provider refused:
//! [`ProviderError`] with [`Kind`], falling back to [`from_http_status`].

use crate::http::{HttpResponse, snippet};
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

    /// The config is missing a field or holds a bad value.
    ///
    /// The message is the reason alone: every host shows the code in front
    /// of it (`…: invalid_config: <reason>`), so a connector never types an
    /// "invalid config" prefix itself; one it typed anyway is dropped here so
    /// the result reads once.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        let message = message.into();
        let reason = ["invalid config:", "invalid_config:", "invalid-config:"]
            .iter()
            .find_map(|prefix| {
                message
                    .get(..prefix.len())
                    .filter(|head| head.eq_ignore_ascii_case(prefix))
                    .map(|_| message[prefix.len()..].trim_start())
            })
            .unwrap_or(&message)
            .to_string();
        Self::new(ErrorCode::InvalidConfig, reason)
    }

    /// The config field `field` holds a bad value: "`field` <problem>".
    pub fn invalid_field(field: &str, problem: impl std::fmt::Display) -> Self {
        Self::new(ErrorCode::InvalidConfig, format!("`{field}` {problem}"))
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

/// What kind of failure a provider reported: an [`ErrorCode`] and whether
/// the same send may pass later. A connector's classify closure answers
/// with one of these for the provider codes it knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Throttled: `rate-limit-exceeded`, retryable.
    RateLimited,
    /// Credentials refused: `authorization-failed`.
    Unauthorized,
    /// The request's parameters (number, text, sender) refused:
    /// `invalid-request-parameters`.
    InvalidRequest,
    /// Quota or balance exhausted: `usage-limit-exceeded`.
    UsageLimited,
    /// A provider fault that may pass on a later try: `general`, retryable.
    Transient,
    /// Anything else: `general`.
    General,
}

impl Kind {
    /// The kind an HTTP status means when the body says nothing more
    /// specific. 400/422 refuse the request, 401/403 the credentials, 402 the
    /// balance; 408 (request timeout), 425 (too early), 429 (throttled) and
    /// every 5xx may pass later; anything else is `general`.
    pub fn of_status(status: u16) -> Kind {
        match status {
            400 | 422 => Kind::InvalidRequest,
            401 | 403 => Kind::Unauthorized,
            402 => Kind::UsageLimited,
            429 => Kind::RateLimited,
            408 | 425 | 500..=599 => Kind::Transient,
            _ => Kind::General,
        }
    }

    /// The error of this kind with `message`.
    pub fn error(self, message: impl Into<String>) -> ConnectorError {
        match self {
            Kind::RateLimited => ConnectorError::rate_limited(message),
            Kind::Unauthorized => ConnectorError::unauthorized(message),
            Kind::InvalidRequest => ConnectorError::invalid_request(message),
            Kind::UsageLimited => ConnectorError::usage_limited(message),
            Kind::Transient => ConnectorError::general(message).retryable(true),
            Kind::General => ConnectorError::general(message),
        }
    }
}

/// The error for an HTTP status whose body says nothing more specific (see
/// [`Kind::of_status`]), carrying the status.
pub fn from_http_status(status: u16, message: impl Into<String>) -> ConnectorError {
    Kind::of_status(status).error(message).http_status(status)
}

/// A refusal a provider explained in its body, under construction: its
/// message (or a fallback naming the provider), its own code, notes worth
/// keeping (a request id), and the HTTP status. [`ProviderError::classify`]
/// turns it into a [`ConnectorError`]:
///
/// ```ignore
/// ProviderError::new("Twilio", &response)
///     .code(body.code)
///     .message(body.message)
///     .classify(|code| match code? {
///         "20429" => Some(Kind::RateLimited),
///         _ => None, // the HTTP status decides
///     })
/// ```
#[derive(Debug, Clone)]
pub struct ProviderError {
    provider: &'static str,
    status: u16,
    body: String,
    code: Option<String>,
    message: Option<String>,
    notes: Vec<String>,
}

impl ProviderError {
    /// A refusal by `provider` (its name, for the fallback message) in `response`.
    pub fn new(provider: &'static str, response: &HttpResponse) -> Self {
        ProviderError {
            provider,
            status: response.status,
            body: snippet(&response.text()),
            code: None,
            message: None,
            notes: Vec::new(),
        }
    }

    /// The provider's own error code, when it gave one (blank counts as none).
    pub fn code(mut self, code: Option<impl ToString>) -> Self {
        self.code = code.map(|code| code.to_string()).filter(|code| !code.trim().is_empty());
        self
    }

    /// The provider's own words, when it gave any (blank counts as none).
    pub fn message(mut self, message: Option<impl Into<String>>) -> Self {
        self.message = message
            .map(Into::into)
            .map(|text| text.trim().to_string())
            .filter(|text| !text.is_empty());
        self
    }

    /// Appends ` (<note>)` to the message, e.g. `RequestId …`; `None` adds nothing.
    pub fn note(mut self, note: Option<impl std::fmt::Display>) -> Self {
        if let Some(note) = note.map(|note| note.to_string()).filter(|note| !note.is_empty()) {
            self.notes.push(note);
        }
        self
    }

    /// The message: the provider's words, else `<provider> reported <code>`,
    /// else `<provider> answered HTTP <status>: <body snippet>`; then the notes.
    fn text(&self) -> String {
        let mut text = match (&self.message, &self.code) {
            (Some(message), _) => message.clone(),
            (None, Some(code)) => format!("{} reported {code}", self.provider),
            (None, None) if self.body.is_empty() => format!("{} answered HTTP {}", self.provider, self.status),
            (None, None) => format!("{} answered HTTP {}: {}", self.provider, self.status, self.body),
        };
        for note in &self.notes {
            text.push_str(&format!(" ({note})"));
        }
        text
    }

    /// The connector error: `classify` sees the provider code (if any) and
    /// names the [`Kind`] for codes it knows; for the rest, the HTTP status
    /// decides ([`Kind::of_status`]). Carries the code and the status.
    pub fn classify(self, classify: impl FnOnce(Option<&str>) -> Option<Kind>) -> ConnectorError {
        let kind = classify(self.code.as_deref()).unwrap_or_else(|| Kind::of_status(self.status));
        let error = kind.error(self.text()).http_status(self.status);
        match self.code {
            Some(code) => error.provider_code(code),
            None => error,
        }
    }

    /// The connector error as the HTTP status alone classifies it.
    pub fn build(self) -> ConnectorError {
        self.classify(|_| None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The whole table, written out independently of `Kind::of_status`.
    fn expected(status: u16) -> (ErrorCode, bool) {
        if status == 400 || status == 422 {
            (ErrorCode::InvalidRequestParameters, false)
        } else if status == 401 || status == 403 {
            (ErrorCode::AuthorizationFailed, false)
        } else if status == 402 {
            (ErrorCode::UsageLimitExceeded, false)
        } else if status == 429 {
            (ErrorCode::RateLimitExceeded, true)
        } else if status == 408 || status == 425 || (500..600).contains(&status) {
            (ErrorCode::General, true)
        } else {
            (ErrorCode::General, false)
        }
    }

    #[test]
    fn every_status_maps_as_the_table_says() {
        for status in 0..=999u16 {
            let error = from_http_status(status, "m");
            assert_eq!((error.code, error.retryable), expected(status), "HTTP {status}");
            assert_eq!(error.http_status, Some(status));
            assert_eq!(error.message, "m");
            assert_eq!(error.provider_code, None);
        }
        // The statuses the issue names, spelled out.
        for (status, code, retryable) in [
            (400, ErrorCode::InvalidRequestParameters, false),
            (404, ErrorCode::General, false),
            (408, ErrorCode::General, true),
            (422, ErrorCode::InvalidRequestParameters, false),
            (500, ErrorCode::General, true),
            (502, ErrorCode::General, true),
            (503, ErrorCode::General, true),
            (504, ErrorCode::General, true),
        ] {
            let error = from_http_status(status, "m");
            assert_eq!((error.code, error.retryable), (code, retryable), "HTTP {status}");
        }
    }

    #[test]
    fn kinds_build_their_codes() {
        for (kind, code, retryable) in [
            (Kind::RateLimited, ErrorCode::RateLimitExceeded, true),
            (Kind::Unauthorized, ErrorCode::AuthorizationFailed, false),
            (Kind::InvalidRequest, ErrorCode::InvalidRequestParameters, false),
            (Kind::UsageLimited, ErrorCode::UsageLimitExceeded, false),
            (Kind::Transient, ErrorCode::General, true),
            (Kind::General, ErrorCode::General, false),
        ] {
            let error = kind.error("m");
            assert_eq!((error.code, error.retryable), (code, retryable), "{kind:?}");
        }
    }

    fn response(status: u16, body: &str) -> HttpResponse {
        HttpResponse::new(status, body)
    }

    #[test]
    fn provider_errors_classify_by_code_then_status() {
        let by_code = ProviderError::new("Acme", &response(400, "{}"))
            .code(Some(20429))
            .message(Some("Too many"))
            .note(Some("RequestId r-1"))
            .classify(|code| (code? == "20429").then_some(Kind::RateLimited));
        assert_eq!(by_code.code, ErrorCode::RateLimitExceeded);
        assert!(by_code.retryable);
        assert_eq!(by_code.provider_code.as_deref(), Some("20429"));
        assert_eq!(by_code.http_status, Some(400));
        assert_eq!(by_code.message, "Too many (RequestId r-1)");

        let by_status = ProviderError::new("Acme", &response(401, "{}"))
            .code(Some("E1"))
            .classify(|_| None);
        assert_eq!(by_status.code, ErrorCode::AuthorizationFailed);
        assert_eq!(by_status.message, "Acme reported E1");

        let bare = ProviderError::new("Acme", &response(503, " <html>down</html> "))
            .code(None::<String>)
            .message(Some("  "))
            .note(None::<&str>)
            .build();
        assert_eq!(bare.message, "Acme answered HTTP 503: <html>down</html>");
        assert!(bare.retryable);
        assert_eq!(bare.provider_code, None);
        assert_eq!(
            ProviderError::new("Acme", &response(500, "")).build().message,
            "Acme answered HTTP 500"
        );
    }

    #[test]
    fn invalid_config_reads_once() {
        assert_eq!(
            ConnectorError::invalid_config("invalid config: `x` must be set").message,
            "`x` must be set"
        );
        assert_eq!(ConnectorError::invalid_config("Invalid_Config: y").message, "y");
        assert_eq!(ConnectorError::invalid_config("`é` bad").message, "`é` bad");
        let error = ConnectorError::invalid_field("apiHost", "must be a host name");
        assert_eq!(error.code, ErrorCode::InvalidConfig);
        assert_eq!(error.message, "`apiHost` must be a host name");
    }
}
