//! Secrets at rest: the config fields a plugin's schema marks `writeOnly`
//! are encrypted before they reach the store, with XChaCha20-Poly1305.
//!
//! The key is 32 bytes, from `SMSHOST_SECRET_KEY` (base64 or 64 hex digits)
//! or from `secret.key` in the data folder, created on first start with
//! mode 0600. An encrypted value is the string `enc:v1:` followed by the
//! base64 of a random 24-byte nonce and the ciphertext of the value's JSON
//! text, so numbers and objects are kept as well as strings. The associated
//! data binds a ciphertext to its tenant, plugin and field: a value copied
//! into another field or tenant fails to decrypt instead of being used.
//!
//! Exports use the same scheme (`enc:x1:`) with a key the operator names,
//! so a configuration can travel from a dev daemon to a prod daemon
//! without its secrets ever being in plain text.

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use serde_json::{Map, Value};
use std::path::Path;

const AT_REST: &str = "enc:v1:";
const EXPORTED: &str = "enc:x1:";
const NONCE_BYTES: usize = 24;

/// A 32-byte key for XChaCha20-Poly1305. Its `Debug` shows nothing.
#[derive(Clone)]
pub(crate) struct SecretKey {
    cipher: XChaCha20Poly1305,
    /// HMAC key for [`SecretKey::fingerprint`], derived from the key so
    /// one key file serves both without using the same bytes twice.
    fingerprint_key: [u8; 32],
}

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecretKey(********)")
    }
}

/// Why a key or a value could not be used. Never holds key material.
#[derive(Debug, thiserror::Error)]
pub(crate) enum SecretError {
    #[error("the secret key must be 32 bytes, as base64 or 64 hex digits")]
    BadKey,
    #[error("cannot read or create the key file {0}: {1}")]
    KeyFile(String, String),
    #[error("the stored value of `{0}` cannot be decrypted with this key")]
    Undecryptable(String),
}

impl SecretKey {
    /// Parses base64 (standard or URL-safe) or hex text of 32 bytes.
    pub(crate) fn parse(text: &str) -> Result<Self, SecretError> {
        let text = text.trim();
        let bytes = hex::decode(text)
            .ok()
            .or_else(|| STANDARD.decode(text).ok())
            .or_else(|| URL_SAFE_NO_PAD.decode(text.trim_end_matches('=')).ok())
            .ok_or(SecretError::BadKey)?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        use hmac::Mac;
        let cipher = XChaCha20Poly1305::new_from_slice(bytes).map_err(|_| SecretError::BadKey)?;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(bytes).map_err(|_| SecretError::BadKey)?;
        mac.update(b"smshost rate-limit keys v1");
        Ok(SecretKey {
            cipher,
            fingerprint_key: mac.finalize().into_bytes().into(),
        })
    }

    /// A fresh random key, as base64 text.
    pub(crate) fn generate_text() -> String {
        STANDARD.encode(random::<32>())
    }

