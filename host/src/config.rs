//! Connector configs: Logto-compatible JSON objects, the checks the host
//! makes before a plugin sees them, and keeping their secrets out of sight.
//!
//! A config is the same object a self-hoster pastes into Logto's connector
//! form, e.g. `{"accountSID": "...", "authToken": "...", "templates": [...]}`.
//! The host checks that it is a JSON object and, for template-based
//! connectors, Logto's `templates` rule; the plugin then validates its own
//! fields. Fields the connector's JSON Schema marks `"writeOnly": true` are
//! secrets: [`Redactor`] masks their values in anything the host prints.

use crate::phone::PhoneNumber;
use serde_json::{Map, Value};

/// A parsed connector config.
#[derive(Clone, PartialEq)]
pub struct ConnectorConfig {
    object: Map<String, Value>,
    text: String,
}

impl std::fmt::Debug for ConnectorConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Values may be secrets; which fields are set is enough to debug.
        f.debug_struct("ConnectorConfig")
            .field("fields", &self.object.keys().collect::<Vec<_>>())
            .finish()
    }
}

impl ConnectorConfig {
    /// Parses config JSON; it must be an object.
    pub fn parse(json: &str) -> Result<Self, String> {
        let value: Value = serde_json::from_str(json).map_err(|error| format!("config is not valid JSON: {error}"))?;
        Self::from_value(value)
    }

    /// Wraps a JSON value; it must be an object.
    pub fn from_value(value: Value) -> Result<Self, String> {
        match value {
            Value::Object(object) => {
                let text = Value::Object(object.clone()).to_string();
                Ok(ConnectorConfig { object, text })
            }
            other => Err(format!("config must be a JSON object, not {}", kind(&other))),
        }
    }

    /// The config as an object.
    pub fn as_object(&self) -> &Map<String, Value> {
        &self.object
    }

    /// The compact JSON text handed to the plugin.
    pub fn as_json(&self) -> &str {
        &self.text
    }

    /// The `templates` entries (empty when absent or not an array).
    pub fn templates(&self) -> &[Value] {
        self.object
            .get("templates")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
    }

    /// A string field's value.
    pub fn string_field(&self, name: &str) -> Option<&str> {
        self.object.get(name).and_then(Value::as_str)
    }

    /// A copy with every secret field's value replaced by `"********"`.
    pub fn masked(&self, secret_fields: &[String]) -> Value {
        let mut object = self.object.clone();
        for field in secret_fields {
            if let Some(value) = object.get_mut(field) {
                *value = Value::String(MASK.to_string());
            }
        }
        Value::Object(object)
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

const MASK: &str = "********";

/// The top-level properties a JSON Schema marks `"writeOnly": true`.
pub(crate) fn secret_fields(schema: &Value) -> Vec<String> {
    schema
        .get("properties")
        .and_then(Value::as_object)
        .map(|properties| {
            properties
                .iter()
                .filter(|(_, property)| property.get("writeOnly") == Some(&Value::Bool(true)))
                .map(|(name, _)| name.clone())
                .collect()
        })
        .unwrap_or_default()
}

/// Masks secret values in text the host shows: errors, logs, receipts.
///
/// Built per config from its secret fields, so a provider that echoes a
/// credential in its error body, or a connector that logs one, cannot leak
/// it; per send it also masks the one-time code and the recipient.
#[derive(Clone, Default)]
pub(crate) struct Redactor {
    /// Values and what replaces them, longest value first, so a value
    /// containing another is masked whole.
    masks: Vec<(String, String)>,
}

/// Shorter values are not masked: they would blank ordinary words and
/// digits (a 3-character "secret" is no secret anyway).
const MIN_SECRET_LEN: usize = 4;

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Redactor").field("masks", &self.masks.len()).finish()
    }
}

impl Redactor {
    /// Collects the values of `secret_fields` in `config`.
    pub fn new(config: &ConnectorConfig, secret_fields: &[String]) -> Self {
        let secrets = secret_fields.iter().filter_map(|field| config.string_field(field));
        Redactor::default().with_masks(secrets.map(|secret| (secret, MASK)))
    }

    /// A copy that also replaces each value with its mask, e.g. a one-time
    /// code with `********` and a phone number with its redacted form.
    pub fn with_masks<'a>(&self, masks: impl IntoIterator<Item = (&'a str, &'a str)>) -> Redactor {
        let mut all = self.masks.clone();
        all.extend(
            masks
                .into_iter()
                .filter(|(value, _)| value.len() >= MIN_SECRET_LEN)
                .map(|(value, mask)| (value.to_string(), mask.to_string())),
        );
        all.sort_by_key(|(value, _)| std::cmp::Reverse(value.len()));
        Redactor { masks: all }
    }

    /// A copy that also masks a send's one-time code and recipient (E.164,
    /// digits only, and the `%2B…` form a form body carries).
    pub fn for_message(&self, code: &str, to: &PhoneNumber) -> Redactor {
        let e164 = to.as_str();
        let digits = &e164[1..];
        let encoded = format!("%2B{digits}");
        let shown = to.redacted();
        self.with_masks([
            (code, MASK),
            (e164, &shown),
            (encoded.as_str(), &shown),
            (digits, &shown),
        ])
    }

    /// `text` with every masked value replaced.
    pub fn redact(&self, text: &str) -> String {
        self.masks.iter().fold(text.to_string(), |text, (value, mask)| {
            text.replace(value.as_str(), mask)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn config_must_be_an_object() {
        assert!(ConnectorConfig::parse("{").unwrap_err().contains("not valid JSON"));
        assert_eq!(
            ConnectorConfig::parse("[]").unwrap_err(),
            "config must be a JSON object, not an array"
        );
        let config = ConnectorConfig::parse(r#"{"a": 1, "templates": [{"usageType": "SignIn"}]}"#).unwrap();
        assert_eq!(config.as_json(), r#"{"a":1,"templates":[{"usageType":"SignIn"}]}"#);
        assert_eq!(config.templates().len(), 1);
    }

    #[test]
    fn secrets_are_masked_and_redacted() {
        let schema = json!({"type": "object", "properties": {
            "accountSID": {"type": "string"},
            "authToken": {"type": "string", "writeOnly": true},
            "pin": {"type": "string", "writeOnly": true}
        }});
        let secrets = secret_fields(&schema);
        assert_eq!(secrets, ["authToken", "pin"]);
        let config =
            ConnectorConfig::parse(r#"{"accountSID": "AC1", "authToken": "tok-123456", "pin": "12"}"#).unwrap();
        assert_eq!(
            config.masked(&secrets),
            json!({"accountSID": "AC1", "authToken": "********", "pin": "********"})
        );
        let redactor = Redactor::new(&config, &secrets);
        assert_eq!(redactor.redact("bad token tok-123456!"), "bad token ********!");
        // Too short to mask safely.
        assert_eq!(redactor.redact("code 12"), "code 12");
        let to = PhoneNumber::parse("+4520123456").unwrap();
        let for_send = redactor.for_message("123456", &to);
        assert_eq!(
            for_send.redact("to +4520123456 (4520123456, To=%2B4520123456) code 123456 key tok-123456"),
            "to +45******56 (+45******56, To=+45******56) code ******** key ********"
        );
        assert_eq!(redactor.for_message("12", &to).redact("code 12"), "code 12");
    }
}
