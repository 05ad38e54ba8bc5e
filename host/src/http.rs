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
use crate::engine::Limits;
use crate::error::{Error, Result};
use crate::network::{self, NetworkPolicy, PublicOnlyResolver};
use crate::redaction::Redactor;
use reqwest::Url;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use std::net::IpAddr;
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

/// The shared clients and the limits they apply.
#[derive(Debug)]
pub(crate) struct HttpCapability {
    /// For requests to the plugins' own origins: resolves through
    /// [`PublicOnlyResolver`] unless private networks are granted.
    client: reqwest::Client,
    /// For requests an origin override routes: the operator chose the target.
    routed_client: reqwest::Client,
    policy: NetworkPolicy,
    overrides: Vec<OriginOverride>,
    request_timeout: Duration,
    max_response_bytes: u64,
}

impl HttpCapability {
    /// The capability for `overrides` under `policy`, with the HTTP limits
    /// of `limits` (`http_timeout`, `max_response_bytes`; the request-size
    /// limits are applied per request).
    pub(crate) fn new(overrides: Vec<OriginOverride>, policy: NetworkPolicy, limits: &Limits) -> Result<Self> {
        let build = |public_only: bool| {
            let builder = reqwest::Client::builder()
                // A redirect could lead anywhere; the connector sees the 3xx.
                .redirect(reqwest::redirect::Policy::none())
                // A proxy would resolve names itself, past the address checks.
                .no_proxy()
                .user_agent(concat!("smshost/", env!("CARGO_PKG_VERSION")));
            let builder = if public_only {
                builder.dns_resolver(std::sync::Arc::new(PublicOnlyResolver))
            } else {
                builder
            };
            builder
                .build()
                .map_err(|error| Error::Setup(format!("cannot build the HTTP client: {error}")))
        };
        Ok(HttpCapability {
            client: build(!policy.allow_private_networks)?,
            routed_client: build(false)?,
            policy,
            overrides,
            request_timeout: limits.http_timeout,
            max_response_bytes: limits.max_response_bytes,
        })
    }

    /// Sends `request` for `plugin` if `allowed` permits its origin.
    pub(crate) async fn send(
        &self,
        plugin: &str,
        allowed: &AllowedHosts,
        redactor: &Redactor,
        limits: &Limits,
        request: Request,
        deadline: Instant,
    ) -> std::result::Result<Response, HttpError> {
        check_request_size(&request, limits)?;
        let url =
            Url::parse(&request.url).map_err(|error| HttpError::InvalidRequest(format!("invalid URL: {error}")))?;
        let origin = origin_of(&url);
        if !allowed.allows(&url) {
            // Logged by the sandbox, against the call's log budget.
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
        let mut headers = HeaderMap::try_with_capacity(request.headers.len() + 1).map_err(too_many_headers)?;
        for (name, value) in &request.headers {
            let name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|_| HttpError::InvalidRequest(format!("invalid header name `{name}`")))?;
            if HOST_SET_HEADERS.contains(&name.as_str()) {
                continue;
            }
            // A provider may echo a credential back in its error body.
            redactor.learn_header(name.as_str(), value);
            // The value may be a credential: never echo it.
            let value = HeaderValue::from_str(value)
                .map_err(|_| HttpError::InvalidRequest(format!("invalid value for header `{name}`")))?;
            headers.try_append(name, value).map_err(too_many_headers)?;
        }
        let (client, target) = match self.overrides.iter().find_map(|o| o.apply(&url)) {
            Some(target) => {
                if let Ok(host) = HeaderValue::from_str(&authority_of(&url)) {
                    headers
                        .try_insert(reqwest::header::HOST, host)
                        .map_err(too_many_headers)?;
                }
                (&self.routed_client, target)
            }
            None => {
                self.check_destination(&url, &origin)?;
                (&self.client, url.clone())
            }
        };
        let remaining = deadline.saturating_duration_since(Instant::now());
        if remaining.is_zero() {
            return Err(HttpError::Timeout);
        }
        let timeout = remaining.min(self.request_timeout);
        let started = Instant::now();
        let result = client
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
                let path = shown_path(&url, redactor);
                tracing::info!(plugin, %method, %origin, %path, ?error, "request failed");
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
        // Debug: the embedder writes the one info line per send.
        tracing::debug!(
            plugin,
            %method,
            %origin,
            path = %shown_path(&url, redactor),
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

/// The URL path as the log shows it: redacted (a path can hold the number,
/// the code or an account secret), escaped and capped; never the query,
/// which often carries credentials.
fn shown_path(url: &Url, redactor: &Redactor) -> String {
    let path = percent_encoding::percent_decode_str(url.path()).decode_utf8_lossy();
    let shown = redactor.redact_display(&path, 200);
    if url.query().is_some() {
        format!("{shown}?…")
    } else {
        shown
    }
}

impl HttpCapability {
    /// Applies the network policy to a request that no override routes:
    /// plain HTTP and non-public IP literals need the operator's grant
    /// (names are checked when they resolve, by [`PublicOnlyResolver`]).
    fn check_destination(&self, url: &Url, origin: &str) -> std::result::Result<(), HttpError> {
        if url.scheme() == "http" && !self.policy.allow_http {
            return Err(HttpError::Denied(format!(
                "{origin} is plain HTTP, which this host does not allow (the operator can grant it)"
            )));
        }
        let ip = match url.host() {
            Some(url::Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(url::Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            _ => None,
        };
        if let Some(ip) = ip
            && !self.policy.allow_private_networks
            && !network::is_public(ip)
        {
            return Err(HttpError::Denied(format!(
                "{origin} is a private or reserved address, which this host does not allow (the operator can grant private networks)"
            )));
        }
        Ok(())
    }
}

/// Refuses a request whose guest-chosen sizes exceed the limits, before
/// any of it is copied into a header map: header count, URL plus header
/// bytes, and the whole request (body, headers, URL).
fn check_request_size(request: &Request, limits: &Limits) -> std::result::Result<(), HttpError> {
    if request.headers.len() > limits.max_request_headers {
        return Err(HttpError::InvalidRequest(format!(
            "{} headers exceed the limit of {}",
            request.headers.len(),
            limits.max_request_headers
        )));
    }
    let header_bytes = request.headers.iter().fold(request.url.len(), |sum, (name, value)| {
        sum.saturating_add(name.len()).saturating_add(value.len())
    });
    if header_bytes > limits.max_header_bytes {
        return Err(HttpError::InvalidRequest(format!(
            "the URL and headers take {header_bytes} bytes, over the limit of {}",
            limits.max_header_bytes
        )));
    }
    let total = (header_bytes as u64).saturating_add(request.body.len() as u64);
    if total > limits.max_request_bytes {
        return Err(HttpError::InvalidRequest(format!(
            "the request takes {total} bytes (body, headers and URL), over the limit of {}",
            limits.max_request_bytes
        )));
    }
    Ok(())
}

fn too_many_headers(_: reqwest::header::MaxSizeReached) -> HttpError {
    HttpError::InvalidRequest("too many headers".to_string())
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