    /// The key from `SMSHOST_SECRET_KEY` if set, else `dir/secret.key`,
    /// created (mode 0600) when missing.
    pub(crate) fn load_or_create(env: Option<&str>, dir: &Path) -> Result<Self, SecretError> {
        if let Some(text) = env.filter(|text| !text.trim().is_empty()) {
            return Self::parse(text);
        }
        let path = dir.join("secret.key");
        let io = |error: std::io::Error| SecretError::KeyFile(path.display().to_string(), error.to_string());
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(dir).map_err(io)?;
                let text = Self::generate_text();
                write_private(&path, &text).map_err(io)?;
                tracing::info!(file = %path.display(), "created the secret key for configs at rest");
                Self::parse(&text)
            }
            Err(error) => Err(io(error)),
        }
    }

    fn seal(&self, prefix: &str, aad: &str, value: &Value) -> String {
        let nonce = random::<NONCE_BYTES>();
        let plaintext = value.to_string();
        let sealed = self
            .cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: plaintext.as_bytes(),
                    aad: aad.as_bytes(),
                },
            )
            // Encryption only fails for messages of ~256 GiB.
            .unwrap_or_default();
        let mut bytes = nonce.to_vec();
        bytes.extend_from_slice(&sealed);
        format!("{prefix}{}", STANDARD.encode(bytes))
    }

    fn open(&self, prefix: &str, aad: &str, text: &str) -> Option<Value> {
        let bytes = STANDARD.decode(text.strip_prefix(prefix)?).ok()?;
        if bytes.len() < NONCE_BYTES {
            return None;
        }
        let (nonce, sealed) = bytes.split_at(NONCE_BYTES);
        let plaintext = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: sealed,
                    aad: aad.as_bytes(),
                },
            )
            .ok()?;
        serde_json::from_slice(&plaintext).ok()
    }

    /// `config` with each secret field's value encrypted for the store.
    pub(crate) fn encrypt_fields(
        &self,
        tenant: &str,
        plugin: &str,
        secrets: &[String],
        config: &Map<String, Value>,
    ) -> Map<String, Value> {
        transform(config, secrets, |field, value| {
            Ok(Value::String(self.seal(
                AT_REST,
                &at_rest_aad(tenant, plugin, field),
                value,
            )))
        })
        .unwrap_or_default()
    }

    /// The stored `config` with its secret fields decrypted.
    pub(crate) fn decrypt_fields(
        &self,
        tenant: &str,
        plugin: &str,
        secrets: &[String],
        config: &Map<String, Value>,
    ) -> Result<Map<String, Value>, SecretError> {
        transform(config, secrets, |field, value| match value.as_str() {
            Some(text) if text.starts_with(AT_REST) => self
                .open(AT_REST, &at_rest_aad(tenant, plugin, field), text)
                .ok_or_else(|| SecretError::Undecryptable(field.to_string())),
            // Written before the field was marked secret: keep it as is.
            _ => Ok(value.clone()),
        })
    }

    /// `config` with each secret encrypted for an export.
    pub(crate) fn export_fields(
        &self,
        plugin: &str,
        secrets: &[String],
        config: &Map<String, Value>,
    ) -> Map<String, Value> {
        transform(config, secrets, |field, value| {
            Ok(Value::String(self.seal(EXPORTED, &export_aad(plugin, field), value)))
        })
        .unwrap_or_default()
    }

    /// An imported `config` with its `enc:x1:` secrets decrypted; plain
    /// (re-entered) values pass through.
    pub(crate) fn import_fields(
        key: Option<&SecretKey>,
        plugin: &str,
        secrets: &[String],
        config: &Map<String, Value>,
    ) -> Result<Map<String, Value>, SecretError> {
        transform(config, secrets, |field, value| match value.as_str() {
            Some(text) if text.starts_with(EXPORTED) => key
                .and_then(|key| key.open(EXPORTED, &export_aad(plugin, field), text))
                .ok_or_else(|| SecretError::Undecryptable(field.to_string())),
            _ => Ok(value.clone()),
        })
    }

    /// A keyed hash of `text` (HMAC-SHA256, hex), so rate-limit keys can
    /// name a phone number without storing it.
    pub(crate) fn fingerprint(&self, text: &str) -> String {
        use hmac::Mac;
        let mut mac = <hmac::Hmac<sha2::Sha256> as Mac>::new_from_slice(&self.fingerprint_key)
            .expect("HMAC takes any key length");
        mac.update(text.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }
}

fn at_rest_aad(tenant: &str, plugin: &str, field: &str) -> String {
    format!("smshost/v1/{tenant}/{plugin}/{field}")
}

fn export_aad(plugin: &str, field: &str) -> String {
    format!("smshost/export/v1/{plugin}/{field}")
}

fn transform(
    config: &Map<String, Value>,
    secrets: &[String],
    mut change: impl FnMut(&str, &Value) -> Result<Value, SecretError>,
) -> Result<Map<String, Value>, SecretError> {
    let mut out = config.clone();
    for field in secrets {
        if let Some(value) = out.get_mut(field) {
            if value.is_null() {
                continue;
            }
            *value = change(field, value)?;
        }
    }
    Ok(out)
}

/// `N` bytes from the operating system's generator.
pub(crate) fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("the operating system's random generator is available");
    bytes
}

