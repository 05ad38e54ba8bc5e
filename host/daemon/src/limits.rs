//! Rate limits against SMS pumping, checked before any plugin runs.
//!
//! Per tenant: per recipient (on by default: Logto's 10 sends per 600 s),
//! and optionally per country calling code and per client IP. Counters
//! live in the store, so they survive a restart and are shared by every
//! replica on one database: each check is one atomic increment-and-read
//! of a fixed window (see `smshost-store`), never a read-then-write.
//!
//! Keys name a phone number or an IP only by a keyed hash, so the store
//! holds no recipient in clear.

use crate::secrets::SecretKey;
use serde::{Deserialize, Serialize};
use smshost::PhoneNumber;
use smshost_store::{Store, StoreError};

/// One limit: at most `count` sends per `window_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Rule {
    /// Sends allowed per window.
    pub(crate) count: u32,
    /// The window, in seconds.
    pub(crate) window_secs: u64,
}

/// The rules in force for every tenant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct RateLimits {
    /// Per recipient number. Default: 10 per 600 s, Logto's.
    pub(crate) per_recipient: Option<Rule>,
    /// Per country calling code (e.g. all of `+44`); off by default.
    pub(crate) per_country: Option<Rule>,
    /// Per client IP (`ip` in the request); off by default.
    pub(crate) per_ip: Option<Rule>,
}

impl Default for RateLimits {
    fn default() -> Self {
        RateLimits {
            per_recipient: Some(Rule {
                count: 10,
                window_secs: 600,
            }),
            per_country: None,
            per_ip: None,
        }
    }
}

/// A refusal: which limit, and when to try again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Refusal {
    /// `recipient`, `country` or `ip`.
    pub(crate) limit: &'static str,
    /// The rule that refused.
    pub(crate) rule: Rule,
    /// Seconds until the window ends.
    pub(crate) retry_after_secs: u64,
}

impl RateLimits {
    /// Counts one send for `tenant` against every rule; the first rule
    /// over its count refuses.
    pub(crate) async fn check(
        &self,
        store: &dyn Store,
        key: &SecretKey,
        tenant: &str,
        to: &PhoneNumber,
        ip: Option<&str>,
    ) -> Result<Option<Refusal>, StoreError> {
        let now = now_unix();
        let country = to.country_code().to_string();
        let checks = [
            ("recipient", self.per_recipient, Some(to.as_str())),
            ("country", self.per_country, Some(country.as_str())),
            ("ip", self.per_ip, ip.map(str::trim).filter(|ip| !ip.is_empty())),
        ];
        for (limit, rule, subject) in checks {
            let (Some(rule), Some(subject)) = (rule, subject) else {
                continue;
            };
            let counter = format!("{limit}:{}", key.fingerprint(subject));
            let decision = store
                .hit_rate_limit(tenant, &counter, rule.window_secs, rule.count, now)
                .await?;
            if !decision.allowed {
                return Ok(Some(Refusal {
                    limit,
                    rule,
                    retry_after_secs: decision.retry_after_secs.max(1),
                }));
            }
        }
        Ok(None)
    }
}

/// Seconds since the Unix epoch.
pub(crate) fn now_unix() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

/// Milliseconds since the Unix epoch.
pub(crate) fn now_unix_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}
