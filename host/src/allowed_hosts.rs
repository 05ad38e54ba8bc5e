//! Which origins a connector may reach.
//!
//! A connector declares its network hosts in its metadata; the host turns
//! them into an [`AllowedHosts`] list and checks every outbound request
//! against it before anything leaves the process.
//!
//! # Accepted forms
//!
//! | entry                          | allows                                        |
//! |--------------------------------|-----------------------------------------------|
//! | `https://api.twilio.com`       | that host, scheme `https`, port 443           |
//! | `https://api.twilio.com:8443`  | that host, scheme `https`, port 8443          |
//! | `http://sms.example.com`       | that host over plain HTTP, port 80            |
//! | `https://*.twilio.com`         | any subdomain (`api.dublin.ie1.twilio.com`), not `twilio.com` itself |
//! | `api.example.com` (config-url) | a bare host from a config field means `https://api.example.com` |
//!
//! Rejected at load time: other schemes, paths, queries, userinfo, a `*`
//! anywhere but a whole leading label, and a wildcard over a public suffix
//! per the Public Suffix List embedded by the `psl` crate (`https://*.com`,
//! `https://*.co.uk`, `https://*.s3.amazonaws.com`). A wildcard matches only
//! hosts in its own registrable domain, so `https://*.amazonaws.com` does not
//! reach `bucket.s3.amazonaws.com` (a public suffix under it).
//!
//! # Matching rules
//!
//! - **Deny by default**: an empty list allows nothing.
//! - Scheme, host and port must all match; the port defaults from the scheme.
//! - Host names compare case-insensitively; a trailing dot is ignored.
//! - IP literals match only an entry with the same literal.
//!
//! ```
//! use smshost::AllowedHosts;
//! let hosts = AllowedHosts::parse(["https://api.twilio.com", "https://*.twilio.com"]).unwrap();
//! assert!(hosts.allows_url("https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"));
//! assert!(hosts.allows_url("https://API.dublin.ie1.twilio.com/x"));
//! assert!(!hosts.allows_url("http://api.twilio.com/x"));        // scheme
//! assert!(!hosts.allows_url("https://api.twilio.com:8443/x"));  // port
//! assert!(!hosts.allows_url("https://twilio.com.evil.test/x")); // suffix trick
//! assert!(!AllowedHosts::default().allows_url("https://api.twilio.com/"));
//! ```

use reqwest::Url;
use std::fmt;

/// One allowed origin: scheme, host pattern and port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AllowedOrigin {
    scheme: String,
    host: HostPattern,
    port: u16,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum HostPattern {
    Exact(String),
    /// Any host ending in `.{suffix}` (the suffix stored without the dot).
    Subdomains(String),
}

/// Why an allowed-host entry was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid network host `{entry}`: {reason}")]
pub struct AllowedHostError {
    entry: String,
    reason: &'static str,
}

impl AllowedOrigin {
    /// Parses `scheme://host[:port]` (see the module docs for the forms).
    pub fn parse(entry: &str) -> Result<Self, AllowedHostError> {
        let fail = |reason| AllowedHostError {
            // The entry comes from a plugin: shown escaped and capped.
            entry: crate::redaction::display_safe(entry, 200),
            reason,
        };
        let (scheme, rest) = entry
            .split_once("://")
            .ok_or_else(|| fail("expected scheme://host[:port]"))?;
        let scheme = scheme.to_ascii_lowercase();
        let default_port = match scheme.as_str() {
            "https" => 443,
            "http" => 80,
            _ => return Err(fail("only http and https are allowed")),
        };
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        if rest.contains(['/', '?', '#', '@']) {
            return Err(fail("an origin has no path, query, fragment or userinfo"));
        }
        let (host, port) = split_host_port(rest).ok_or_else(|| fail("the port is not a number"))?;
        let port = port.unwrap_or(default_port);
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        if host.is_empty() {
            return Err(fail("the host is empty"));
        }
        let host = if let Some(suffix) = host.strip_prefix("*.") {
            if suffix.contains('*') {
                return Err(fail("`*` may only be the whole first label"));
            }
            if !suffix.contains('.') {
                return Err(fail("a wildcard needs at least two labels after it"));
            }
            if suffix
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
            {
                return Err(fail("a wildcard cannot cover IP addresses"));
            }
            if psl::domain_str(suffix).is_none() {
                return Err(fail(
                    "a wildcard cannot cover a public suffix (such as `co.uk` or `github.io`), where anyone can register a name",
                ));
            }
            HostPattern::Subdomains(suffix.to_string())
        } else if host.contains('*') {
            return Err(fail("`*` may only be the whole first label"));
        } else {
            HostPattern::Exact(host)
        };
        Ok(AllowedOrigin { scheme, host, port })
    }

