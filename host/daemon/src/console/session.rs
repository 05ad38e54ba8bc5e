//! Console sessions: a signed-in browser holds a random session id in an
//! `HttpOnly`, `SameSite=Strict` cookie; the daemon keeps, per session,
//! the hash of the token it was opened with and a CSRF token. A request
//! carrying the cookie authenticates as that token, re-checked against the
//! store each time (a revoked token ends its sessions at once), and every
//! state-changing one must echo the CSRF token in `X-CSRF-Token`.
//!
//! Sessions live in this process's memory: a restart signs everyone out,
//! and behind a load balancer a browser needs a sticky route. Both are
//! acceptable for an admin console; tokens stay the API's credential.

use crate::app::App;
use crate::auth::{self, Principal};
use crate::error::ApiError;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie's name.
pub(crate) const COOKIE: &str = "smshost_session";

/// The header a cookie-authenticated state-changing request must carry.
pub(crate) const CSRF_HEADER: &str = "x-csrf-token";

/// A session unused for this long is over (a working day).
pub(crate) const IDLE_TIMEOUT: Duration = Duration::from_secs(12 * 3600);

/// A session ends this long after sign-in however busy it is.
pub(crate) const MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);

/// Sessions kept at most; past it the least recently used go first, so a
/// script signing in in a loop cannot grow the daemon's memory.
const MAX_SESSIONS: usize = 10_000;

/// One signed-in browser.
#[derive(Debug, Clone)]
pub(crate) struct Session {
    /// SHA-256 of the token it was opened with (never the token).
    token_hash: String,
    /// Sent back by the console's script in `X-CSRF-Token`.
    pub(crate) csrf: String,
    created: Instant,
    last_used: Instant,
}

/// The open sessions, by SHA-256 of their id (so the map never holds a
/// usable cookie value).
#[derive(Debug, Default)]
pub(crate) struct Sessions {
    by_id_hash: Mutex<HashMap<String, Session>>,
}

fn id_hash(id: &str) -> String {
    hex::encode(Sha256::digest(id.as_bytes()))
}

impl Sessions {
    fn map(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.by_id_hash.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Opens a session for a token already checked; returns its id (the
    /// cookie value).
    pub(crate) fn open(&self, token: &str) -> String {
        let id = URL_SAFE_NO_PAD.encode(crate::secrets::random::<32>());
        let now = Instant::now();
        let session = Session {
            token_hash: auth::hash(token),
            csrf: URL_SAFE_NO_PAD.encode(crate::secrets::random::<32>()),
            created: now,
            last_used: now,
        };
        let mut map = self.map();
        map.retain(|_, session| session.is_live(now));
        while map.len() >= MAX_SESSIONS {
            let Some(oldest) = map
                .iter()
                .min_by_key(|(_, session)| session.last_used)
                .map(|(key, _)| key.clone())
            else {
                break;
            };
            map.remove(&oldest);
        }
        map.insert(id_hash(&id), session);
        id
    }

    /// The live session with this id, its idle clock restarted.
    pub(crate) fn touch(&self, id: &str) -> Option<Session> {
        let now = Instant::now();
        let key = id_hash(id);
        let mut map = self.map();
        match map.get_mut(&key) {
            Some(session) if session.is_live(now) => {
                session.last_used = now;
                Some(session.clone())
            }
            Some(_) => {
                map.remove(&key);
                None
            }
            None => None,
        }
    }

    /// Ends the session with this id, if any.
    pub(crate) fn close(&self, id: &str) {
        self.map().remove(&id_hash(id));
    }
}

impl Session {
    fn is_live(&self, now: Instant) -> bool {
        now.duration_since(self.last_used) < IDLE_TIMEOUT && now.duration_since(self.created) < MAX_AGE
    }
}

/// The session id from the request's `Cookie` headers.
pub(crate) fn cookie_value(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE)
        .map(|(_, value)| value.trim().to_string())
        .filter(|value| !value.is_empty() && value.len() <= 128)
}

/// Whether the browser reached the daemon over HTTPS (directly or through
/// a proxy that says so), so the cookie gets `Secure`.
fn over_https(headers: &HeaderMap) -> bool {
    let text = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).unwrap_or("");
    text("x-forwarded-proto").eq_ignore_ascii_case("https")
        || text("forwarded").to_ascii_lowercase().contains("proto=https")
        || text("origin").starts_with("https://")
}

