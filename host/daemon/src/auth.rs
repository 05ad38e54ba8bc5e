//! API tokens: `Authorization: Bearer smsh_…`, stored only as SHA-256
//! hashes. An admin token reaches every tenant; a tenant token only its
//! own. A missing, malformed, unknown or revoked token is the same 401.
//!
//! Tokens carry 256 random bits, so a plain SHA-256 (not a slow password
//! hash) is the right digest: there is nothing to brute-force. The hash
//! found in the store is compared again in constant time, so neither the
//! store's index nor an early-exit comparison reveals how close a guess is.

use crate::error::ApiError;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};
use smshost_store::{NewToken, Store, StoreError, TokenRecord};
use subtle::ConstantTimeEq;

/// Every token starts with this, so a leaked one is easy to recognise in
/// a secret scanner and a pasted password is refused without a lookup.
pub(crate) const TOKEN_PREFIX: &str = "smsh_";

/// Who made a request.
#[derive(Debug, Clone)]
pub(crate) struct Principal {
    /// The token's id (not the token), shown as "set by".
    pub(crate) token_id: String,
    /// `None` for an admin token.
    pub(crate) tenant: Option<String>,
}

impl Principal {
    /// Whether this token may act on `tenant`.
    pub(crate) fn reaches(&self, tenant: &str) -> bool {
        self.tenant.as_deref().is_none_or(|own| own == tenant)
    }

    /// Fails with 403 unless this token reaches `tenant`.
    pub(crate) fn require(&self, tenant: &str) -> Result<(), ApiError> {
        if self.reaches(tenant) {
            Ok(())
        } else {
            Err(ApiError::forbidden_tenant(tenant))
        }
    }
}

/// A fresh token: the prefix and 32 random bytes, base64url.
pub(crate) fn generate() -> String {
    format!(
        "{TOKEN_PREFIX}{}",
        URL_SAFE_NO_PAD.encode(crate::secrets::random::<32>())
    )
}

/// The stored form of a token.
pub(crate) fn hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Stores a new token for `tenant` (`None`: admin) and returns it with its
/// record; the token itself is never stored.
pub(crate) async fn create(
    store: &dyn Store,
    tenant: Option<&str>,
    label: &str,
    token: Option<String>,
) -> Result<(String, TokenRecord), StoreError> {
    let token = token.unwrap_or_else(generate);
    if let Some(tenant) = tenant {
        store.ensure_tenant(tenant).await?;
    }
    let record = store
        .create_token(NewToken {
            tenant: tenant.map(str::to_string),
            hash: hash(&token),
            label: label.to_string(),
        })
        .await?;
    Ok((token, record))
}

/// The shortest preset token accepted: as many characters after the prefix
/// as a generated token has bits of entropy / 6 would be 43; 32 keeps a
/// hand-made token at 192 bits or more of base64url.
const MIN_PRESET_SECRET: usize = 32;

/// Checks a preset admin token (`SMSHOST_ADMIN_TOKEN`) before it is stored:
/// one that could never authenticate (no `smsh_` prefix, too long, other
/// characters than a generated token has) or is too short to be secret is
/// refused here, with a reason that does not repeat it.
pub(crate) fn check_preset(token: &str) -> Result<(), String> {
    let rule = format!(
        "SMSHOST_ADMIN_TOKEN must be `{TOKEN_PREFIX}` followed by {MIN_PRESET_SECRET} to {} letters, digits, `-` or `_` (`smshost token create` prints one)",
        128 - TOKEN_PREFIX.len()
    );
    let Some(secret) = token.strip_prefix(TOKEN_PREFIX) else {
        return Err(format!("{rule}; it does not start with `{TOKEN_PREFIX}`"));
    };
    if !(MIN_PRESET_SECRET..=128 - TOKEN_PREFIX.len()).contains(&secret.len()) {
        return Err(format!("{rule}; it has {} after the prefix", secret.len()));
    }
    if !secret
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!("{rule}; it has other characters"));
    }
    Ok(())
}

/// On a store that never had a token, creates the first admin token:
/// `preset` (from `SMSHOST_ADMIN_TOKEN`) or a random one, returned so the
/// caller can print it once.
pub(crate) async fn bootstrap(store: &dyn Store, preset: Option<String>) -> Result<Option<String>, StoreError> {
    if store.token_count().await? > 0 {
        return Ok(None);
    }
    let preset = preset.filter(|token| !token.trim().is_empty());
    let (token, _) = create(store, None, "first admin token", preset).await?;
    Ok(Some(token))
}

/// Checks an `Authorization` header value.
pub(crate) async fn authenticate(store: &dyn Store, header: Option<&str>) -> Result<Principal, ApiError> {
    let token = header
        .and_then(|value| {
            let (scheme, token) = value.trim().split_once(' ')?;
            scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
        })
        .filter(|token| token.starts_with(TOKEN_PREFIX) && token.len() <= 128)
        .ok_or_else(ApiError::unauthorized)?;
    let wanted = hash(token);
    let record = store.token_by_hash(&wanted).await?.ok_or_else(ApiError::unauthorized)?;
    if !bool::from(record.hash.as_bytes().ct_eq(wanted.as_bytes())) {
        return Err(ApiError::unauthorized());
    }
    Ok(Principal {
        token_id: record.id,
        tenant: record.tenant,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preset_tokens_must_be_usable_and_are_never_echoed() {
        assert_eq!(check_preset(&generate()), Ok(()));
        assert_eq!(check_preset(&format!("{TOKEN_PREFIX}{}", "a".repeat(123))), Ok(()));
        let short = format!("{TOKEN_PREFIX}{}", "s3cr3t".repeat(5));
        let long = format!("{TOKEN_PREFIX}{}", "b".repeat(124));
        for (bad, why) in [
            ("hunter2-but-much-longer-than-thirty-two-chars", "does not start with"),
            (short.as_str(), "has 30 after the prefix"),
            (long.as_str(), "has 124 after the prefix"),
            ("smsh_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa aaaa", "other characters"),
            ("smsh_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\naaaa", "other characters"),
            ("smsh_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaé", "other characters"),
            ("", "does not start with"),
        ] {
            let error = check_preset(bad).unwrap_err();
            assert!(error.contains(why), "{bad}: {error}");
            let secret = bad.strip_prefix(TOKEN_PREFIX).unwrap_or(bad);
            assert!(secret.is_empty() || !error.contains(secret), "{error}");
        }
    }

    #[test]
    fn tokens_are_random_prefixed_and_hashed() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert!(a.starts_with(TOKEN_PREFIX) && a.len() == TOKEN_PREFIX.len() + 43, "{a}");
        assert_eq!(hash(&a).len(), 64);
        assert_ne!(hash(&a), hash(&b));
        assert!(!hash(&a).contains(&a[TOKEN_PREFIX.len()..]));
    }

    #[test]
    fn tenant_tokens_reach_only_their_tenant() {
        let admin = Principal {
            token_id: "t1".into(),
            tenant: None,
        };
        let dev = Principal {
            token_id: "t2".into(),
            tenant: Some("dev".into()),
        };
        assert!(admin.reaches("dev") && admin.reaches("prod"));
        assert!(dev.reaches("dev") && !dev.reaches("prod") && !dev.reaches("default"));
    }
}
