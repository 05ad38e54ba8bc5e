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
//!
//! On a store with one writer process (SQLite: one daemon per file) the
//! counts live in memory ([`RateCounters`]): a window's first hit in this
//! process is the store's atomic increment (so hits from before a restart
//! count), later hits are counted here and written behind every
//! [`FLUSH_EVERY`]. A crash loses at most that much counting. On
//! PostgreSQL every hit stays one atomic upsert: replicas must see each
//! other's hits at once, or N replicas would allow N times the limit.

use crate::secrets::SecretKey;
use serde::{Deserialize, Serialize};
use smshost::PhoneNumber;
use smshost_store::{RateDecision, Store, StoreError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

/// How often counts kept in memory are written to the store.
pub(crate) const FLUSH_EVERY: Duration = Duration::from_secs(1);

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
        counters: &RateCounters,
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
            let decision = counters.hit(tenant, &counter, rule, now).await?;
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

/// Counts rate-limit hits: in the store, or in memory written behind to a
/// single-process store (see the module docs).
pub(crate) struct RateCounters {
    store: Arc<dyn Store>,
    local: Option<Mutex<HashMap<WindowKey, Window>>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct WindowKey {
    tenant: String,
    counter: String,
    window_secs: u64,
    start: i64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    end: i64,
    hits: i64,
    /// Hits the store already holds.
    stored: i64,
}

impl RateCounters {
    /// Counters for `store`; in memory, with a flush task, when the store
    /// has one writer process.
    pub(crate) fn new(store: Arc<dyn Store>) -> Arc<Self> {
        let local = store.single_process().then(Mutex::default);
        let counters = Arc::new(RateCounters { store, local });
        if counters.local.is_some() {
            let weak = Arc::downgrade(&counters);
            tokio::spawn(flush_behind(weak));
        }
        counters
    }

    /// Counts one hit of `rule` for `counter` and decides.
    async fn hit(&self, tenant: &str, counter: &str, rule: Rule, now: i64) -> Result<RateDecision, StoreError> {
        let Some(local) = &self.local else {
            return self
                .store
                .hit_rate_limit(tenant, counter, rule.window_secs, rule.count, now)
                .await;
        };
        let window = i64::try_from(rule.window_secs).unwrap_or(i64::MAX).max(1);
        let start = now - now.rem_euclid(window);
        let key = WindowKey {
            tenant: tenant.to_string(),
            counter: counter.to_string(),
            window_secs: rule.window_secs,
            start,
        };
        if let Some(known) = lock(local).get_mut(&key) {
            known.hits += 1;
            return Ok(decide(known.hits, rule.count, known.end, now));
        }
        // This window's first hit here: the store's atomic count seeds it.
        let decision = self
            .store
            .hit_rate_limit(tenant, counter, rule.window_secs, rule.count, now)
            .await?;
        let end = start.saturating_add(window);
        let mut map = lock(local);
        // Another request may have seeded it meanwhile.
        let entry = map.entry(key).or_insert(Window {
            end,
            hits: 0,
            stored: 0,
        });
        // The store's count includes every seed and every flushed hit; the
        // hits counted here since are added on top.
        let unstored = entry.hits - entry.stored;
        entry.stored = entry.stored.max(i64::from(decision.count));
        entry.hits = entry.stored + unstored;
        Ok(decide(entry.hits, rule.count, end, now))
    }

    /// Writes the counts not yet stored and forgets ended windows.
    pub(crate) async fn flush(&self) {
        let Some(local) = &self.local else { return };
        let now = now_unix();
        let pending: Vec<(WindowKey, i64)> = {
            let mut map = lock(local);
            map.retain(|_, window| window.end > now || window.hits > window.stored);
            map.iter_mut()
                .filter(|(_, window)| window.hits > window.stored)
                .map(|(key, window)| {
                    let delta = window.hits - window.stored;
                    window.stored = window.hits;
                    (key.clone(), delta)
                })
                .collect()
        };
        for (key, delta) in pending {
            // The window's start lies in the window; the limit is decided
            // here, not by the store, so any limit will do.
            let hits = u32::try_from(delta).unwrap_or(u32::MAX);
            let stored = self
                .store
                .add_rate_limit_hits(&key.tenant, &key.counter, key.window_secs, u32::MAX, key.start, hits)
                .await;
            if let Err(error) = stored {
                tracing::warn!(%error, "could not write rate-limit counts to the store; retrying");
                if let Some(window) = lock(local).get_mut(&key) {
                    window.stored -= delta;
                }
            }
        }
    }
}

fn lock(map: &Mutex<HashMap<WindowKey, Window>>) -> std::sync::MutexGuard<'_, HashMap<WindowKey, Window>> {
    map.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

fn decide(hits: i64, limit: u32, end: i64, now: i64) -> RateDecision {
    let allowed = hits <= i64::from(limit);
    RateDecision {
        allowed,
        count: u32::try_from(hits).unwrap_or(u32::MAX),
        retry_after_secs: if allowed { 0 } else { (end - now).max(1) as u64 },
    }
}

/// Flushes every [`FLUSH_EVERY`] until the counters are dropped.
async fn flush_behind(counters: Weak<RateCounters>) {
    let mut ticks = tokio::time::interval(FLUSH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        ticks.tick().await;
        let Some(counters) = counters.upgrade() else { return };
        counters.flush().await;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_in_memory_reach_the_store_and_survive_a_restart() {
        let dir = std::env::temp_dir().join(format!("smshost-limits-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let store = smshost_store::open(dir.join("store.db").to_str().unwrap())
            .await
            .unwrap();
        assert!(store.single_process());
        let rule = Rule {
            count: 3,
            window_secs: 3600,
        };
        let now = now_unix();
        let counters = RateCounters::new(store.clone());
        for expected in 1..=3 {
            let decision = counters.hit("default", "recipient:x", rule, now).await.unwrap();
            assert!(decision.allowed && decision.count == expected, "{decision:?}");
        }
        let refused = counters.hit("default", "recipient:x", rule, now).await.unwrap();
        assert!(!refused.allowed && refused.count == 4 && refused.retry_after_secs > 0);
        counters.flush().await;
        drop(counters);
        // A restarted daemon seeds the window from the store: the hits
        // counted in memory before count after.
        let counters = RateCounters::new(store.clone());
        let after = counters.hit("default", "recipient:x", rule, now).await.unwrap();
        assert!(!after.allowed && after.count == 5, "{after:?}");
        // Other windows and counters are separate.
        let other = counters.hit("default", "recipient:y", rule, now).await.unwrap();
        assert!(other.allowed && other.count == 1);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