/// `Set-Cookie` for a new session.
pub(crate) fn set_cookie(id: &str, headers: &HeaderMap) -> HeaderValue {
    let secure = if over_https(headers) { "; Secure" } else { "" };
    let value = format!(
        "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}{secure}",
        MAX_AGE.as_secs()
    );
    HeaderValue::from_str(&value).unwrap_or_else(|_| HeaderValue::from_static("smshost_session=; Max-Age=0"))
}

/// `Set-Cookie` that removes the session cookie.
pub(crate) fn clear_cookie(headers: &HeaderMap) -> HeaderValue {
    let secure = if over_https(headers) { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{secure}"
    ))
    .unwrap_or_else(|_| HeaderValue::from_static("smshost_session=; Max-Age=0"))
}

/// Who a session belongs to: the token it was opened with, as the store
/// has it now (revoked: none).
pub(crate) async fn principal(app: &App, session: &Session) -> Result<Principal, ApiError> {
    let record = app
        .store
        .token_by_hash(&session.token_hash)
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if !bool::from(record.hash.as_bytes().ct_eq(session.token_hash.as_bytes())) {
        return Err(ApiError::unauthorized());
    }
    Ok(Principal {
        token_id: record.id,
        tenant: record.tenant,
    })
}

/// Authenticates a request by its session cookie: 401 without a live
/// session, 403 `csrf_failed` for a state-changing request whose
/// `X-CSRF-Token` is missing or wrong.
pub(crate) async fn authenticate(app: &App, method: &Method, headers: &HeaderMap) -> Result<Principal, ApiError> {
    let id = cookie_value(headers).ok_or_else(ApiError::unauthorized)?;
    let session = app.sessions.touch(&id).ok_or_else(ApiError::unauthorized)?;
    if !(method == Method::GET || method == Method::HEAD) {
        let sent = headers
            .get(CSRF_HEADER)
            .map(|value| value.as_bytes())
            .unwrap_or_default();
        if !bool::from(sent.ct_eq(session.csrf.as_bytes())) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "csrf_failed",
                "a request signed in by the console's cookie must carry the session's `X-CSRF-Token`; reload the console",
            ));
        }
    }
    principal(app, &session).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_open_touch_and_close() {
        let sessions = Sessions::default();
        let a = sessions.open("smsh_a");
        let b = sessions.open("smsh_a");
        assert_ne!(a, b);
        assert!(a.len() >= 43);
        let session = sessions.touch(&a).expect("live");
        assert_eq!(session.token_hash, auth::hash("smsh_a"));
        assert_ne!(session.csrf, sessions.touch(&b).unwrap().csrf);
        assert!(!sessions.map().contains_key(&a), "ids are stored hashed");
        sessions.close(&a);
        assert!(sessions.touch(&a).is_none());
        assert!(sessions.touch(&b).is_some());
        assert!(sessions.touch("made-up").is_none());
    }

    #[test]
    fn idle_sessions_expire() {
        let sessions = Sessions::default();
        let id = sessions.open("smsh_a");
        if let Some(session) = sessions.map().get_mut(&id_hash(&id)) {
            session.last_used = Instant::now().checked_sub(IDLE_TIMEOUT).expect("a clock past 12 h");
        }
        assert!(sessions.touch(&id).is_none());
        assert!(sessions.map().is_empty(), "an expired session is dropped");
    }

    #[test]
    fn cookie_is_read_from_any_cookie_header() {
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("other=1; smshost_session=abc"));
        assert_eq!(cookie_value(&headers).as_deref(), Some("abc"));
        let mut headers = HeaderMap::new();
        headers.append(header::COOKIE, HeaderValue::from_static("smshost_session_x=abc"));
        assert_eq!(cookie_value(&headers), None);
    }

    #[test]
    fn cookie_flags() {
        let plain = set_cookie("abc", &HeaderMap::new());
        let plain = plain.to_str().unwrap();
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict") && plain.contains("Path=/"));
        assert!(!plain.contains("Secure"));
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-proto", HeaderValue::from_static("https"));
        assert!(set_cookie("abc", &headers).to_str().unwrap().ends_with("; Secure"));
        assert!(clear_cookie(&headers).to_str().unwrap().contains("Max-Age=0"));
    }
}
