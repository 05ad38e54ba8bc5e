//! The HTTP capability: the only way a connector reaches the network.
//!
//! One shared `reqwest` client serves every plugin. Each request is checked
//! against the calling plugin's [`AllowedHosts`] on its *original* URL, then
//! optionally routed elsewhere by an origin override (a sandbox or a mock),
//! sent without following redirects, bounded in time by the smaller of the
//! request timeout and what is left of the send's deadline, and read up to
//! the response-size cap. The check lives here, inside the capability, so no
//! import can forget it.

use crate::allowed_hosts::{AllowedHosts, AllowedOrigin};
use crate::bindings::wit_http::{HttpError, Request, Response};
use crate::error::{Error, Result};
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::time::{Duration, Instant};

/// Headers the host sets itself; a guest's values are dropped.
const HOST_SET_HEADERS: [&str; 4] = ["host", "content-length", "connection", "transfer-encoding"];

/// Methods a connector may use.
const METHODS: [&str; 5] = ["GET", "POST", "PUT", "PATCH", "DELETE"];

/// Routes one origin to another (`https://api.twilio.com` →
/// `http://127.0.0.1:9000`), for sandboxes and mock providers.
///
/// The allowlist is checked on the original URL; the request then goes to
/// the target with the original path and query (after the target's own path
/// prefix, if any) and the original `Host` header, as `curl --connect-to`
/// would do, so a mock sees what the real provider would see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OriginOverride {
    from: AllowedOrigin,
    to: Url,
}

impl OriginOverride {
    /// Parses `from` (an origin) and `to` (an `http` or `https` URL).
    pub fn new(from: &str, to: &str) -> Result<Self> {
        let from = AllowedOrigin::parse(from).map_err(|error| Error::Setup(error.to_string()))?;
        let to = Url::parse(to).map_err(|error| Error::Setup(format!("invalid override target `{to}`: {error}")))?;
        if !matches!(to.scheme(), "http" | "https") || to.host_str().is_none() {
            return Err(Error::Setup(format!(
                "override target `{to}` must be an http or https URL"
            )));
        }
        Ok(OriginOverride { from, to })
    }

    /// Parses `FROM=TO`, the CLI's form.
    pub fn parse_pair(pair: &str) -> Result<Self> {
        let (from, to) = pair
            .split_once('=')
            .ok_or_else(|| Error::Setup(format!("expected FROM=TO, got `{pair}`")))?;
        Self::new(from.trim(), to.trim())
    }

    fn apply(&self, url: &Url) -> Option<Url> {
        if !self.from.allows(url) {
            return None;
        }
        let mut target = self.to.clone();
        let prefix = self.to.path().trim_end_matches('/');
        target.set_path(&format!("{prefix}{}", url.path()));
        target.set_query(url.query());
        Some(target)
    }
}

/// The shared client and the limits it applies.
#[derive(Debug)]
pub(crate) struct HttpCapability {
    client: reqwest::Client,
    overrides: Vec<OriginOverride>,
    request_timeout: Duration,
    max_request_bytes: u64,
    max_response_bytes: u64,
}

impl HttpCapability {
    pub(crate) fn new(
        overrides: Vec<OriginOverride>,
        request_timeout: Duration,
        max_request_bytes: u64,
        max_response_bytes: u64,
    ) -> Result<Self> {
        let client = reqwest::Client::builder()
            // A redirect could lead anywhere; the connector sees the 3xx.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("smshost/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| Error::Setup(format!("cannot build the HTTP client: {error}")))?;
        Ok(HttpCapability {
            client,
            overrides,
            request_timeout,
            max_request_bytes,
            max_response_bytes,
        })
    }