    /// Parses the value of a config field: a URL (its origin is allowed) or
    /// a bare host name (meaning `https://host`).
    pub fn from_config_value(value: &str) -> Result<Self, AllowedHostError> {
        let value = value.trim();
        if value.contains('*') {
            return Err(AllowedHostError {
                entry: value.to_string(),
                reason: "a configured URL cannot be a wildcard",
            });
        }
        if value.contains("://") {
            let url = Url::parse(value).map_err(|_| AllowedHostError {
                entry: value.to_string(),
                reason: "not a valid URL",
            })?;
            let host = url.host_str().ok_or(AllowedHostError {
                entry: value.to_string(),
                reason: "the URL has no host",
            })?;
            let port = url.port_or_known_default().unwrap_or(443);
            Self::parse(&format!("{}://{}:{}", url.scheme(), host, port))
        } else {
            Self::parse(&format!("https://{value}"))
        }
    }

    /// Whether this origin allows `url`.
    pub fn allows(&self, url: &Url) -> bool {
        let Some(host) = url.host_str() else { return false };
        if url.scheme() != self.scheme || url.port_or_known_default() != Some(self.port) {
            return false;
        }
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match &self.host {
            HostPattern::Exact(exact) => host == *exact,
            HostPattern::Subdomains(suffix) => {
                host.strip_suffix(suffix.as_str())
                    .is_some_and(|prefix| prefix.len() > 1 && prefix.ends_with('.'))
                    // Only within the wildcard's own registrable domain:
                    // `*.amazonaws.com` must not reach `bucket.s3.amazonaws.com`,
                    // a public suffix under it where strangers hold names.
                    && psl::domain_str(&host) == psl::domain_str(suffix)
            }
        }
    }
}

impl fmt::Display for AllowedOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = match &self.host {
            HostPattern::Exact(host) => host.clone(),
            HostPattern::Subdomains(suffix) => format!("*.{suffix}"),
        };
        write!(f, "{}://{}:{}", self.scheme, host, self.port)
    }
}

fn split_host_port(authority: &str) -> Option<(&str, Option<u16>)> {
    if let Some(rest) = authority.strip_prefix('[') {
        // IPv6 literal: keep the brackets, as `Url::host_str` does.
        let end = rest.find(']')?;
        let host = &authority[..end + 2];
        return match &rest[end + 1..] {
            "" => Some((host, None)),
            port => Some((host, Some(port.strip_prefix(':')?.parse().ok()?))),
        };
    }
    match authority.rsplit_once(':') {
        Some((host, port)) => Some((host, Some(port.parse().ok()?))),
        None => Some((authority, None)),
    }
}

/// The origins one connector may reach; empty denies everything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AllowedHosts {
    origins: Vec<AllowedOrigin>,
}

