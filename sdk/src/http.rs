//! Building requests and reading responses over the host's `http` import.
//!
//! The host enforces the connector's declared network hosts, caps time and
//! size, and never follows redirects; these helpers only shape requests.

use crate::bindings::smshost::connector::http as wit;
use crate::{ConnectorError, encoding};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use wit::HttpError;

/// A request under construction. Build with [`HttpRequest::post`] and friends,
/// then [`HttpRequest::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRequest {
    /// `GET`, `POST`, ...
    pub method: String,
    /// The absolute URL.
    pub url: String,
    /// Header names and values, in order.
    pub headers: Vec<(String, String)>,
    /// The exact body bytes; signatures are computed over these.
    pub body: Vec<u8>,
}

impl HttpRequest {
    /// A request with any method.
    pub fn new(method: &str, url: impl Into<String>) -> Self {
        HttpRequest {
            method: method.to_string(),
            url: url.into(),
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A `POST` request.
    pub fn post(url: impl Into<String>) -> Self {
        Self::new("POST", url)
    }

    /// A `GET` request.
    pub fn get(url: impl Into<String>) -> Self {
        Self::new("GET", url)
    }

    /// Adds a header (names are case-insensitive on the wire).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Adds `Authorization: Basic base64(user:password)`.
    pub fn basic_auth(self, user: &str, password: &str) -> Self {
        let token = encoding::base64(format!("{user}:{password}").as_bytes());
        self.header("Authorization", format!("Basic {token}"))
    }

    /// Sets a form body (`application/x-www-form-urlencoded`), encoded like
    /// browsers' `URLSearchParams`: space as `+`, `*-._` and alphanumerics kept.
    pub fn form<K: AsRef<str>, V: AsRef<str>>(self, fields: &[(K, V)]) -> Self {
        let body = encoding::form_urlencode(fields);
        self.body_bytes("application/x-www-form-urlencoded", body.into_bytes())
    }

    /// Sets a compact JSON body (`application/json`), keys in struct order.
    pub fn json<T: Serialize + ?Sized>(self, value: &T) -> Self {
        // Serialising plain data structures cannot fail; a connector bug
        // would surface as an empty body the provider rejects.
        let body = serde_json::to_vec(value).unwrap_or_default();
        self.body_bytes("application/json", body)
    }

    /// Sets the body and its content type.
    pub fn body_bytes(mut self, content_type: &str, body: Vec<u8>) -> Self {
        self.headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
        self.headers
            .push(("Content-Type".to_string(), content_type.to_string()));
        self.body = body;
        self
    }

    /// Sends the request through the host. Transport failures become a
    /// `general` error (retryable for timeouts and connection failures).
    pub fn send(self) -> Result<HttpResponse, ConnectorError> {
        let request = wit::Request {
            method: self.method,
            url: self.url,
            headers: self.headers,
            body: self.body,
        };
        match wit::send(&request) {
            Ok(response) => Ok(HttpResponse {
                status: response.status,
                headers: response.headers,
                body: response.body,
            }),
            Err(error) => Err(transport_error(error)),
        }
    }
}

/// Maps a host transport failure to a connector error.
pub fn transport_error(error: HttpError) -> ConnectorError {
    match error {
        HttpError::Denied(reason) => ConnectorError::general(format!("request refused by host: {reason}")),
        HttpError::InvalidRequest(reason) => ConnectorError::general(format!("invalid request: {reason}")),
        HttpError::Timeout => ConnectorError::general("the provider did not answer in time").retryable(true),
        HttpError::Connect(reason) => {
            ConnectorError::general(format!("could not connect to the provider: {reason}")).retryable(true)
        }
        HttpError::TooLarge(limit) => {
            ConnectorError::invalid_response(format!("the provider's response exceeded {limit} bytes"))
        }
        HttpError::Other(reason) => ConnectorError::general(format!("transport error: {reason}")).retryable(true),
    }
}

/// A response as the host received it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpResponse {
    /// The HTTP status code.
    pub status: u16,
    /// Header names (lowercase) and values.
    pub headers: Vec<(String, String)>,
    /// The whole body.
    pub body: Vec<u8>,
}

impl HttpResponse {
    /// True for 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The first header with this name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The body as text (invalid UTF-8 replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// The body parsed as JSON; `invalid-response` when it is not.
    pub fn json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            ConnectorError::invalid_response(format!(
                "unreadable response (HTTP {}): {error}: {}",
                self.status,
                snippet(&self.text())
            ))
            .http_status(self.status)
        })
    }

    /// Fails with an error carrying the status and a body snippet unless 2xx.
    pub fn error_for_status(self) -> Result<Self, ConnectorError> {
        if self.is_success() {
            Ok(self)
        } else {
            let message = format!("HTTP {}: {}", self.status, snippet(&self.text()));
            Err(crate::error::from_http_status(self.status, message))
        }
    }
}

/// The first 300 characters of a provider body, for error messages.
pub fn snippet(text: &str) -> String {
    const MAX: usize = 300;
    let text = text.trim();
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builders_shape_the_request() {
        let request = HttpRequest::post("https://example.test/x")
            .basic_auth("AC0123", "secret-token")
            .form(&[("To", "+4520123456"), ("Body", "a b&c")]);
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.headers,
            vec![
                (
                    "Authorization".to_string(),
                    "Basic QUMwMTIzOnNlY3JldC10b2tlbg==".to_string()
                ),
                (
                    "Content-Type".to_string(),
                    "application/x-www-form-urlencoded".to_string()
                ),
            ]
        );
        assert_eq!(request.body, b"To=%2B4520123456&Body=a+b%26c");
    }

    #[test]
    fn json_body_replaces_content_type() {
        let request = HttpRequest::post("https://example.test/x")
            .header("content-type", "text/plain")
            .json(&serde_json::json!({"b": 1, "a": "x"}));
        assert_eq!(request.body, br#"{"b":1,"a":"x"}"#);
        assert_eq!(request.headers.len(), 1);
        assert_eq!(request.headers[0].1, "application/json");
    }

    #[test]
    fn status_errors() {
        let response = HttpResponse {
            status: 429,
            headers: vec![],
            body: b"slow down".to_vec(),
        };
        let error = response.error_for_status().unwrap_err();
        assert!(error.retryable);
        assert_eq!(error.http_status, Some(429));
        assert_eq!(error.message, "HTTP 429: slow down");
    }

    #[test]
    fn snippet_is_bounded() {
        let long = "é".repeat(1000);
        assert_eq!(snippet(&long).chars().count(), 301);
    }
}