    /// Sends `request` for `plugin` if `allowed` permits its origin.
    pub(crate) async fn send(
        &self,
        plugin: &str,
        allowed: &AllowedHosts,
        request: Request,
        deadline: Instant,
    ) -> std::result::Result<Response, HttpError> {
        let url =
            Url::parse(&request.url).map_err(|error| HttpError::InvalidRequest(format!("invalid URL: {error}")))?;
        let origin = origin_of(&url);
        if !allowed.allows(&url) {
            tracing::warn!(
                plugin,
                %origin,
                "denied a request to an origin the plugin does not declare in its network hosts"
            );
            return Err(HttpError::Denied(format!(
                "{origin} is not among the plugin's network hosts"
            )));
        }
        let method = request.method.to_ascii_uppercase();
        if !METHODS.contains(&method.as_str()) {
            return Err(HttpError::InvalidRequest(format!(
                "unsupported method `{}`",
                request.method
            )));
        }
        let method = reqwest::Method::from_bytes(method.as_bytes())
            .map_err(|_| HttpError::InvalidRequest("unsupported method".into()))?;
        if request.body.len() as u64 > self.max_request_bytes {
            return Err(HttpError::InvalidRequest(format!(
                "request body of {} bytes exceeds the {}-byte limit",
                request.body.len(),
                self.max_request_bytes
            )));
        }
        let mut headers = HeaderMap::new();
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HttpError::InvalidRequest(format!("invalid header name `{name}`")))?;
            if HOST_SET_HEADERS.contains(&name.as_str()) {
                continue;
            }
            // The value may be a credential: never echo it.
            let value = HeaderValue::from_str(value)
                .map_err(|_| HttpError::InvalidRequest(format!("invalid value for header `{name}`")))?;
            headers.append(name, value);
        }
        let target = match self.overrides.iter().find_map(|o| o.apply(&url)) {
            Some(target) => {
                if let Ok(host) = HeaderValue::from_str(&authority_of(&url)) {
                    headers.insert(reqwest::header::HOST, host);
                }
                target
            }
            None => url.clone(),
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(HttpError::Timeout);
        }
        let timeout = remaining.min(self.request_timeout);
        let started = Instant::now();
        let result = self
            .client
            .request(method.clone(), target)
            .headers(headers)
            .body(request.body)
            .timeout(timeout)
            .send()
            .await;
        let mut response = match result {
            Ok(response) => response,
            Err(error) => {
                let error = transport_error(error);
                tracing::info!(plugin, %method, %origin, path = url.path(), ?error, "request failed");
                return Err(error);
            }
        };
        let status = response.status().as_u16();
        let response_headers = response
            .headers()
            .iter()
            .map(|(name, value)| {
                (
                    name.as_str().to_string(),
                    String::from_utf8_lossy(value.as_bytes()).into_owned(),
                )
            })
            .collect();
        if response
            .content_length()
            .is_some_and(|length| length > self.max_response_bytes)
        {
            return Err(HttpError::TooLarge(self.max_response_bytes));
        }
        let mut body = Vec::new();
        loop {
            match response.chunk().await {
                Ok(Some(chunk)) => {
                    if (body.len() + chunk.len()) as u64 > self.max_response_bytes {
                        return Err(HttpError::TooLarge(self.max_response_bytes));
                    }
                    body.extend_from_slice(&chunk);
                }
                Ok(None) => break,
                Err(error) => return Err(transport_error(error)),
            }
        }
        tracing::info!(
            plugin,
            %method,
            %origin,
            path = url.path(),
            status,
            elapsed_ms = started.elapsed().as_millis() as u64,
            "provider answered"
        );
        Ok(Response {
            status,
            headers: response_headers,
            body,
        })
    }
}

fn origin_of(url: &Url) -> String {
    format!("{}://{}", url.scheme(), authority_of(url))
}

fn authority_of(url: &Url) -> String {
    let host = url.host_str().unwrap_or_default();
    match url.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.to_string(),
    }
}

/// Maps a reqwest failure without its URL, which may carry credentials in
/// the query string.
fn transport_error(error: reqwest::Error) -> HttpError {
    let timed_out = error.is_timeout();
    let connect = error.is_connect();
    let error = error.without_url();
    if timed_out {
        HttpError::Timeout
    } else if connect {
        HttpError::Connect(error_chain(&error))
    } else {
        HttpError::Other(error_chain(&error))
    }
}

fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overrides_keep_path_and_query() {
        let o = OriginOverride::parse_pair("https://api.twilio.com=http://127.0.0.1:9000").unwrap();
        let url = Url::parse("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?x=1").unwrap();
        assert_eq!(
            o.apply(&url).unwrap().as_str(),
            "http://127.0.0.1:9000/2010-04-01/Accounts/AC1/Messages.json?x=1"
        );
        let o = OriginOverride::new("https://api.twilio.com", "http://127.0.0.1:9000/twilio/").unwrap();
        assert_eq!(
            o.apply(&url).unwrap().path(),
            "/twilio/2010-04-01/Accounts/AC1/Messages.json"
        );
        assert!(
            o.apply(&Url::parse("https://api.twilio.com.evil.test/").unwrap())
                .is_none()
        );
        assert!(o.apply(&Url::parse("http://api.twilio.com/").unwrap()).is_none());
    }

    #[test]
    fn malformed_overrides_are_refused() {
        assert!(OriginOverride::parse_pair("https://api.twilio.com").is_err());
        assert!(OriginOverride::parse_pair("api.twilio.com=http://127.0.0.1:1").is_err());
        assert!(OriginOverride::parse_pair("https://api.twilio.com=ftp://127.0.0.1").is_err());
        assert!(OriginOverride::parse_pair("https://api.twilio.com=not a url").is_err());
    }

    #[test]
    fn authority_keeps_explicit_ports_only() {
        assert_eq!(
            authority_of(&Url::parse("https://api.twilio.com/x").unwrap()),
            "api.twilio.com"
        );
        assert_eq!(
            authority_of(&Url::parse("http://127.0.0.1:9000/x").unwrap()),
            "127.0.0.1:9000"
        );
    }
}