/// Writes `text` to a new file only its owner can read.
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key() -> SecretKey {
        SecretKey::parse(&SecretKey::generate_text()).unwrap()
    }

    fn secrets() -> Vec<String> {
        vec!["authToken".into(), "pin".into(), "nested".into()]
    }

    #[test]
    fn secrets_round_trip_and_never_show() {
        let key = key();
        let config =
            json!({"accountSID": "AC1", "authToken": "tok-123456", "pin": 4711, "nested": {"a": "deep-secret"}});
        let config = config.as_object().unwrap();
        let sealed = key.encrypt_fields("default", "twilio", &secrets(), config);
        let text = Value::Object(sealed.clone()).to_string();
        for plain in ["tok-123456", "4711", "deep-secret"] {
            assert!(!text.contains(plain), "{text}");
        }
        assert_eq!(sealed["accountSID"], "AC1");
        assert!(sealed["authToken"].as_str().unwrap().starts_with("enc:v1:"));
        let opened = key.decrypt_fields("default", "twilio", &secrets(), &sealed).unwrap();
        assert_eq!(&opened, config);
    }

    #[test]
    fn ciphertexts_are_bound_to_tenant_plugin_field_and_key() {
        let key = key();
        let config = json!({"authToken": "tok-123456", "pin": "1234"});
        let sealed = key.encrypt_fields("dev", "twilio", &secrets(), config.as_object().unwrap());
        assert!(key.decrypt_fields("prod", "twilio", &secrets(), &sealed).is_err());
        assert!(key.decrypt_fields("dev", "vonage", &secrets(), &sealed).is_err());
        let mut swapped = sealed.clone();
        swapped.insert("pin".into(), sealed["authToken"].clone());
        let error = key.decrypt_fields("dev", "twilio", &secrets(), &swapped).unwrap_err();
        assert_eq!(
            error.to_string(),
            "the stored value of `pin` cannot be decrypted with this key"
        );
        assert!(
            self::key()
                .decrypt_fields("dev", "twilio", &secrets(), &sealed)
                .is_err()
        );
        let mut tampered = sealed.clone();
        let text = sealed["authToken"].as_str().unwrap();
        let flipped = format!(
            "{}{}",
            &text[..text.len() - 2],
            if text.ends_with("A=") { "B=" } else { "A=" }
        );
        tampered.insert("authToken".into(), Value::String(flipped));
        assert!(key.decrypt_fields("dev", "twilio", &secrets(), &tampered).is_err());
        for garbage in ["enc:v1:", "enc:v1:!!!", "enc:v1:AAAA"] {
            let mut bad = sealed.clone();
            bad.insert("authToken".into(), Value::String(garbage.into()));
            assert!(
                key.decrypt_fields("dev", "twilio", &secrets(), &bad).is_err(),
                "{garbage}"
            );
        }
    }

    #[test]
    fn exports_need_the_named_key() {
        let key = key();
        let config = json!({"authToken": "tok-123456", "from": "+4520123456"});
        let exported = key.export_fields("twilio", &secrets(), config.as_object().unwrap());
        assert!(exported["authToken"].as_str().unwrap().starts_with("enc:x1:"));
        let imported = SecretKey::import_fields(Some(&key), "twilio", &secrets(), &exported).unwrap();
        assert_eq!(imported["authToken"], "tok-123456");
        assert!(SecretKey::import_fields(None, "twilio", &secrets(), &exported).is_err());
        assert!(SecretKey::import_fields(Some(&self::key()), "twilio", &secrets(), &exported).is_err());
        // A re-entered plain value passes through.
        let plain = SecretKey::import_fields(None, "twilio", &secrets(), config.as_object().unwrap()).unwrap();
        assert_eq!(plain["authToken"], "tok-123456");
    }

    #[test]
    fn keys_parse_strictly_and_files_are_private() {
        assert!(SecretKey::parse("short").is_err());
        assert!(SecretKey::parse(&"00".repeat(31)).is_err());
        assert!(SecretKey::parse(&"ab".repeat(32)).is_ok());
        assert_eq!(format!("{:?}", key()), "SecretKey(********)");
        let dir = std::env::temp_dir().join(format!("smshost-key-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = SecretKey::load_or_create(None, &dir).unwrap();
        let again = SecretKey::load_or_create(None, &dir).unwrap();
        assert_eq!(first.fingerprint("+4520123456"), again.fingerprint("+4520123456"));
        assert_ne!(first.fingerprint("+4520123456"), first.fingerprint("+4520123457"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
