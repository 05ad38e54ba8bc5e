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
    /// A response with no headers, for tests and for connectors that replay one.
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Self {
        HttpResponse {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

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

    /// The body parsed as JSON, for any status. One rule for a body that
    /// does not parse as `T`: on a 2xx it is `invalid-response` (the provider
    /// claims success in a shape we cannot read); on any other status the
    /// status classifies it ([`crate::error::from_http_status`]), since a
    /// gateway's HTML error page says no more than its status.
    pub fn read_json<T: DeserializeOwned>(&self) -> Result<T, ConnectorError> {
        serde_json::from_slice(&self.body).map_err(|error| {
            let body = snippet(&self.text());
            if self.is_success() {
                let error = error.to_string();
                let error = error.split(" at line ").next().unwrap_or_default();
                ConnectorError::invalid_response(format!("unreadable response (HTTP {}): {error}: {body}", self.status))
                    .http_status(self.status)
            } else {
                crate::error::from_http_status(self.status, format!("HTTP {}: {body}", self.status))
            }
        })
    }

    /// A 2xx body read as `T`; any other status read as the provider's error
    /// body `E` and turned into a connector error by `refusal` (an unreadable
    /// body either way as [`HttpResponse::read_json`] says).
    pub fn read_json_or<T: DeserializeOwned, E: DeserializeOwned>(
        &self,
        refusal: impl FnOnce(E) -> ConnectorError,
    ) -> Result<T, ConnectorError> {
        if self.is_success() {
            self.read_json()
        } else {
            Err(refusal(self.read_json()?))
        }
    }

    /// `invalid-response` for a body that parsed but lacks what the
    /// connector needs: `what` went wrong, then a body snippet.
    pub fn unexpected(&self, what: &str) -> ConnectorError {
        ConnectorError::invalid_response(format!("{what}: {}", snippet(&self.text()))).http_status(self.status)
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
    use crate::ErrorCode;

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
    fn unreadable_bodies_follow_one_rule() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct Answer {
            id: String,
        }
        let ok: Answer = HttpResponse::new(201, r#"{"id":"m1"}"#).read_json().unwrap();
        assert_eq!(ok.id, "m1");
        for (status, code, retryable) in [
            (200, ErrorCode::InvalidResponse, false),
            (204, ErrorCode::InvalidResponse, false),
            (400, ErrorCode::InvalidRequestParameters, false),
            (401, ErrorCode::AuthorizationFailed, false),
            (403, ErrorCode::AuthorizationFailed, false),
            (429, ErrorCode::RateLimitExceeded, true),
            (404, ErrorCode::General, false),
            (502, ErrorCode::General, true),
            (503, ErrorCode::General, true),
        ] {
            for body in ["<html>busy</html>", r#"{"other":1}"#, ""] {
                let error = HttpResponse::new(status, body).read_json::<Answer>().unwrap_err();
                assert_eq!((error.code, error.retryable), (code, retryable), "{status} {body}");
                assert_eq!(error.http_status, Some(status));
                assert!(error.message.contains(body), "{}", error.message);
                assert!(!error.message.contains(" at line "), "{}", error.message);
            }
        }
    }

    #[test]
    fn error_bodies_go_to_the_refusal() {
        #[derive(serde::Deserialize, Debug)]
        struct Refusal {
            reason: String,
        }
        let refuse = |refusal: Refusal| ConnectorError::general(refusal.reason);
        let error = HttpResponse::new(400, r#"{"reason":"no"}"#)
            .read_json_or::<serde_json::Value, Refusal>(refuse)
            .unwrap_err();
        assert_eq!(error.message, "no");
        let error = HttpResponse::new(401, "nope")
            .read_json_or::<serde_json::Value, Refusal>(refuse)
            .unwrap_err();
        assert_eq!(error.code, ErrorCode::AuthorizationFailed);
        let value: serde_json::Value = HttpResponse::new(200, "[1]").read_json_or(refuse).unwrap();
        assert_eq!(value, serde_json::json!([1]));
    }

    #[test]
    fn snippet_is_bounded() {
        let long = "é".repeat(1000);
        assert_eq!(snippet(&long).chars().count(), 301);
    }
}