impl AllowedHosts {
    /// Parses every entry; the first malformed one fails the whole list.
    pub fn parse<I, S>(entries: I) -> Result<Self, AllowedHostError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let origins = entries
            .into_iter()
            .map(|entry| AllowedOrigin::parse(entry.as_ref()))
            .collect::<Result<_, _>>()?;
        Ok(AllowedHosts { origins })
    }

    /// Adds one origin.
    pub fn push(&mut self, origin: AllowedOrigin) {
        self.origins.push(origin);
    }

    /// Whether any origin allows `url`.
    pub fn allows(&self, url: &Url) -> bool {
        self.origins.iter().any(|origin| origin.allows(url))
    }

    /// Whether any origin allows the URL text; a malformed URL is denied.
    pub fn allows_url(&self, url: &str) -> bool {
        Url::parse(url).is_ok_and(|url| self.allows(&url))
    }

    /// The origins, for display.
    pub fn origins(&self) -> &[AllowedOrigin] {
        &self.origins
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allows(entry: &str, url: &str) -> bool {
        AllowedHosts::parse([entry]).unwrap().allows_url(url)
    }

    #[test]
    fn exact_origin_matches_scheme_host_and_port() {
        assert!(allows("https://api.twilio.com", "https://api.twilio.com/x?y=1"));
        assert!(allows("https://api.twilio.com", "https://api.twilio.com:443/x"));
        assert!(allows("https://api.twilio.com/", "https://API.TWILIO.COM./x"));
        assert!(!allows("https://api.twilio.com", "http://api.twilio.com/x"));
        assert!(!allows("https://api.twilio.com", "https://api.twilio.com:444/x"));
        assert!(!allows("https://api.twilio.com", "https://twilio.com/x"));
        assert!(!allows("https://api.twilio.com", "https://xapi.twilio.com/x"));
        assert!(allows("http://127.0.0.1:9000", "http://127.0.0.1:9000/x"));
        assert!(!allows("http://127.0.0.1:9000", "http://127.0.0.2:9000/x"));
        assert!(allows("https://[::1]:8443", "https://[::1]:8443/x"));
    }

    #[test]
    fn adversarial_urls_are_denied() {
        let hosts = AllowedHosts::parse(["https://api.twilio.com"]).unwrap();
        for url in [
            "https://api.twilio.com.evil.test/",
            "https://api.twilio.com@evil.test/",
            "https://evil.test/?https://api.twilio.com",
            "https://evil.test#api.twilio.com",
            "https://evil.test\\@api.twilio.com/",
            "https://api.twilio.com%2eevil.test/",
            "file:///etc/passwd",
            "not a url",
            "",
        ] {
            assert!(!hosts.allows_url(url), "{url} must be denied");
        }
        // Userinfo in front of the real host is still the real host.
        assert!(hosts.allows_url("https://user:pw@api.twilio.com/"));
    }

    #[test]
    fn wildcard_matches_subdomains_only() {
        assert!(allows("https://*.twilio.com", "https://api.dublin.ie1.twilio.com/x"));
        assert!(allows("https://*.twilio.com", "https://api.twilio.com/x"));
        assert!(!allows("https://*.twilio.com", "https://twilio.com/x"));
        assert!(!allows("https://*.twilio.com", "https://eviltwilio.com/x"));
        assert!(!allows("https://*.twilio.com", "https://.twilio.com/x"));
        // Not past a public suffix below the wildcard.
        assert!(allows("https://*.amazonaws.com", "https://api.amazonaws.com/"));
        assert!(!allows("https://*.amazonaws.com", "https://bucket.s3.amazonaws.com/"));
        assert!(!allows(
            "https://*.amazonaws.com",
            "https://evil.compute.amazonaws.com/"
        ));
    }

    #[test]
    fn malformed_entries_are_refused() {
        for entry in [
            "api.twilio.com",
            "ftp://api.twilio.com",
            "https://api.twilio.com/path",
            "https://api.twilio.com?x",
            "https://user@api.twilio.com",
            "https://",
            "https://*",
            "https://*.com",
            "https://a.*.com",
            "https://api*.twilio.com",
            "https://api.twilio.com:http",
            "*://*:*",
            "https://*.0.1",
            "https://*.168.1.1",
            "https://*.co.uk",
            "https://*.github.io",
            "https://*.s3.amazonaws.com",
        ] {
            assert!(AllowedOrigin::parse(entry).is_err(), "{entry} must be refused");
        }
    }

    #[test]
    fn empty_list_denies_all() {
        assert!(!AllowedHosts::default().allows_url("https://api.twilio.com/"));
    }

    #[test]
    fn config_values() {
        let origin = AllowedOrigin::from_config_value("https://sms.example.com:8443/hook?x=1").unwrap();
        assert_eq!(origin.to_string(), "https://sms.example.com:8443");
        let origin = AllowedOrigin::from_config_value("api.dublin.ie1.twilio.com").unwrap();
        assert_eq!(origin.to_string(), "https://api.dublin.ie1.twilio.com:443");
        let origin = AllowedOrigin::from_config_value("http://127.0.0.1:9000/sms").unwrap();
        assert_eq!(origin.to_string(), "http://127.0.0.1:9000");
        assert!(AllowedOrigin::from_config_value("https://").is_err());
        assert!(AllowedOrigin::from_config_value("ftp://x.example.com").is_err());
        assert!(AllowedOrigin::from_config_value("evil.test/path").is_err());
        assert!(AllowedOrigin::from_config_value("https://*.example.com/hook").is_err());
    }
}
