//! Connector configs: Logto-compatible JSON objects, the checks the host
//! makes before a plugin sees them, and keeping their secrets out of sight.
//!
//! A config is the same object a self-hoster pastes into Logto's connector
//! form, e.g. `{"accountSID": "...", "authToken": "...", "templates": [...]}`.
//! The host checks that it is a JSON object and, for template-based
//! connectors, Logto's `templates` rule; the plugin then validates its own
//! fields. Fields the connector's JSON Schema marks `"writeOnly": true` are
//! secrets: [`Redactor`] masks their values in anything the host prints.

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
        let mut root = Value::Object(self.object.clone());
        for field in secret_fields {
            if let Some(value) = root.as_object_mut().and_then(|object| object.get_mut(field)) {
                *value = Value::String(MASK.to_string());
                continue;
            }
            let segments: Vec<&str> = field.split('.').collect();
            mask_path(&mut root, &segments);
        }
        root
    }
}

fn mask_path(value: &mut Value, segments: &[&str]) {
    match (value, segments.split_first()) {
        (value, None) => *value = Value::String(MASK.to_string()),
        (Value::Array(items), Some(_)) => items.iter_mut().for_each(|item| mask_path(item, segments)),
        (Value::Object(object), Some((first, rest))) => {
            if let Some(next) = object.get_mut(*first) {
                mask_path(next, rest);
            }
        }
        _ => {}
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

use crate::redaction::MASK;

/// Deepest nesting of `properties` searched for secrets; real schemas
/// nest two or three levels, and the bound keeps a hostile schema cheap.
const MAX_SCHEMA_DEPTH: usize = 8;

/// The properties a JSON Schema marks `"writeOnly": true`: top-level names
/// (`authToken`), and dotted paths (`auth.token`) for `writeOnly` inside
/// nested `properties` (also through `items` of arrays).
pub fn secret_fields(schema: &Value) -> Vec<String> {
    let mut fields = Vec::new();
    collect_secret_fields(schema, "", 0, &mut fields);
    fields
}

fn collect_secret_fields(schema: &Value, prefix: &str, depth: usize, out: &mut Vec<String>) {
    if depth > MAX_SCHEMA_DEPTH {
        return;
    }
    let schema = schema.get("items").unwrap_or(schema);
    let Some(properties) = schema.get("properties").and_then(Value::as_object) else {
        return;
    };
    for (name, property) in properties {
        let path = if prefix.is_empty() {
            name.clone()
        } else {
            format!("{prefix}.{name}")
        };
        if property.get("writeOnly") == Some(&Value::Bool(true)) {
            out.push(path);
        } else {
            collect_secret_fields(property, &path, depth + 1, out);
        }
    }
}

/// Masks secret values in what the host shows (see [`crate::redaction`]).
pub(crate) use crate::redaction::Redactor;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::phone::PhoneNumber;
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
