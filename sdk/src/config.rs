//! Typed config parsing: the operator's JSON into the connector's struct.

use crate::ConnectorError;
use serde::de::DeserializeOwned;

/// Parses a config object. A missing or mistyped field becomes
/// `invalid-config` whose message names the field, e.g.
/// ``missing field `authToken` ``; values are never echoed.
pub fn parse_config<T: DeserializeOwned>(json: &str) -> Result<T, ConnectorError> {
    serde_json::from_str(json).map_err(|error| {
        let text = error.to_string();
        // serde_json appends " at line L column C", which means nothing to an
        // operator who pasted a config into a form.
        let text = match text.rfind(" at line ") {
            Some(at) => &text[..at],
            None => &text,
        };
        // "invalid type: string \"secret\", expected u32" would echo a value;
        // keep only what was expected.
        let text = if let Some(rest) = text.strip_prefix("invalid type: ") {
            match rest.split_once(", expected ") {
                Some((_, expected)) => format!("a field has the wrong type, expected {expected}"),
                None => "a field has the wrong type".to_string(),
            }
        } else if text.starts_with("invalid value: ") {
            match text.split_once(", expected ") {
                Some((_, expected)) => format!("a field has an invalid value, expected {expected}"),
                None => "a field has an invalid value".to_string(),
            }
        } else {
            text.to_string()
        };
        ConnectorError::invalid_config(format!("invalid config: {text}"))
    })
}

/// Fails with `invalid-config` naming `field` when `value` is empty or blank.
pub fn require_non_empty(field: &str, value: &str) -> Result<(), ConnectorError> {
    if value.trim().is_empty() {
        Err(ConnectorError::invalid_config(format!(
            "invalid config: `{field}` must not be empty"
        )))
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorCode;

    #[derive(serde::Deserialize, Debug)]
    #[serde(rename_all = "camelCase")]
    #[allow(dead_code)]
    struct Twilio {
        account_sid: String,
        auth_token: String,
        port: Option<u16>,
    }

    #[test]
    fn missing_field_is_named() {
        let err = parse_config::<Twilio>(r#"{"accountSid":"AC1"}"#).unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
        assert_eq!(err.message, "invalid config: missing field `authToken`");
    }

    #[test]
    fn wrong_type_does_not_echo_the_value() {
        let err = parse_config::<Twilio>(r#"{"accountSid":"AC1","authToken":"t","port":"s3cret"}"#).unwrap_err();
        assert!(!err.message.contains("s3cret"), "{}", err.message);
        assert!(err.message.contains("expected u16"), "{}", err.message);
    }

    #[test]
    fn malformed_json_is_invalid_config() {
        let err = parse_config::<Twilio>("{").unwrap_err();
        assert_eq!(err.code, ErrorCode::InvalidConfig);
    }

    #[test]
    fn blank_is_refused() {
        assert!(require_non_empty("senderName", "  ").is_err());
        assert!(require_non_empty("senderName", "Logto").is_ok());
    }
}
