//! Time and nonces for signatures, fixable in tests.
//!
//! Connectors call [`now_unix`] and [`nonce`] instead of reading the system
//! clock or a random source, so a unit test can pin both with [`fix`] and
//! compare a signature against a published vector.

use std::cell::RefCell;
use std::time::{SystemTime, UNIX_EPOCH};

thread_local! {
    static FIXED: RefCell<Option<(i64, String)>> = const { RefCell::new(None) };
}

/// Pins the clock (Unix seconds) and the nonce for the current thread.
pub fn fix(unix_seconds: i64, nonce: &str) {
    FIXED.with(|fixed| *fixed.borrow_mut() = Some((unix_seconds, nonce.to_string())));
}

/// Undoes [`fix`].
pub fn unfix() {
    FIXED.with(|fixed| *fixed.borrow_mut() = None);
}

/// Seconds since the Unix epoch (from WASI's wall clock in a component).
pub fn now_unix() -> i64 {
    if let Some((seconds, _)) = FIXED.with(|fixed| fixed.borrow().clone()) {
        return seconds;
    }
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

/// A fresh random UUID v4 (from WASI's random source in a component).
pub fn nonce() -> String {
    if let Some((_, nonce)) = FIXED.with(|fixed| fixed.borrow().clone()) {
        return nonce;
    }
    uuid::Uuid::new_v4().to_string()
}

fn utc(unix_seconds: i64) -> time::OffsetDateTime {
    time::OffsetDateTime::from_unix_timestamp(unix_seconds).unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
}

/// `YYYY-MM-DDTHH:MM:SSZ` in UTC, without fractions (Aliyun's `Timestamp`).
pub fn iso8601_seconds(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]T[hour]:[minute]:[second]Z");
    utc(unix_seconds).format(&format).unwrap_or_default()
}

/// `YYYY-MM-DD` in UTC (Tencent's credential scope date).
pub fn utc_date(unix_seconds: i64) -> String {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    utc(unix_seconds).format(&format).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_and_formats() {
        fix(1_551_113_065, "n-1");
        assert_eq!(now_unix(), 1_551_113_065);
        assert_eq!(nonce(), "n-1");
        assert_eq!(utc_date(now_unix()), "2019-02-25");
        assert_eq!(iso8601_seconds(1_456_231_584), "2016-02-23T12:46:24Z");
        unfix();
        assert_ne!(nonce(), nonce());
        assert!(now_unix() > 1_700_000_000);
    }
}
